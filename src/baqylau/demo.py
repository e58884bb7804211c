"""`baqylau demo`: set up the database, load a simulated national election, serve the web app."""

from __future__ import annotations

import typer
from rich.console import Console

DEMO_ELECTION = "demo-kz"


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        stations: int = typer.Option(10_000, help="Polling stations in the simulated election."),
        seed: int = typer.Option(2019, help="Random seed of the simulation."),
        host: str = typer.Option("127.0.0.1", help="Address to serve on."),
        port: int = typer.Option(8000, help="Port to serve on."),
        serve: bool = typer.Option(True, help="Serve the web app after loading."),
    ) -> None:
        """Migrate, load a simulated national election with official results, and serve it."""
        from baqylau.cli import serve as serve_command
        from baqylau.cli import setup_django
        from baqylau.server import DEFAULT_THREADS

        setup_django()
        from django.core.management import call_command

        from baqylau.dashboard.services import rebuild_summaries
        from baqylau.elections.models import Election
        from baqylau.jobs.worker import run_until_idle

        console = Console()
        call_command("migrate", interactive=False, verbosity=0)
        election = Election.objects.filter(code=DEMO_ELECTION).first()
        if election is None:
            election = _load_demo_election(stations, seed, console)
        else:
            console.print(f"Election [bold]{DEMO_ELECTION}[/] is already loaded.")
        with console.status("Computing totals per unit…"):
            run_until_idle()  # whatever the loading queued (recounts), before serving
            rebuild_summaries(election)
        console.print(
            f"Ready: [bold]{election.units.filter(kind='station').count():,}[/] stations."
        )
        _print_accounts(demo_staff(election), host, port, console)
        if serve:
            serve_command(host=host, port=port, workers=1, threads=DEFAULT_THREADS, asgi=False)


DEMO_ORGANISATION = "demo-observers"
DEMO_OBSERVERS = 30
# (user name, role); the observer account is linked to the first demo observer.
DEMO_ACCOUNTS = (
    ("demo-admin", "admin"),
    ("demo-coordinator", "coordinator"),
    ("demo-regional", "regional"),
    ("demo-moderator", "moderator"),
    ("demo-lawyer", "lawyer"),
    ("demo-observer", "observer"),
)
_DEMO_NAMES = (
    "Айгерім Сапарова",
    "Нұрлан Ахметов",
    "Дина Жұмабаева",
    "Ерлан Қасымов",
    "Мадина Ермекова",
    "Асхат Оспанов",
    "Гүлнар Бекова",
    "Тимур Сейітов",
    "Әсел Нұрланқызы",
    "Бауыржан Әлиев",
)


def demo_staff(election) -> tuple[str, dict[str, str]]:
    """The demo organisation, its observers placed at the first stations (natural order), and one
    account per role. A fresh password is set on every start and returned to be printed (demo
    only: a real installation creates its accounts in the admin or with `baqylau observers`)."""
    import secrets

    from django.contrib.auth import get_user_model
    from django.db import transaction

    from baqylau.elections.selectors import natural_key
    from baqylau.observers.models import Membership, Observer, Organisation
    from baqylau.observers.services import add_membership, assign_observer, create_observer

    password = "demo-" + secrets.token_urlsafe(6)
    with transaction.atomic():
        org, created = Organisation.objects.get_or_create(
            code=DEMO_ORGANISATION,
            defaults={
                "kind": Organisation.Kind.NGO,
                "name_kk": "«Таза сайлау» демо-бірлестігі",
                "name_ru": "Демо-объединение «Честные выборы»",
                "name_en": "Clean Elections (demo)",
            },
        )
        if created:
            stations = sorted(
                election.units.filter(kind="station"), key=lambda u: natural_key(u.code)
            )[:DEMO_OBSERVERS]
            for i, station in enumerate(stations):
                observer = create_observer(
                    organisation=org,
                    name=_DEMO_NAMES[i % len(_DEMO_NAMES)],
                    phone=f"+7 700 555 {i:04d}",
                    training=Observer.Training.TRAINED,
                    languages=["kk", "ru"],
                    language="kk",
                )
                assign_observer(observer=observer, station=station, shift="opening")
                assign_observer(observer=observer, station=station, shift="count")
        region = election.units.filter(kind="region").order_by("code").first()
        first_observer = org.observers.order_by("created_at", "id").first()
        User = get_user_model()
        for username, role in DEMO_ACCOUNTS:
            user, _new = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_active = True
            if role == "admin":
                user.is_staff = user.is_superuser = True
            user.save()
            if not Membership.objects.filter(user=user, organisation=org, role=role).exists():
                add_membership(
                    user=user,
                    organisation=org,
                    role=role,
                    region=region if role == "regional" else None,
                    observer=first_observer if role == "observer" else None,
                )
    return password, dict(DEMO_ACCOUNTS)


def _print_accounts(accounts: tuple[str, dict[str, str]], host: str, port: int, console) -> None:
    password, roles = accounts
    base = f"http://{host}:{port}"
    console.print(f"Demo password (demo only, new at every start): [bold]{password}[/]")
    for username, role in roles.items():
        where = f"{base}/kk/observe/" if role == "observer" else f"{base}/kk/staff/login/"
        console.print(f"  {role:<12} [bold]{username}[/]  → {where}")
    console.file.flush()  # seen at once even when the output is a pipe (a log, a test)


def _load_demo_election(stations: int, seed: int, console: Console):
    """A simulated election with official results, and three observers' protocol copies from
    every observed station (with a few typos, so some copies disagree) sent through the intake
    like any observer's, counted and compared."""
    from baqylau.forensics.services import publish_forensic_report
    from baqylau.simulate.copies import make_copies
    from baqylau.simulate.crowd import make_crowd_ballots
    from baqylau.simulate.engine import SimulationConfig, simulate
    from baqylau.simulate.intake import submit_copies, submit_crowd_ballots
    from baqylau.simulate.loader import load_simulation
    from baqylau.tally.services import recount

    with console.status(f"Simulating {stations:,} polling stations (seed {seed})…"):
        result = simulate(SimulationConfig(seed=seed, n_stations=stations))
    with console.status("Loading the simulated election into the database…"):
        election = load_simulation(result, election_code=DEMO_ELECTION)
    contest = election.contests.get()
    with console.status("Observers' protocol copies from the observed stations…"):
        copies = make_copies(result, k=3, typo_rate=0.01, seed=seed, stations=result.observed)
        submit_copies(contest, result, copies)
    with console.status("Voters' ballots through the voters' bot (with spam and duplicates)…"):
        crowd = make_crowd_ballots(result, seed=seed, max_voters=max(200, stations // 10))
        sent = submit_crowd_ballots(contest, result, crowd)
    console.print(
        f"Voters' bot: {crowd.size:,} ballots from {len(set(crowd.station.tolist())):,} stations, "
        f"{sent['counted']:,} counted; {sent['not_counted']:,} set aside (spam, duplicates, "
        f"copied photos); {sent['phone_verified']:,} voters phone-verified."
    )
    with console.status("Independent count and comparison with the official result…"):
        summary = recount(contest)
    _print_crowd_headline(contest, console)
    with console.status("Forensic report of the official results (a sign, not proof)…"):
        publish_forensic_report(election, draws=200, seed=seed)
    reconciled, estimate = summary.reconcile, summary.estimate
    console.print(
        f"Independent count: {reconciled.copies:,} copies from {reconciled.stations:,} stations "
        f"({reconciled.agreed:,} agree, {reconciled.conflict:,} whose copies disagree wait for a "
        f"moderator); {summary.compare.stations_differ:,} stations whose official figures differ "
        f"from the signed copies."
    )
    if estimate.leader_share is not None:
        console.print(
            f"Leader's share estimated from observed stations: {estimate.leader_share:.1%} "
            f"± {estimate.leader_margin:.1%} (official {estimate.official_share:.1%}); "
            f"{estimate.label}"
        )
    return election


def _print_crowd_headline(contest, console: Console) -> None:
    """The published "from voters" figure of the whole election, as the tally stored it (verified
    tiers only), and the unverified ballots it leaves out."""
    from baqylau.tally.models import UnitCount

    root = UnitCount.objects.filter(contest=contest, unit__depth=0).first()
    crowd = root.crowd if root is not None else {}
    if not crowd.get("stations"):
        console.print("From voters (headline, verified tiers): no verified voters' figure.")
        return
    declared = sum(crowd.get("declared", {}).values())
    unverified = sum(crowd.get("unverified", {}).values())
    console.print(
        f"From voters (headline, verified tiers): {declared:,} votes from "
        f"{crowd.get('stations', 0):,} stations; {unverified:,} unverified ballots shown apart."
    )
