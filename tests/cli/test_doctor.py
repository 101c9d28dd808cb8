"""``linli doctor``: one line per check, and an exit code that says whether to worry."""

from __future__ import annotations

import sqlite3

import pytest


def _lines(out: str, mark: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(mark + " ")]


def test_doctor_passes_a_healthy_embedded_deployment_and_warns_about_a_district_without_rooms(ready):
    result = ready("doctor")
    assert result.exit_code == 0, result.output
    ok = "\n".join(_lines(result.stdout, "✓"))
    assert f"settings: {ready.settings}" in ok
    assert "database: schema is current" in ok
    assert "broker: in-process" in ok
    assert "blob store: var/blobs (photos and files are kept here)" in ok
    assert "community heping: plugins basics, suggestions" in ok and "community heping: rooms console:heping" in ok
    assert _lines(result.stdout, "!") == [
        "! village xinglong: no room is bound: `linli rooms bind ROOM --district xinglong`"
    ]
    assert _lines(result.stdout, "✗") == []


def test_doctor_reports_pending_migrations(linli):
    result = linli("doctor")
    assert result.exit_code == 1
    [failed] = _lines(result.stdout, "✗")
    assert "migrations pending" in failed and "linli db upgrade" in failed


def test_doctor_reports_a_broken_database_url_and_a_bad_broker_url(linli):
    result = linli(
        "doctor",
        env={
            "LINLI_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/nope",
            "LINLI_BROKER_URL": "redis://127.0.0.1:1/0",
        },
    )
    assert result.exit_code == 1
    failed = _lines(result.stdout, "✗")
    assert len(failed) == 2
    assert failed[0].startswith("✗ database: cannot reach the database") and "LINLI_DATABASE_URL" in failed[0]
    assert failed[1].startswith("✗ broker: cannot reach redis://127.0.0.1:1/0")
    # the districts are still checked, from the settings file
    assert "✓ community heping: plugins basics, suggestions" in result.stdout


def test_doctor_refuses_an_unknown_broker_scheme_and_hides_passwords(ready):
    result = ready("doctor", env={"LINLI_BROKER_URL": "nats://user:secret@example.org"})
    assert result.exit_code == 1
    [failed] = _lines(result.stdout, "✗")
    assert "is not a broker URL" in failed and "secret" not in result.stdout


def test_doctor_pings_a_real_redis_broker(ready, redis_url):
    result = ready("doctor", env={"LINLI_BROKER_URL": redis_url})
    assert result.exit_code == 0, result.output
    assert f"✓ broker: {redis_url} answers" in result.stdout


def test_doctor_checks_platform_tokens(ready):
    ready.settings.write_text(
        ready.settings.read_text(encoding="utf-8")
        + '\n[platforms.telegram]\n[platforms.matrix]\nhomeserver = "https://m.example.org"\n'
        + 'user_id = "@linli:m.example.org"\n',
        encoding="utf-8",
    )
    result = ready("doctor")
    assert result.exit_code == 1
    assert [line.split(":")[0] for line in _lines(result.stdout, "✗")] == ["✗ platform matrix", "✗ platform telegram"]
    assert "LINLI_TELEGRAM_TOKEN" in result.stdout and "LINLI_MATRIX_ACCESS_TOKEN" in result.stdout

    result = ready("doctor", env={"LINLI_TELEGRAM_TOKEN": "123:abc", "LINLI_MATRIX_ACCESS_TOKEN": "syt_x"})
    assert result.exit_code == 0, result.output
    assert "✓ platform telegram: configured" in result.stdout and "123:abc" not in result.stdout


def test_doctor_warns_about_rooms_on_a_platform_that_is_not_configured(ready):
    ready.ok("rooms", "bind", "telegram:-100123", "--district", "xinglong")
    result = ready("doctor")
    assert result.exit_code == 0
    assert "! platform telegram: rooms are bound but [platforms.telegram] is not configured" in result.stdout


def test_doctor_with_a_broken_settings_file_says_so_and_fails(linli):
    linli.settings.write_text("[storage\n", encoding="utf-8")
    result = linli("doctor")
    assert result.exit_code == 1
    assert _lines(result.stdout, "✗")[0].startswith("✗ settings:")


def test_doctor_reports_an_unreachable_rabbitmq_and_unshared_rate_limits(ready):
    result = ready("doctor", env={"LINLI_BROKER_URL": "amqp://guest:guest@127.0.0.1:1/"})
    assert result.exit_code == 1
    [failed] = _lines(result.stdout, "✗")
    assert failed.startswith("✗ broker: cannot reach amqp://guest:***@127.0.0.1:1/")
    assert any(line.startswith("! rate limits: kept in each process") for line in _lines(result.stdout, "!"))


def _keeps_nothing(redis_url: str) -> bool:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return client.config_get("appendonly")["appendonly"] == "no" and not client.config_get("save")["save"]
    finally:
        client.close()


def test_doctor_says_plainly_when_the_brokers_redis_keeps_nothing_on_disk(ready, redis_url):
    if not _keeps_nothing(redis_url):
        pytest.skip("this machine's Redis keeps its data on disk (tests/workers/test_durability.py covers both)")
    result = ready("doctor", env={"LINLI_BROKER_URL": redis_url})
    assert result.exit_code == 0, result.output  # a warning, not a failure
    [warning] = [line for line in _lines(result.stdout, "!") if "broker" in line]
    assert warning.startswith(f"! broker: Redis at {redis_url} keeps nothing on disk")
    assert "appendonly yes" in warning


def test_the_gateway_warns_once_at_start_when_the_brokers_redis_keeps_nothing_on_disk(ready, redis_url):
    if not _keeps_nothing(redis_url):
        pytest.skip("this machine's Redis keeps its data on disk (tests/workers/test_durability.py covers both)")
    # the Telegram gateway without its settings table stops right after its start-up checks
    result = ready("gateway", "--platform", "telegram", env={"LINLI_BROKER_URL": redis_url})
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
    assert len(warnings) == 1, result.stderr
    assert warnings[0].startswith(f"Warning: broker: Redis at {redis_url} keeps nothing on disk")
    assert "[platforms.telegram]" in result.stderr


def test_the_gateway_does_not_warn_about_a_redis_it_cannot_ask(ready):
    result = ready("gateway", "--platform", "telegram", env={"LINLI_BROKER_URL": "redis://127.0.0.1:1/0"})
    assert not [line for line in result.stderr.splitlines() if line.startswith("Warning: ")], result.stderr


def test_doctor_db_upgrade_and_districts_sync_refuse_a_bad_plugin_value_a_bad_cron_and_an_unknown_plugin(linli):
    text = linli.settings.read_text(encoding="utf-8")
    linli.settings.write_text(
        text.replace('plugins = ["core"]', 'plugins = ["core", "suggestion"]')
        + '\n[districts.heping.config.council]\nquorum = "half"\n'
        + '[districts.xinglong.config.suggestions]\ndigest_cron = "every morning"\n',
        encoding="utf-8",
    )

    out = linli("doctor").stdout
    assert '✗ settings.toml: districts.heping.config.council.quorum: expected a number, not "half"' in out
    assert "✗ settings.toml: districts.xinglong.plugins: no plugin suggestion is installed" in out
    assert '✗ settings.toml: districts.xinglong.config.suggestions.digest_cron: "every morning" is not a cron' in out
    for command in (("db", "upgrade"), ("districts", "sync")):
        assert linli.fails(*command).startswith("Error: settings.toml: districts.heping.config.council.quorum: ")
    with sqlite3.connect(linli.folder / "linli.db") as db:  # doctor made the file, nothing wrote to it
        assert db.execute("select name from sqlite_master where name = 'districts'").fetchall() == []


def test_doctor_says_when_the_settings_districts_differ_from_the_database(ready):
    text = ready.settings.read_text(encoding="utf-8")
    ready.settings.write_text(text.replace('name = "兴隆村"', 'name = "兴隆新村"'), encoding="utf-8")

    out = ready.ok("doctor")

    assert (
        "! district xinglong in the settings file differs from the database (name); the database's copy is used "
        "until you run `linli districts sync`, which writes the file's version over it" in out
    )
    ready.ok("districts", "sync")
    assert "differs" not in ready.ok("doctor")


def test_doctor_reports_a_blob_store_it_cannot_write_to(ready):
    (ready.folder / "taken").write_text("a file where the store's directory should be", encoding="utf-8")
    result = ready("doctor", env={"LINLI_STORAGE_BLOBS": "taken/blobs"})
    assert result.exit_code == 1
    assert any(line.startswith("✗ blob store taken/blobs: not writable") for line in result.stdout.splitlines())
