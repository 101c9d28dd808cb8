"""Plugin configuration: declared with types and limits, districts' values checked against it."""

from __future__ import annotations

import pytest

from linli.core.config import Config, check_districts, check_value, settings_problems
from linli.core.errors import SettingsError
from linli.core.i18n import translator
from linli.core.registry import PluginRegistry
from linli.core.settings import DistrictSettings, Settings
from linli.plugins.basics import BasicsPlugin
from linli.plugins.council import CouncilPlugin
from linli.plugins.mediation import MediationPlugin
from linli.plugins.suggestions import SuggestionsPlugin

REGISTRY = PluginRegistry([BasicsPlugin, CouncilPlugin, MediationPlugin, SuggestionsPlugin])


def problems(plugins=("core", "council", "mediation", "suggestions"), **config):
    district = DistrictSettings(id="heping", name="和平社区", plugins=tuple(plugins), config=config)
    return [(key, str(problem)) for key, problem in settings_problems([district], REGISTRY)]


# --- one key ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("default", "value", "problem"),
    [
        (3, "four", 'expected a whole number, not "four"'),
        (3, 2.5, "expected a whole number, not 2.5"),
        (3, True, "expected a whole number, not true"),
        (False, "no", 'expected true or false, not "no"'),
        ("", 3, "expected text in quotes, not 3"),
        (0.5, "half", 'expected a number, not "half"'),
    ],
)
def test_a_plain_default_declares_the_keys_type(default, value, problem):
    assert str(check_value(Config(default), value)) == problem


def test_a_float_key_takes_a_whole_number_too():
    assert check_value(Config(0.5), 1) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [(0, "must be more than 0, not 0"), (1, "must be less than 1, not 1"), (-0.2, "must be more than 0, not -0.2")],
)
def test_limits_are_kept(value, problem):
    assert str(check_value(Config(0.5, above=0, below=1), value)) == problem
    assert check_value(Config(0.5, above=0, below=1), 0.6) is None


def test_a_key_with_choices_takes_only_those():
    spec = Config("person", choices=("person", "household"))

    assert str(check_value(spec, "family")) == 'must be one of "person", "household", not "family"'
    assert check_value(spec, "household") is None


def test_a_cron_key_takes_a_cron_expression_or_nothing():
    spec = Config("30 8 * * *", cron=True)

    assert str(check_value(spec, "every morning")).startswith('"every morning" is not a cron expression')
    assert check_value(spec, "0 9 * * 1-5") is None
    assert check_value(spec, "") is None


# --- the districts of a settings file ------------------------------------------------------------------


def test_the_plugins_shipped_declare_their_limits():
    assert problems(council={"quorum": "half", "threshold": 1.5, "counting": "family"}) == [
        ("districts.heping.config.council.quorum", 'expected a number, not "half"'),
        ("districts.heping.config.council.threshold", "must be less than 1, not 1.5"),
        ("districts.heping.config.council.counting", 'must be one of "person", "household", not "family"'),
    ]
    assert problems(mediation={"meeting_cron": "every morning", "team_room": "team"})[1] == (
        "districts.heping.config.mediation.team_room",
        "\"team\" is not a room: write 'platform:room', such as 'telegram:-100123' or 'console:demo'",
    )


def test_a_valid_configuration_has_no_problems():
    assert problems(council={"quorum": 0.6, "counting": "household"}, suggestions={"digest_cron": ""}) == []


def test_a_plugin_that_is_not_installed_is_a_problem_in_the_list_and_in_the_config():
    assert [key for key, _ in problems(plugins=("core", "suggestion"), suggestion={"x": 1})] == [
        "districts.heping.plugins",
        "districts.heping.config.suggestion",
    ]


def test_a_misspelt_key_is_a_problem_and_the_plugins_keys_are_named():
    [(key, problem)] = problems(council={"quorom": 0.6})

    assert key == "districts.heping.config.council.quorom"
    assert problem.startswith("council has no such setting (its settings: ") and "quorum" in problem


def test_check_districts_refuses_in_one_translated_line_naming_the_file_and_the_key(tmp_path):
    district = DistrictSettings(id="heping", name="和平社区", config={"council": {"quorum": "half"}})
    settings = Settings(path=tmp_path / "settings.toml", districts=(district,))

    with pytest.raises(SettingsError) as raised:
        check_districts(settings, REGISTRY)

    line = raised.value.translated(translator("zh_CN"))
    assert line.startswith(f"{tmp_path / 'settings.toml'}: districts.heping.config.council.quorum: ")
    assert "half" in line and "expected" not in line


def test_start_up_refuses_a_bad_value(tmp_path):
    from linli.testing import ChatHarness

    with pytest.raises(SettingsError, match=r"districts\.test\.config\.council\.quorum"):
        ChatHarness(tmp_path, config={"council": {"quorum": "half"}})
