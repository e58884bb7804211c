"""`baqylau simulate`: draw a synthetic election, store its ground truth, load it into the DB."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

LOAD_LIMIT = 200_000  # above this many stations, --load must be asked for explicitly


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)


def simulate_command(
    stations: Annotated[int, typer.Option(min=1, help="Number of polling stations.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same election).")] = 2019,
    election: Annotated[str, typer.Option(help="Code of the election to create.")] = "sim-kz",
    load: Annotated[
        bool | None,
        typer.Option(
            "--load/--no-load",
            help=f"Load into the database (default: only when stations <= {LOAD_LIMIT:,}).",
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an existing election with the same code.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Also write the ground truth .npz here "
            "(default without --load: DATA_DIR/simulations/unloaded/<election>.npz)."
        ),
    ] = None,
    regions: Annotated[int | None, typer.Option(help="Regions (default: scaled).")] = None,
    districts: Annotated[int | None, typer.Option(help="Districts (default: scaled).")] = None,
    stuffing: Annotated[float, typer.Option(min=0, max=1, help="Share stuffed.")] = 0.08,
    rewriting: Annotated[float, typer.Option(min=0, max=1, help="Share rewritten.")] = 0.05,
    inflation: Annotated[float, typer.Option(min=0, max=1, help="Share inflated.")] = 0.03,
    carousel: Annotated[float, typer.Option(min=0, max=1, help="Share with carousel.")] = 0.03,
    coverage: Annotated[float, typer.Option(min=0, max=1, help="Share observed.")] = 0.3,
    copies: Annotated[
        int,
        typer.Option(
            min=0,
            max=10,
            help="Observers' protocol copies per observed station, sent through the intake "
            "(0: none).",
        ),
    ] = 0,
    typo_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Share of copies with one figure mistyped.")
    ] = 0.01,
) -> None:
    """Simulate an election with injected fraud (ground truth kept) and load it."""
    _setup_django()
    from django.conf import settings
    from rich.console import Console

    from baqylau.simulate.engine import SimulationConfig, simulate

    console = Console()
    config = SimulationConfig(
        seed=seed,
        n_stations=stations,
        n_regions=regions,
        n_districts=districts,
        stuffing=stuffing,
        rewriting=rewriting,
        inflation=inflation,
        carousel=carousel,
        coverage=coverage,
    )
    do_load = stations <= LOAD_LIMIT if load is None else load
    timings: dict[str, float] = {}

    started = time.perf_counter()
    with console.status(f"Simulating {stations:,} stations…"):
        sim = simulate(config)
    timings["simulate"] = time.perf_counter() - started

    written: list[Path] = []
    if do_load:
        from baqylau.simulate.loader import ElectionExists, ground_truth_relpath, load_simulation

        started = time.perf_counter()
        try:
            with console.status(f"Loading {election!r} into the database…"):
                loaded = load_simulation(sim, election_code=election, replace=replace)
        except ElectionExists as exc:
            console.print(f"[red]{exc}[/red] (use --replace)")
            raise typer.Exit(1) from exc
        timings["load"] = time.perf_counter() - started
        written.append(Path(settings.DATA_DIR) / ground_truth_relpath(election))
        if copies:
            from baqylau.simulate.copies import make_copies
            from baqylau.simulate.intake import submit_copies

            started = time.perf_counter()
            with console.status(f"Observers' copies ({copies} per observed station)…"):
                drawn = make_copies(sim, k=copies, typo_rate=typo_rate, seed=seed)
                sent = submit_copies(loaded.contests.get(), sim, drawn)
            timings["copies"] = time.perf_counter() - started
            console.print(f"{sent:,} protocol copies sent through the intake.")
    if out is not None or not do_load:
        # not the path of a loaded election's ground truth, which it would overwrite
        target = out or Path(settings.DATA_DIR) / "simulations" / "unloaded" / f"{election}.npz"
        started = time.perf_counter()
        with console.status(f"Writing {target}…"):
            sim.save(target)
        timings["save"] = time.perf_counter() - started
        written.append(target)

    _print_summary(console, sim, loaded=do_load, election=election, timings=timings)
    for path in written:
        console.print(f"Ground truth: {path}")


def _setup_django() -> None:
    from baqylau.cli import setup_django

    setup_django()


def _print_summary(console, sim, *, loaded: bool, election: str, timings: dict) -> None:
    from rich.table import Table

    from baqylau.simulate.engine import MECHANISMS

    s = sim.summary()
    table = Table(title=f"Simulated election {election!r} (seed {sim.config.seed})")
    table.add_column("")
    table.add_column("true", justify="right")
    table.add_column("signed", justify="right")
    table.add_column("official", justify="right")
    table.add_row("turnout", *(f"{s[f'turnout_{v}']:.2%}" for v in ("true", "signed", "official")))
    leader = str(sim.choice_code[sim.leader])
    table.add_row(
        f"{leader} share",
        *(f"{s[f'leader_share_{v}']:.2%}" for v in ("true", "signed", "official")),
    )
    console.print(table)

    facts = Table(show_header=True)
    facts.add_column("")
    facts.add_column("stations", justify="right")
    facts.add_column("of them observed", justify="right")
    facts.add_row(
        "all",
        f"{s['stations']:,}",
        f"{s['observed']:,}",
    )
    for mech in MECHANISMS:
        mask = getattr(sim, mech)
        facts.add_row(mech, f"{int(mask.sum()):,}", f"{int((mask & sim.observed).sum()):,}")
    facts.add_row("manipulated (any)", f"{s['manipulated']:,}", f"{s['observed_manipulated']:,}")
    console.print(facts)
    console.print(
        f"{s['regions']} regions, {s['districts']:,} districts, "
        f"{s['registered']:,} registered voters; "
        + ("loaded into the database" if loaded else "not loaded into the database")
        + "; "
        + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
    )
