"""`forensic_report`: every method on one set of stations, as a JSON-serialisable dict + figures.

Each section carries `shows` and `cannot_show` texts: every result here is a statistical sign
that calls for a closer look (observer reports, protocol copies, recounts), never proof — except
the crowd impossibility count, which proves a station's figures wrong when the photos are genuine.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from baqylau.forensics.data import StationArrays, kobak_inclusion
from baqylau.forensics.digits import digit_table, digit_tests
from baqylau.forensics.distributions import (
    fit_klimek,
    leader_share_histogram,
    station_rates,
    turnout_histogram,
)
from baqylau.forensics.integer import integer_percent_excess, percent_histograms
from baqylau.forensics.observed import observed_comparison
from baqylau.forensics.outliers import district_outliers
from baqylau.forensics.shpilkin import shpilkin_estimate

SIGN = "A statistical sign, not proof."
TEXTS: dict[str, tuple[str, str]] = {
    "histograms": (
        "How turnout and the leader's share are spread over stations; a long right tail or a "
        "second peak near 100 % is typical of ballot stuffing.",
        "Genuinely diverse places (villages, closed institutions) also make tails. " + SIGN,
    ),
    "integer_percentages": (
        "Whether more stations than binomial counting noise allows report a turnout or a "
        "leader share at a whole percent — figures written to a target, not counted.",
        "Which stations were falsified, or by how much; most stations at round numbers are "
        "honest. " + SIGN,
    ),
    "fingerprint": (
        "Whether the distribution of the leader's share across stations needs Klimek et al.'s "
        "incremental (fi) and extreme (fe) fraud to be explained (fitted as in the authors' "
        "program).",
        "Heterogeneous honest populations produce similar smears; fi and fe depend on the "
        "model's assumptions. " + SIGN,
    ),
    "shpilkin": (
        "An order of magnitude of the leader's votes above the clean-mode share at higher turnout.",
        "Honest turnout–preference correlation counts as anomalous; fraud at normal turnout "
        "is missed. An estimate under strong assumptions. " + SIGN,
    ),
    "digits": (
        "Whether the digits of the leader's counts depart from 2BL, uniform last digits and "
        "the 20 % share of 0/5 endings. The table gives the analysts' standard statistics "
        "(Mebane; the Election Forensics Toolkit) for turnout and choices, per unit, each with "
        "its reference value and a bootstrap interval; * marks a reference outside the interval.",
        "Weak signals: honest counts need not follow these laws. " + SIGN,
    ),
    "outliers": (
        "Stations that differ sharply from the other stations of their district: where to "
        "look first.",
        "Closed institutions and small stations differ legitimately; district-wide fraud is "
        "invisible. " + SIGN,
    ),
    "observed": (
        "Whether stations without observers report higher turnout and leader share than "
        "observed stations of the same district, and an extrapolated excess.",
        "Observers are not placed at random; fraud at observed stations or during "
        "aggregation is missed. " + SIGN,
    ),
}


def _section(name: str, result: dict[str, Any]) -> dict[str, Any]:
    shows, cannot = TEXTS[name]
    return {"shows": shows, "cannot_show": cannot, **result}


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def forensic_report(
    arrays: StationArrays,
    *,
    draws: int = 1000,
    seed: int = 0,
    figures_dir: str | Path | None = None,
    digit_choices: list[str] | None = None,
    digit_draws: int = 200,
    shpilkin_variant: str = "peak",
) -> dict[str, Any]:
    """Run every method on `arrays`; write PNG + SVG figures to `figures_dir` if given.

    `digit_choices` are the choices of the digit table besides turnout (default: the leader;
    ["all"]: every choice); `digit_draws` its bootstrap resamples; `shpilkin_variant` which
    end of Shpilkin's clean region gives the main figures ("peak" or "plateau"; both are
    reported)."""
    timings: dict[str, float] = {}
    out: dict[str, Any] = {"summary": arrays.summary(), "consistency": arrays.consistency()}

    def timed(name: str, fn, *args, **kwargs):
        start = time.perf_counter()
        value = fn(*args, **kwargs)
        timings[name] = time.perf_counter() - start
        return value

    th = timed("turnout_histogram", turnout_histogram, arrays)
    lh = timed("leader_share_histogram", leader_share_histogram, arrays)
    out["histograms"] = _section(
        "histograms",
        {
            "bin_pp": 0.5,
            "turnout_stations": th["counts"],
            "leader_share_stations": lh["counts"],
        },
    )
    integer = timed("integer_percentages", integer_percent_excess, arrays, draws=draws, seed=seed)
    out["integer_percentages"] = _section("integer_percentages", integer.to_dict())
    klimek = timed("fingerprint", fit_klimek, arrays, seed=seed)
    out["fingerprint"] = _section("fingerprint", klimek.to_dict())
    out["shpilkin"] = _section(
        "shpilkin", timed("shpilkin", shpilkin_estimate, arrays, variant=shpilkin_variant)
    )
    table = timed(
        "digit_table",
        digit_table,
        arrays,
        level="region" if "region" in arrays.units else None,
        choices=digit_choices,
        draws=digit_draws,
        seed=seed,
    )
    out["digits"] = _section(
        "digits",
        {
            "counts": "leader votes per station",
            **timed("digits", digit_tests, arrays.leader_votes),
            "table": table,
        },
    )
    if arrays.units:
        res = timed("outliers", district_outliers, arrays)
        res.pop("z")
        res.pop("stuffing_like_mask")
        out["outliers"] = _section("outliers", res)
        out["observed"] = _section(
            "observed", timed("observed", observed_comparison, arrays, seed=seed)
        )
    if figures_dir is not None:
        out["figures"] = timed(
            "figures", write_figures, arrays, Path(figures_dir), klimek=klimek, integer=integer
        )
    out["seconds"] = timings
    return _jsonable(out)


#: Languages of the figures: each figure is written once per language, as `<name>-<lang>`.
FIGURE_LANGUAGES = ("kk", "ru", "en")

#: Titles, axes and legends of the figures in kk/ru/en (the glossary's words: келу / явка for
#: turnout, учаске / участок for a polling station).
FIGURE_TEXTS: dict[str, dict[str, str]] = {
    "turnout_axis": {
        "kk": "келу (берілген бюллетеньдер / тізімдегі сайлаушылар), %",
        "ru": "явка (выданные бюллетени / избиратели в списках), %",
        "en": "turnout (issued / registered), %",
    },
    "turnout": {"kk": "келу", "ru": "явка", "en": "turnout"},
    "turnout_pct": {"kk": "келу, %", "ru": "явка, %", "en": "turnout, %"},
    "leader_pct": {"kk": "көшбасшының үлесі, %", "ru": "доля лидера, %", "en": "leader share, %"},
    "leader": {"kk": "көшбасшының үлесі", "ru": "доля лидера", "en": "leader share"},
    "stations": {"kk": "учаскелер", "ru": "участки", "en": "stations"},
    "fingerprint": {
        "kk": "сайлау саусақ ізі (учаскелер саны, логарифм)",
        "ru": "электоральный отпечаток (число участков, логарифм)",
        "en": "fingerprint (log stations)",
    },
    "klimek": {"kk": "Климек моделі", "ru": "модель Климека", "en": "Klimek fit"},
    "integer": {"kk": "бүтін пайыздар", "ru": "целые проценты", "en": "integer percentages"},
    "excess": {
        "kk": "артық учаскелер: {excess} ± {sd}",
        "ru": "избыток участков: {excess} ± {sd}",
        "en": "excess {excess} ± {sd} stations",
    },
    "stations_turnout": {
        "kk": "учаскелер (келу)",
        "ru": "участки (явка)",
        "en": "stations (turnout)",
    },
    "stations_leader": {
        "kk": "учаскелер (көшбасшы үлесі)",
        "ru": "участки (доля лидера)",
        "en": "stations (leader share)",
    },
    "percent_bins": {
        "kk": "пайыз (0,1 пайыздық тармақ аралықтары)",
        "ru": "процент (интервалы по 0,1 п. п.)",
        "en": "percent (0.1 pp bins)",
    },
}


def figure_text(key: str, lang: str) -> str:
    """One text of the figures in ``lang`` (English when the language is not known)."""
    texts = FIGURE_TEXTS[key]
    return texts.get(lang, texts["en"])


def write_figures(
    arrays: StationArrays,
    directory: Path,
    *,
    klimek=None,
    integer=None,
    languages: tuple[str, ...] = FIGURE_LANGUAGES,
) -> list[str]:
    """Turnout and leader-share histograms, fingerprint heatmap, integer-percent histograms:
    each in every language of ``languages`` (titles, axes and legends), as `<name>-<lang>`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    label = arrays.label or "stations"

    def save(fig, name: str) -> None:
        for ext in ("png", "svg"):
            path = directory / f"{name}.{ext}"
            fig.savefig(path, dpi=120, bbox_inches="tight")
            written.append(str(path))
        plt.close(fig)

    histograms = (
        ("turnout_histogram", turnout_histogram(arrays), "turnout_axis", "turnout"),
        ("leader_share_histogram", leader_share_histogram(arrays), "leader_pct", "leader"),
    )
    ok, turnout, share = station_rates(arrays)
    h, xe, ye = np.histogram2d(turnout * 100, share * 100, bins=100, range=[[0, 100], [0, 100]])
    ph = percent_histograms(arrays, kobak_inclusion(arrays))
    centres = (ph["edges"][:-1] + ph["edges"][1:]) / 2
    for lang in languages:

        def t(key: str, lang: str = lang) -> str:
            return figure_text(key, lang)

        for name, hist, axis, short in histograms:
            fig, ax = plt.subplots(figsize=(8, 3.5))
            ax.stairs(hist["counts"], 100 * hist["edges"], fill=True, alpha=0.7)
            ax.set_xlabel(t(axis))
            ax.set_ylabel(t("stations"))
            ax.set_title(f"{label}: {t(short)}")
            save(fig, f"{name}-{lang}")

        fig, ax = plt.subplots(figsize=(5.5, 5))
        ax.imshow(
            np.log1p(h.T), origin="lower", extent=[0, 100, 0, 100], cmap="magma", aspect="auto"
        )
        ax.set_xlabel(t("turnout_pct"))
        ax.set_ylabel(t("leader_pct"))
        title = f"{label}: {t('fingerprint')}"
        if klimek is not None:
            title += f"\n{t('klimek')}: fi={klimek.fi:.2f}, fe={klimek.fe:.2f}"
        ax.set_title(title)
        save(fig, f"fingerprint-{lang}")

        fig, axes = plt.subplots(2, 1, figsize=(9, 5), sharex=True)
        for ax, key, ylabel in zip(
            axes, ("turnout", "leader_share"), ("stations_turnout", "stations_leader"), strict=True
        ):
            ax.plot(centres, ph[key], lw=0.6, label=t(ylabel))
            ax.set_ylabel(t(ylabel))
            ax.legend(loc="upper right", fontsize="small")
        axes[-1].set_xlabel(t("percent_bins"))
        title = f"{label}: {t('integer')}"
        if integer is not None:
            excess = t("excess").format(excess=f"{integer.excess:.0f}", sd=f"{integer.null_sd:.0f}")
            title += f" — {excess}"
        axes[0].set_title(title)
        save(fig, f"integer_percentages-{lang}")
    return written


__all__ = [
    "FIGURE_LANGUAGES",
    "FIGURE_TEXTS",
    "TEXTS",
    "figure_text",
    "forensic_report",
    "write_figures",
]
