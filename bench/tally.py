"""Time the independent count from the database: validate + reconcile + count + compare.

    python bench/tally.py --stations 100000 --copies 3
    python bench/tally.py --stations 100000 --database-url postgres://postgres@127.0.0.1:5432/bench

Loads a simulated election (official results through the simulator's loader) and ``--copies``
protocol copies of the signed protocol at every station (``--coverage`` to copy fewer), then
times `tally.services.recount(contest, validate=True)` — everything read from and written to
the database. Loading is timed separately and not counted.

Beside it, a straightforward per-object implementation (a Python loop over ORM objects: per
station fetch its copies and their lines, check each copy, compare them, save the result and
compare with the official protocol) runs on ``--baseline`` stations and is extrapolated.
Default database: SQLite in a temporary data directory.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from _django import setup_django


def naive_station(contest, station, form, line_codes, choices) -> int:
    """The per-object way: one station, ORM objects all the way. Returns findings written."""
    from baqylau.elections.models import OfficialResult
    from baqylau.protocols.engine import validate
    from baqylau.protocols.models import Conflict, ProtocolCopy, StationResult
    from baqylau.tally.models import Finding

    copies = list(ProtocolCopy.objects.filter(contest=contest, station=station))
    figures = []
    for copy in copies:
        lines = {line.line: line.value for line in copy.lines.all()}
        votes = {vote.choice_id: vote.votes for vote in copy.votes.all()}
        result = validate(
            form,
            {code: lines.get(code) for code in line_codes},
            choices={c.code: votes.get(c.pk) for c in choices},
        )
        copy.validation = result.status.value
        copy.save(update_fields=["validation"])
        if copy.validation == "accepted" and copy.moderation != "rejected":
            figures.append((copy, lines, votes))
    if not figures:
        return 0
    result = StationResult.objects.create(
        contest=contest,
        station=station,
        status="agreed",
        copies_count=len(figures),
        copy_ids=[f[0].pk for f in figures],
    )
    agreed_lines, agreed_votes = {}, {}
    for code in line_codes:
        values = {f[1][code] for f in figures if code in f[1]}
        if len(values) == 1:
            agreed_lines[code] = values.pop()
        elif values:
            Conflict.objects.create(
                result=result,
                line=code,
                values=[{"copy": f[0].pk, "value": f[1].get(code)} for f in figures],
            )
            result.status = "conflict"
    for choice in choices:
        values = {f[2][choice.pk] for f in figures if choice.pk in f[2]}
        if len(values) == 1:
            agreed_votes[choice.pk] = values.pop()
        elif values:
            Conflict.objects.create(
                result=result,
                choice=choice,
                values=[{"copy": f[0].pk, "value": f[2].get(choice.pk)} for f in figures],
            )
            result.status = "conflict"
    result.lines = agreed_lines
    result.votes = {str(cid): value for cid, value in agreed_votes.items()}
    result.save()
    official = OfficialResult.objects.filter(contest=contest, unit=station).first()
    written = 0
    if official is not None:
        for line in official.lines.all():
            if line.line in agreed_lines and agreed_lines[line.line] != line.value:
                Finding.objects.create(
                    contest=contest,
                    unit=station,
                    kind="station_differs",
                    line=line.line,
                    observed=agreed_lines[line.line],
                    official=line.value,
                )
                written += 1
        for vote in official.votes.all():
            if vote.choice_id in agreed_votes and agreed_votes[vote.choice_id] != vote.votes:
                Finding.objects.create(
                    contest=contest,
                    unit=station,
                    kind="station_differs",
                    choice_id=vote.choice_id,
                    observed=agreed_votes[vote.choice_id],
                    official=vote.votes,
                )
                written += 1
    return written


def _settle_after_bulk_load(connection) -> None:
    """Refresh planner statistics (and, on PostgreSQL, visibility hints) after the bulk load, as
    autovacuum does within minutes on a live server; otherwise the first scan of millions of
    freshly written rows pays that one-off maintenance inside the timed recount."""
    command = "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(command)
    print(f"{command} after the bulk load (not counted): {time.perf_counter() - started:.1f} s")


def run(args: argparse.Namespace) -> None:
    import numpy as np
    from baqylau.protocols.reconciliation import contest_form, contest_line_codes
    from django.db import connection, transaction

    from baqylau.elections.models import AdminUnit
    from baqylau.protocols.models import StationResult
    from baqylau.simulate.copies import make_copies
    from baqylau.simulate.engine import SimulationConfig, simulate
    from baqylau.simulate.loader import load_simulation
    from baqylau.tally.models import Finding
    from baqylau.tally.services import recount, write_simulated_copies

    vendor = connection.vendor
    print(f"database: {vendor}  stations: {args.stations:,}  copies per station: {args.copies}")
    started = time.perf_counter()
    sim = simulate(SimulationConfig(seed=args.seed, n_stations=args.stations))
    code = f"bench-tally-{args.stations}"
    election = load_simulation(sim, election_code=code, replace=True)
    contest = election.contests.get()
    loaded_units = time.perf_counter() - started
    rng = np.random.default_rng(args.seed)
    with_copies = rng.random(sim.n_stations) < args.coverage
    copies = make_copies(sim, args.copies, typo_rate=args.typo_rate, stations=with_copies)
    started = time.perf_counter()
    write_simulated_copies(contest, sim, copies, validate=False)
    loaded_copies = time.perf_counter() - started
    print(
        f"load (not counted): election {loaded_units:.1f} s, "
        f"{copies.size:,} copies {loaded_copies:.1f} s"
    )
    _settle_after_bulk_load(connection)

    summary = recount(contest, validate=True)
    steps = summary.seconds
    core = sum(v for k, v in steps.items() if k not in ("estimate", "total"))
    print("bulk (numpy, set-based):")
    for name, seconds in steps.items():
        print(f"  {name:<12} {seconds:8.2f} s")
    print(
        f"  validate+reconcile+count+compare: {core:.2f} s (estimate included: {steps['total']:.2f} s)"
    )
    print(
        f"  copies {summary.reconcile.copies:,}, stations {summary.reconcile.stations:,} "
        f"(agreed {summary.reconcile.agreed:,}, conflict {summary.reconcile.conflict:,}), "
        f"findings: {summary.compare.stations_differ:,} stations differ, "
        f"{summary.compare.subset_exceeds_total} subset>total, "
        f"{summary.compare.parts_do_not_sum} parts≠total"
    )

    # the per-object baseline, on a subset of stations
    form = contest_form(contest)
    line_codes = contest_line_codes(contest)
    choices = list(contest.choices.order_by("number"))
    stations = list(
        AdminUnit.objects.filter(
            election=election,
            kind=AdminUnit.Kind.STATION,
            protocol_copies__contest=contest,
        )
        .distinct()
        .order_by("id")[: args.baseline]
    )
    with transaction.atomic():
        StationResult.objects.filter(contest=contest, station__in=stations).delete()
        Finding.objects.filter(contest=contest, unit__in=stations).delete()
    started = time.perf_counter()
    with transaction.atomic():
        for station in stations:
            naive_station(contest, station, form, line_codes, choices)
    naive = time.perf_counter() - started
    n_with = summary.reconcile.stations or 1
    extrapolated = naive / max(len(stations), 1) * n_with
    print(
        f"per-object loop: {naive:.2f} s for {len(stations):,} stations "
        f"→ {extrapolated:.0f} s for {n_with:,} stations (validate+reconcile+compare only)"
    )
    print(f"ratio per-object / bulk: {extrapolated / core:.0f}×")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=100_000)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--coverage", type=float, default=1.0, help="share of stations with copies")
    parser.add_argument("--typo-rate", type=float, default=0.01)
    parser.add_argument("--baseline", type=int, default=2_000, help="stations for the loop")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--data-dir", default=None, help="default: a temporary directory")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="baqylau-bench-") as tmp:
        setup_django(args.data_dir or tmp, args.database_url)
        run(args)


if __name__ == "__main__":
    main()
