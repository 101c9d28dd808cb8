"""``settings.toml`` and ``LINLI_*`` overrides: parsed once, validated with one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from linli.cli import main
from linli.core.errors import SettingsError
from linli.core.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str, name: str = "settings.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, env: dict[str, str] | None = None) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(path, env=env or {})
    return caught.value.message


# --- a wrong key or value is one clear message ----------------------------------------------


def test_a_misspelt_key_is_one_error_naming_the_key_the_section_and_the_file(tmp_path):
    path = write(tmp_path, "[queue]\nworkers = 3\n")

    message = error_of(path)

    assert str(path) in message
    assert "[queue]" in message
    assert "workers" in message
    assert "\n" not in message


def test_a_misspelt_section_is_named(tmp_path):
    message = error_of(write(tmp_path, '[qeue]\nbroker = "memory://"\n'))

    assert "qeue" in message


def test_a_value_of_the_wrong_type_is_one_error_naming_the_key_and_the_value(tmp_path):
    path = write(tmp_path, '[queue]\nworker_threads = "many"\n')

    message = error_of(path)

    assert str(path) in message
    assert "[queue] worker_threads" in message
    assert "'many'" in message
    assert "Traceback" not in message


def test_a_zero_thread_count_is_refused(tmp_path):
    message = error_of(write(tmp_path, "[queue]\nworker_threads = 0\n"))

    assert "worker_threads" in message
    assert "positive" in message


def test_a_worker_optimize_level_python_does_not_have_is_refused(tmp_path):
    message = error_of(write(tmp_path, "[queue]\nworker_optimize = 3\n"))

    assert "[queue] worker_optimize: must be 0, 1 or 2" in message
    plain = load_settings(write(tmp_path, "[queue]\nworker_optimize = 0\n", "ok.toml"), env={})
    assert plain.queue.worker_optimize == 0


def test_two_mistakes_in_one_file_come_back_as_one_error_that_names_both(tmp_path):
    message = error_of(write(tmp_path, '[queue]\nworker_threads = "x"\nworkers = 1\n'))

    assert "worker_threads" in message
    assert "workers" in message


def test_a_file_that_is_not_toml_is_named_with_the_place_of_the_mistake(tmp_path):
    path = write(tmp_path, "[queue\n")

    message = error_of(path)

    assert str(path) in message
    assert "line 1" in message


def test_a_missing_settings_file_is_a_settings_error(tmp_path):
    message = error_of(tmp_path / "nowhere.toml")

    assert "nowhere.toml" in message
    assert "not found" in message


def test_a_value_outside_a_fixed_list_names_the_allowed_values_in_plain_words(tmp_path):
    message = error_of(write(tmp_path, '[districts.a]\nname = "A"\nkind = "city"\n'))

    assert "[districts.a] kind" in message
    assert "community, village, grid" in message
    assert "unknown error" not in message


# --- districts --------------------------------------------------------------------------------


def test_a_district_id_with_capital_letters_is_refused(tmp_path):
    message = error_of(write(tmp_path, '[districts.HePing]\nname = "和平社区"\n'))

    assert "[districts.HePing]" in message
    assert "lower-case" in message


def test_a_district_language_linli_does_not_speak_is_refused(tmp_path):
    message = error_of(write(tmp_path, '[districts.heping]\nname = "和平社区"\nlanguage = "fr"\n'))

    assert "[districts.heping]" in message
    assert "language" in message
    assert "zh_CN, en" in message


def test_an_unknown_time_zone_is_refused_with_an_example(tmp_path):
    message = error_of(write(tmp_path, '[districts.heping]\nname = "和平社区"\ntimezone = "Mars/Base"\n'))

    assert "timezone" in message
    assert "'Mars/Base'" in message
    assert "Asia/Shanghai" in message


def test_a_room_without_a_platform_prefix_is_refused(tmp_path):
    message = error_of(write(tmp_path, '[districts.heping]\nname = "和平社区"\nrooms = ["heping"]\n'))

    assert "[districts.heping] rooms" in message
    assert "'heping'" in message
    assert "platform:room" in message


def test_a_district_without_a_name_is_refused(tmp_path):
    message = error_of(write(tmp_path, '[districts.heping]\nkind = "village"\n'))

    assert "[districts.heping] name" in message


def test_a_misspelt_district_key_is_named(tmp_path):
    message = error_of(write(tmp_path, '[districts.heping]\nname = "和平社区"\nplugin = ["core"]\n'))

    assert "[districts.heping]" in message
    assert "plugin" in message


def test_the_default_language_is_checked_like_a_district_language(tmp_path):
    message = error_of(write(tmp_path, '[i18n]\ndefault_language = "de"\n'))

    assert "default_language" in message


# --- the environment ----------------------------------------------------------------------


def test_linli_database_url_and_linli_broker_url_override_the_file(tmp_path):
    path = write(tmp_path, '[storage]\nurl = "sqlite:///var/x.db"\n[queue]\nbroker = "memory://"\n')

    settings = load_settings(
        path,
        env={
            "LINLI_DATABASE_URL": "postgresql+psycopg://linli@db.internal/linli",
            "LINLI_BROKER_URL": "redis://queue.internal:6379/0",
        },
    )

    assert settings.storage.url == "postgresql+psycopg://linli@db.internal/linli"
    assert settings.queue.broker == "redis://queue.internal:6379/0"


def test_a_section_key_variable_overrides_the_file_and_is_converted(tmp_path):
    path = write(tmp_path, "[queue]\nworker_threads = 2\n")

    settings = load_settings(path, env={"LINLI_QUEUE_WORKER_THREADS": "8"})

    assert settings.queue.worker_threads == 8


def test_a_boolean_variable_accepts_the_usual_words(tmp_path):
    settings = load_settings(write(tmp_path, ""), env={"LINLI_STORAGE_ECHO": "yes"})

    assert settings.storage.echo is True


def test_variables_that_name_no_section_are_left_alone(tmp_path):
    settings = load_settings(
        write(tmp_path, ""), env={"LINLI_TEST_REDIS_URL": "redis://x", "LINLI_SETTINGS": "other.toml"}
    )

    assert settings.queue.broker == "memory://"


def test_a_misspelt_variable_of_a_known_section_is_refused(tmp_path):
    message = error_of(write(tmp_path, ""), env={"LINLI_LOGGING_LEVL": "debug"})

    assert "levl" in message


def test_a_bad_variable_is_blamed_on_the_variable_not_the_file(tmp_path):
    path = write(tmp_path, "[queue]\nworker_threads = 2\n")

    message = error_of(path, env={"LINLI_QUEUE_WORKER_THREADS": "eight"})

    assert "LINLI_QUEUE_WORKER_THREADS" in message


# --- paths -----------------------------------------------------------------------------------


def test_a_relative_sqlite_path_is_relative_to_the_settings_file_not_the_working_folder(tmp_path, monkeypatch):
    folder = tmp_path / "deploy"
    folder.mkdir()
    path = write(folder, '[storage]\nurl = "sqlite:///var/linli.db"\n')
    monkeypatch.chdir(tmp_path)

    settings = load_settings(path, env={})

    assert settings.storage.url == f"sqlite:///{folder.resolve() / 'var' / 'linli.db'}"
    assert settings.base_dir == folder.resolve()


def test_an_absolute_sqlite_path_is_kept(tmp_path):
    url = f"sqlite:///{tmp_path / 'abs.db'}"
    settings = load_settings(write(tmp_path, f'[storage]\nurl = "{url}"\n'), env={})

    assert settings.storage.url == url


def test_without_a_file_the_built_in_defaults_are_the_embedded_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    settings = load_settings(env={})

    assert settings.path is None
    assert settings.queue.broker == "memory://"
    assert settings.storage.url == f"sqlite:///{(tmp_path / 'var' / 'linli.db').resolve()}"
    assert settings.districts == ()


def test_linli_settings_names_the_file_when_no_path_is_given(tmp_path, monkeypatch):
    path = write(tmp_path, '[districts.demo]\nname = "Demo"\n', name="other.toml")
    monkeypatch.chdir(tmp_path)

    settings = load_settings(env={"LINLI_SETTINGS": str(path)})

    assert settings.path == path.resolve()
    assert [d.id for d in settings.districts] == ["demo"]


# --- the repository's own example ------------------------------------------------------------


def test_the_repositorys_settings_file_loads_with_an_urban_community_and_a_village():
    settings = load_settings(REPO / "settings.toml", env={})

    assert isinstance(settings, Settings)
    kinds = {d.id: d.kind for d in settings.districts}
    assert len(kinds) == 2
    assert sorted(kinds.values()) == ["community", "village"]
    for district in settings.districts:
        assert "basics" in district.plugins
        assert all(room.startswith("console:") for room in district.rooms)
    assert settings.queue.broker == "memory://"


def test_the_repositorys_settings_keep_the_database_beside_the_file():
    settings = load_settings(REPO / "settings.toml", env={})

    assert settings.storage.url == f"sqlite:///{REPO / 'var' / 'linli.db'}"


# --- the command line --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--settings", "{path}", "db", "upgrade"],
        ["db", "upgrade", "--settings", "{path}"],
        ["--settings", "{path}", "run"],
    ],
)
def test_a_bad_settings_file_is_one_error_line_and_a_non_zero_exit_on_the_command_line(tmp_path, args):
    path = write(tmp_path, "[queue]\nworkers = 3\n", name="bad.toml")

    result = CliRunner().invoke(main, [a.format(path=path) for a in args], env={"LINLI_LANG": "en"})

    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == SettingsError.exit_code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "bad.toml" in lines[0]
    assert "workers" in lines[0]


def test_help_does_not_read_the_settings(tmp_path):
    path = write(tmp_path, "[queue]\nworkers = 3\n", name="bad.toml")

    result = CliRunner().invoke(main, ["--settings", str(path), "run", "--help"])

    assert result.exit_code == 0
    assert "--district" in result.output


def test_a_settings_mistake_reads_in_the_administrators_language(tmp_path):
    from linli.core.i18n import translator

    with pytest.raises(SettingsError) as caught:
        load_settings(write(tmp_path, '[queue]\nworker_threads = "four"\nworkers = 1\n'), env={})

    shown = caught.value.translated(translator("zh_CN"))
    assert "[queue] worker_threads: 应为整数，而不是 'four'" in shown
    assert "[queue]: 没有这些设置项：workers" in shown
    assert "expected" not in shown and "unknown" not in shown


def test_a_sqlite_synchronous_level_other_than_normal_or_full_is_refused(tmp_path):
    message = error_of(write(tmp_path, '[storage]\nsqlite_synchronous = "off"\n'))

    assert "[storage] sqlite_synchronous" in message
    assert "normal, full" in message


def test_attachment_limits_and_the_blob_store_come_from_the_file_or_the_environment(tmp_path):
    from linli.core.settings import load_settings as _load

    path = tmp_path / "settings.toml"
    path.write_text('[storage]\nblobs = "files"\n\n[attachments]\nmax_photo_mb = 5\n', encoding="utf-8")

    settings = _load(path, env={"LINLI_ATTACHMENTS_MAX_FILE_MB": "50"})

    assert settings.storage.blobs == "files" and settings.base_dir == tmp_path
    assert (settings.attachments.max_photo_mb, settings.attachments.max_file_mb) == (5, 50)
    assert settings.attachments.follow_up_minutes == 10
