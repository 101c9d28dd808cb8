"""``linli worker``, ``gateway`` and ``scheduler`` refuse what cannot work, in one clear line,
before they start anything."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from linli.cli import main


@pytest.fixture
def run(tmp_path, monkeypatch):
    # linli worker passes its settings and poll interval to Dramatiq through the environment
    for name in ("LINLI_SETTINGS", "LINLI_BROKER_URL", "dramatiq_worker_timeout"):
        monkeypatch.delenv(name, raising=False)

    def run(settings: str, *args: str):
        path = tmp_path / "settings.toml"
        path.write_text(settings)
        return CliRunner().invoke(main, ["--settings", str(path), *args])

    return run


SHARED = '[queue]\nbroker = "redis://127.0.0.1:6379/11"\n'


@pytest.mark.parametrize("command", [["worker"], ["gateway", "--platform", "console"], ["scheduler"]])
def test_the_process_commands_refuse_the_in_process_broker(run, command):
    result = run('[queue]\nbroker = "memory://"\n', *command)
    assert result.exit_code == 2
    assert "memory://" in result.output


def test_a_worker_refuses_to_consume_the_consoles_outbox(run):
    result = run(SHARED, "worker", "--queues", "linli.events,linli.outbox.console")
    assert result.exit_code == 2
    assert "the console gateway delivers its own messages" in result.output


def test_a_worker_refuses_an_outbox_it_has_no_adapter_for(run):
    result = run(SHARED, "worker", "-Q", "linli.outbox.telegram")
    assert result.exit_code == 2
    assert "configure [platforms.telegram]" in result.output


def test_a_worker_refuses_a_queue_that_is_not_linlis(run):
    result = run(SHARED, "worker", "-Q", "default")
    assert result.exit_code == 2
    assert "'default' is not one of linli's queues" in result.output


def test_the_gateway_offers_only_the_platforms_that_exist(run):
    result = run(SHARED, "gateway", "--platform", "xmpp")
    assert result.exit_code == 2
    assert "console" in result.output and "telegram" in result.output and "matrix" in result.output


def test_the_matrix_gateway_needs_its_settings_table(run):
    result = run(SHARED, "gateway", "--platform", "matrix")
    assert result.exit_code == 2
    assert "[platforms.matrix]" in result.output


def test_the_telegram_gateway_needs_its_settings_table(run):
    result = run(SHARED, "gateway", "--platform", "telegram")
    assert result.exit_code == 2
    assert "[platforms.telegram]" in result.output
