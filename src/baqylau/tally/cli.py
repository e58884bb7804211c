"""`baqylau tally`: recount an election (reconcile → count → compare → estimate) and show it."""

from __future__ import annotations

from typing import Annotated

import typer

tally_app = typer.Typer(help="Independent count: reconcile copies, count, compare, estimate.")


def register(app: typer.Typer) -> None:
    app.add_typer(tally_app, name="tally")


def _setup_django() -> None:
    from baqylau.cli import setup_django

    setup_django()


def _contests(election: str):
    from baqylau.tally.selectors import contests_of

    contests = list(contests_of(election))
    if not contests:
        typer.echo(f"No election {election!r} (or it has no contest).", err=True)
        raise typer.Exit(1)
    return contests


@tally_app.command("recount")
def recount_command(
    election: Annotated[str, typer.Option(help="Election code.")],
) -> None:
    """Recompute the observed results, the count, the comparison and the estimate of every
    station now (the background jobs keep them current by themselves; this is for a check)."""
    _setup_django()
    from baqylau.tally.services import recount

    for contest in _contests(election):
        s = recount(contest)
        r = s.reconcile
        typer.echo(f"{election} / {contest.code}")
        if s.no_copies:
            typer.echo("  no copies: no protocol copy has been received for this contest yet")
        else:
            typer.echo(
                f"  copies {r.copies:,} (taking part {r.copies_used:,}); stations with a result "
                f"{r.stations:,}: agreed {r.agreed:,}, one copy {r.single:,}, copies disagree "
                f"{r.conflict:,}, settled by a moderator {r.resolved:,}"
            )
        typer.echo(f"  counted (settled) {s.stations_covered:,} of {s.stations_total:,} stations")
        c = s.compare
        typer.echo(
            f"  findings: {c.stations_differ:,} stations differ from the official result "
            f"({c.station_differs:,} figures), {c.subset_exceeds_total:,} observed subsets exceed "
            f"an official total, {c.parts_do_not_sum:,} official totals are not the sum of parts, "
            f"{c.official_inconsistent:,} stations' official figures break the protocol's checks, "
            f"{c.crowd_exceeds_official:,} figures where voters' photos exceed the official votes, "
            f"{c.crowd_declared_exceeds:,} where the voters who declared a choice do"
        )
        e = s.estimate
        if e.leader_share is not None:
            official = f"; official {e.official_share:.1%}" if e.official_share is not None else ""
            typer.echo(
                f"  estimate: leader {e.leader_share:.1%} ± {e.leader_margin:.1%}{official}; "
                f"second round: {e.second_round or 'n/a'}"
            )
            typer.echo(f"  ({e.label})")
        typer.echo("  " + ", ".join(f"{k} {v:.2f} s" for k, v in s.seconds.items()))


@tally_app.command("show")
def show_command(
    election: Annotated[str, typer.Option(help="Election code.")],
    unit_id: Annotated[int | None, typer.Option(help="Unit id (default: the country).")] = None,
    findings: Annotated[int, typer.Option(help="Findings to list.")] = 20,
) -> None:
    """Print the observed count, the estimate and the findings of a unit."""
    _setup_django()
    from baqylau.elections.models import AdminUnit
    from baqylau.tally.selectors import election_by_code, root_unit, unit_report

    el = election_by_code(election)
    if el is None:
        typer.echo(f"No election {election!r}.", err=True)
        raise typer.Exit(1)
    unit = (
        AdminUnit.objects.filter(election=el, pk=unit_id).first()
        if unit_id is not None
        else root_unit(el)
    )
    if unit is None:
        typer.echo(f"No unit {unit_id} in {election}.", err=True)
        raise typer.Exit(1)
    for contest in _contests(election):
        report = unit_report(contest, unit, findings_limit=findings)
        typer.echo(f"{election} / {contest.code} — {unit.path} ({unit.localized_name})")
        count = report.count
        if count is None:
            typer.echo("  no count yet (the background worker counts after each copy or import)")
            continue
        turnout = f"{count.turnout:.1%}" if count.turnout is not None else "n/a"
        typer.echo(
            f"  covered {count.stations_covered:,} of {count.stations_total:,} stations, "
            f"{count.registered_covered:,} of {count.registered_total:,} voters; turnout {turnout}"
        )
        for row in report.choices:
            share = f"{row['share']:.1%}" if row["share"] is not None else "—"
            est = (
                f"{row['estimate']:.1%} ± {row['margin']:.1%}"
                if row["estimate"] is not None
                else "—"
            )
            off = f"{row['official_share']:.1%}" if row["official_share"] is not None else "—"
            typer.echo(
                f"  {row['choice'].localized_name:<30} observed "
                f"{'—' if not count.stations_covered else format(row['votes'] or 0, ','):>10} "
                f"({share})  estimate {est}  official {off}"
            )
        if report.second_round:
            typer.echo(f"  second round (estimate vs threshold): {report.second_round}")
        typer.echo(f"  {report.estimate_label}")
        for f in report.findings:
            message = (f.details or {}).get("message", {})
            typer.echo(f"  [{f.kind}] {f.unit.path}: {message.get('en', '')}")
