"""`baqylau bot run|link-code|pause|resume|broadcast|users|groups`."""

from __future__ import annotations

import asyncio
import os

import typer

bot_app = typer.Typer(help="The Telegram bots: Alaman (observers) and Bayge (voters).")


def _setup() -> None:
    from baqylau.cli import setup_django

    setup_django()


def _names(bot: str) -> tuple[str, ...]:
    from baqylau.bots.runtime import BOTS

    if bot == "all":
        return tuple(name for name in BOTS if os.environ.get(f"{name.upper()}_BOT_TOKEN"))
    if bot not in BOTS:
        raise typer.BadParameter(f"unknown bot {bot!r} (alaman, bayge, all)")
    return (bot,)


@bot_app.command("run")
def run(
    mode: str = typer.Option("polling", help="polling or webhook."),
    bot: str = typer.Option("all", help="alaman, bayge or all (those with a token)."),
    url: str = typer.Option("", help="Webhook mode: the site's public https base URL."),
    host: str = typer.Option("127.0.0.1", help="Webhook mode: address to serve on."),
    port: int = typer.Option(8000, help="Webhook mode: port to serve on."),
    workers: int = typer.Option(
        1,
        min=1,
        help=(
            "Webhook mode: server processes (uvicorn workers). Each process has its own lanes "
            "(trusted senders, per-sender order, low-lane counts): one sender's updates keep "
            "their order only within a process. The duplicate-photo check holds across "
            "processes (a per-contest database lock)."
        ),
    ),
) -> None:
    """Run the bots: long polling, or register the webhook and serve it (with the web app) in
    one or more processes (`--workers`)."""
    _setup()
    from baqylau.bots import runtime

    names = _names(bot)
    if not names:
        raise typer.BadParameter("no bot token set (ALAMAN_BOT_TOKEN, BAYGE_BOT_TOKEN)")
    if mode == "polling":
        if workers > 1:
            raise typer.BadParameter("--workers is for webhook mode (polling is one process)")
        typer.echo(f"polling: {', '.join(names)}")
        asyncio.run(runtime.run_polling(names))
    elif mode == "webhook":
        if not url:
            raise typer.BadParameter("--url is required in webhook mode")
        urls = asyncio.run(runtime.set_webhooks(names, url))
        for name, hook in urls.items():
            typer.echo(f"{name}: webhook {hook}")
        serve(host, port, workers)
    else:
        raise typer.BadParameter("mode must be polling or webhook")


def serve(host: str, port: int, workers: int) -> None:
    """Serve the site and the webhooks with uvicorn; `workers` > 1 starts that many processes
    behind one socket (uvicorn needs the application's import string for that)."""
    import uvicorn

    uvicorn.run("baqylau.asgi:application", host=host, port=port, workers=workers, log_level="info")


@bot_app.command("link-code")
def link_code(
    public_id: str = typer.Argument(..., help="The observer's public id (OBS-…)."),
) -> None:
    """Issue a one-time code linking an observer's Telegram account (valid 48 hours)."""
    _setup()
    from baqylau.bots.services import link_code_issue
    from baqylau.observers.models import Observer

    observer = Observer.objects.filter(public_id=public_id).first()
    if observer is None:
        raise typer.BadParameter(f"no observer {public_id}")
    typer.echo(link_code_issue(observer, created_by="cli"))


@bot_app.command("pause")
def pause(bot: str = typer.Argument(...)) -> None:
    """Pause intake: the bot answers politely and still stores what it receives."""
    _setup()
    from baqylau.bots.services import intake_pause_set

    for name in _names(bot):
        intake_pause_set(name, True)


@bot_app.command("resume")
def resume(bot: str = typer.Argument(...)) -> None:
    _setup()
    from baqylau.bots.services import intake_pause_set

    for name in _names(bot):
        intake_pause_set(name, False)


@bot_app.command("broadcast")
def broadcast_command(
    text: str = typer.Argument(...),
    region: str = typer.Option("", help="Unit path (e.g. KZ/R1); all observers when empty."),
    election: str = typer.Option("", help="Election code (with --region)."),
) -> None:
    """Message the linked observers of a region (≤30 messages/s, retries after 429)."""
    _setup()
    from baqylau.bots.broadcast import broadcast
    from baqylau.bots.runtime import make_bot
    from baqylau.elections.models import AdminUnit

    unit = None
    if region:
        unit = AdminUnit.objects.filter(path=region, election__code=election).first()
        if unit is None:
            raise typer.BadParameter(f"no unit {region} in election {election}")

    async def go():
        bot = make_bot("alaman")
        try:
            return await broadcast(bot, region=unit, text=text, created_by="cli")
        finally:
            await bot.session.close()

    record = asyncio.run(go())
    typer.echo(f"sent {record.sent} of {record.recipients}, failed {record.failed}")


@bot_app.command("users")
def users() -> None:
    """Users of each bot."""
    _setup()
    from baqylau.bots.selectors import bot_user_counts

    for name, count in bot_user_counts().items():
        typer.echo(f"{name}: {count}")


@bot_app.command("groups")
def groups() -> None:
    """Run the voters' population detection now (it also runs by itself as ballots arrive) and
    list the suspect groups of accounts waiting for a moderator."""
    _setup()
    from baqylau.crowd.selectors import suspect_groups
    from baqylau.crowd.services import poll_target, population_detect

    _election, contest = poll_target()
    if contest is None:
        raise typer.Exit("no contest for the voters' bot")
    summary = population_detect(contest)
    typer.echo(
        f"{summary.groups} suspect groups ({summary.accounts_held} accounts and "
        f"{summary.ballots_held} ballots newly held); {summary.surges} surges of new accounts"
    )
    if summary.divergence:
        d = summary.divergence
        typer.echo(
            f"unverified vs phone-verified choices: TVD {d['tvd']}, p {d['p_value']} "
            f"({d['unverified']} unverified, {d['verified']} verified ballots)"
        )
    for group in suspect_groups():
        typer.echo(
            f"  group {group.pk} {group.signature}: {group.accounts} accounts, "
            f"{group.held_ballots} ballots held; {', '.join(group.reasons)}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(bot_app, name="bot")
