"""`baqylau bot run` options (uvicorn itself is not started: its call is recorded)."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from baqylau.bots import cli, runtime


def _app() -> typer.Typer:
    app = typer.Typer()
    cli.register(app)
    return app


def _record_serving(monkeypatch) -> list[dict]:
    import uvicorn

    calls: list[dict] = []

    async def set_webhooks(names, base_url):
        return {name: f"{base_url}/bots/webhook/{name}/" for name in names}

    monkeypatch.setattr(runtime, "set_webhooks", set_webhooks)
    monkeypatch.setattr(
        uvicorn, "run", lambda app, **options: calls.append({"app": app, **options})
    )
    return calls


def test_webhook_mode_serves_in_the_given_number_of_processes(monkeypatch):
    calls = _record_serving(monkeypatch)
    args = ["bot", "run", "--mode", "webhook", "--bot", "bayge", "--url", "https://example.kz"]
    result = CliRunner().invoke(_app(), [*args, "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert "bayge: webhook https://example.kz/bots/webhook/bayge/" in result.output
    # several processes need the import string, not the application object
    assert calls == [
        {
            "app": "baqylau.asgi:application",
            "host": "127.0.0.1",
            "port": 8000,
            "workers": 3,
            "log_level": "info",
        }
    ]
    assert CliRunner().invoke(_app(), args).exit_code == 0
    assert calls[-1]["workers"] == 1  # one process by default


def test_workers_are_refused_in_polling_mode_and_below_one(monkeypatch):
    calls = _record_serving(monkeypatch)
    polling = ["bot", "run", "--mode", "polling", "--bot", "bayge", "--workers", "2"]
    result = CliRunner().invoke(_app(), polling)
    assert result.exit_code != 0 and "webhook mode" in result.output
    webhook = ["bot", "run", "--mode", "webhook", "--bot", "bayge", "--url", "https://x.kz"]
    assert CliRunner().invoke(_app(), [*webhook, "--workers", "0"]).exit_code != 0
    assert calls == []
