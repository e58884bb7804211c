"""`baqylau forensics`: the forensic report of a file or of an election in the database."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("forensics")(forensics_command)


def forensics_command(
    file: Annotated[
        Path | None,
        typer.Option(
            help="A Russian CEC station file (ru2011, ru2012, ru2018, ru2020 or ru2021.csv.zip)."
        ),
    ] = None,
    year: Annotated[
        int | None, typer.Option(help="Year of --file (default: from its name).")
    ] = None,
    election: Annotated[str | None, typer.Option(help="Election code in the database.")] = None,
    unit: Annotated[str | None, typer.Option(help="Only stations under this unit path.")] = None,
    contest: Annotated[str | None, typer.Option(help="Contest code (default: the first).")] = None,
    out: Annotated[Path, typer.Option(help="Directory for report.json and figures.")] = Path(
        "forensics-report"
    ),
    draws: Annotated[int, typer.Option(min=2, help="Monte-Carlo draws.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    figures: Annotated[bool, typer.Option("--figures/--no-figures", help="Write PNG/SVG.")] = True,
    digit_choice: Annotated[
        list[str] | None,
        typer.Option(
            help="A choice (code) of the digit table besides turnout; repeat for several, "
            "'all' for every choice (default: the leader)."
        ),
    ] = None,
    digit_draws: Annotated[
        int, typer.Option(min=20, help="Bootstrap resamples of the digit table.")
    ] = 200,
    shpilkin_variant: Annotated[
        str,
        typer.Option(
            help="Shpilkin's clean region: 'peak' (up to the peak of the others' votes below "
            "the overall turnout) or 'plateau' (on until the leader's share rises); both are "
            "in the report."
        ),
    ] = "peak",
    publish: Annotated[
        bool,
        typer.Option(
            "--publish",
            help="Publish the report of --election on the public dashboard "
            "(DATA_DIR/forensics/<code>/; --out is not used).",
        ),
    ] = False,
) -> None:
    """Statistical signs of falsification (integer percentages, fingerprint, Shpilkin, ...)."""
    from rich.console import Console

    from baqylau.forensics.data import StationArrays
    from baqylau.forensics.report import forensic_report

    console = Console()
    if (file is None) == (election is None):
        raise typer.BadParameter("give exactly one of --file or --election")
    if publish and election is None:
        raise typer.BadParameter("--publish needs --election")
    if file is not None:
        if year is None:
            match = re.search(r"(20\d\d)", file.name)
            if not match:
                raise typer.BadParameter("cannot tell the year from the file name; use --year")
            year = int(match.group(1))
        arrays = StationArrays.from_russian_csv(file, year)
    else:
        from baqylau.cli import setup_django

        setup_django()
        from baqylau.forensics.selectors import station_arrays

        if publish:
            from baqylau.elections.models import Election
            from baqylau.forensics.services import publish_forensic_report, report_dir

            target = Election.objects.filter(code=election).first()
            if target is None:
                raise typer.BadParameter(f"no election {election!r} in the database")
            with console.status(f"Forensics on the official results of {election}…"), _refused():
                report = publish_forensic_report(
                    target,
                    draws=draws,
                    seed=seed,
                    unit_path=unit,
                    contest_code=contest,
                    digit_choices=digit_choice or None,
                    digit_draws=digit_draws,
                    shpilkin_variant=shpilkin_variant,
                )
            _print_report(console, report)
            console.print(f"Published: {report_dir(election)} (the election's forensics page)")
            return
        with _refused():  # e.g. no station has every figure the methods need
            arrays = station_arrays(election, unit_path=unit, contest_code=contest)

    out.mkdir(parents=True, exist_ok=True)
    with console.status(f"Forensics on {arrays.n_stations:,} stations…"), _refused():
        report = forensic_report(
            arrays,
            draws=draws,
            seed=seed,
            figures_dir=out / "figures" if figures else None,
            digit_choices=digit_choice or None,
            digit_draws=digit_draws,
            shpilkin_variant=shpilkin_variant,
        )
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    _print_report(console, report)
    console.print(f"Report: {out / 'report.json'}")


@contextmanager
def _refused():
    """Data the methods cannot use (an unknown choice, too few stations) is a message, not a
    traceback."""
    try:
        yield
    except ValueError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _print_report(console, report: dict) -> None:
    from rich.table import Table

    s = report["summary"]
    table = Table(title=f"Forensics: {s['label']} ({_stations_said(s)})")
    table.add_column("method")
    table.add_column("result")
    ip = report["integer_percentages"]
    table.add_row(
        "integer percentages",
        f"{ip['observed']:,} of {ip['stations']:,} stations at whole % "
        f"({ip['observed_turnout']:,} turnout, {ip['observed_leader']:,} leader); "
        f"excess {ip['excess']:.1f} ± {ip['excess_se']:.1f} (null sd {ip['null_sd']:.1f}, "
        f"p ≤ {ip['p_value']:.3g}, {ip['draws']} draws)",
    )
    fp = report["fingerprint"]
    table.add_row(
        "fingerprint (Klimek)",
        f"fi = {fp['fi']:.2f}, fe = {fp['fe']:.2f} (α = {fp['alpha']:g}, θ = {fp['theta']:g}, "
        f"extreme spread {fp['sigma_extreme']:g}; distance {fp['distance']:.2g} against "
        f"{fp['distance_clean']:.2g} without fraud)",
    )
    sh = report["shpilkin"]
    table.add_row(
        "Shpilkin",
        f"{sh['anomalous_votes']:,.0f} anomalous votes ({100 * sh['anomalous_share']:.1f} % "
        f"of the leader's"
        + (f", {sh['stations']:,} stations" if "stations" in sh else "")
        + f"), clean mode at {100 * sh['clean_mode_turnout']:.1f} % turnout, "
        f"clean region up to {100 * sh['clean_limit_turnout']:.1f} % ({sh['variant']}; "
        + ", ".join(f"{name}: {v['anomalous_votes']:,.0f}" for name, v in sh["variants"].items())
        + ")",
    )
    dg = report["digits"]
    table.add_row(
        "digits (weak)",
        f"2BL p = {dg['second_digit_benford']['p_value'] or float('nan'):.3g}, last digit p = "
        f"{dg['last_digit_uniform']['p_value'] or float('nan'):.3g}, "
        f"0/5 share = {dg['zero_or_five']['share'] or float('nan'):.3f}",
    )
    if "outliers" in report:
        ol = report["outliers"]
        table.add_row(
            "district outliers", f"{ol['stuffing_like']:,} stations with high turnout and share"
        )
        ob = report["observed"]
        if ob.get("available"):
            lo, hi = ob["excess_leader_votes_95"]
            table.add_row(
                "observed vs unobserved",
                f"share diff {100 * ob['leader_share_difference']:+.1f} pp; excess "
                f"{ob['excess_leader_votes']:,.0f} [{lo:,.0f}, {hi:,.0f}]",
            )
        else:
            table.add_row("observed vs unobserved", f"not available: {ob.get('reason', '')}")
    console.print(table)
    if dg.get("table"):
        console.print(_digit_table(dg["table"]))
    console.print("Every line is a statistical sign, not proof.")


def _stations_said(summary: dict) -> str:
    """How many stations the report rests on, and how many were left out for a missing figure
    (an unknown figure is never counted as 0)."""
    text = f"{summary['stations']:,} stations"
    if "left_out" not in summary:  # a report made before stations were left out
        return text
    text += f"; {summary['left_out']:,} left out for a missing figure"
    if summary.get("missing"):
        text += (
            " ("
            + ", ".join(
                f"{name.replace('_', ' ')} unknown at {count:,}"
                for name, count in summary["missing"].items()
            )
            + ")"
        )
    if summary.get("unknown_votes"):
        text += (
            f"; {summary['unknown_votes']:,} kept with a choice's votes unknown "
            "(left out of that choice's figures)"
        )
    return text


def _digit_table(data: dict):
    """The standard digit table: one row per variable and unit; a `*` marks a statistic whose
    bootstrap interval (in report.json) leaves out the reference value."""
    from rich.table import Table

    names = {
        "2bl": "2BL mean",
        "last_digit": "last digit",
        "c05": "counts 0/5",
        "p05": "percents 0/5",
        "skew": "skew",
        "kurtosis": "kurtosis",
        "dip_p": "dip test p",
    }
    ref = data["reference"]
    table = Table(
        title=f"Digit table: * = the reference is outside the 95 % bootstrap interval "
        f"({data['draws']} resamples; intervals in report.json)"
    )
    table.add_column("variable")
    table.add_column("unit")
    table.add_column("stations", justify="right")
    for key in data["statistics"]:
        title = names[key] + (f" (ref {ref[key]:g})" if key in ref else "")
        table.add_column(title, justify="right")
    for row in data["rows"]:
        cells = []
        for key in data["statistics"]:
            cell = row.get(key) or {}
            value = cell.get("value")
            if value is None:
                cells.append("—")
                continue
            cells.append(f"{value:.3f}" + (" *" if cell.get("departs") else ""))
        table.add_row(row["variable"][:30], row["unit"] or "all", f"{row['stations']:,}", *cells)
    return table
