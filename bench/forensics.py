"""Benchmark of baqylau.forensics on a Russian station file.

    python bench/forensics.py [path]   (default ../shared/data/russia/ru2018.csv.zip)

Prints the load time, the integer-percentage Monte Carlo with 1,000 draws over all stations
(target < 10 s) and over the included ones, the full forensic report (target < 60 s), and, for
comparison, a straightforward implementation (a Python loop over draws and stations with
per-station np.random.binomial) timed on a subset and extrapolated.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import numpy as np

from baqylau.forensics.data import StationArrays, kobak_inclusion
from baqylau.forensics.integer import integer_percent_excess
from baqylau.forensics.report import forensic_report

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared/data/russia/ru2018.csv.zip"


def naive_null_counts(reg, iss, rec, lead, draws, seed=0):
    """The straightforward way: a loop over draws and over stations, one binomial at a time."""
    rs = np.random.RandomState(seed)
    counts = []
    for _ in range(draws):
        c = 0
        for i in range(len(reg)):
            t = rs.binomial(reg[i], iss[i] / reg[i])
            v = rs.binomial(rec[i], lead[i] / rec[i])
            xt, xv = 100 * t / reg[i], 100 * v / rec[i]
            if abs(xt - round(xt)) <= 0.05 or abs(xv - round(xv)) <= 0.05:
                c += 1
        counts.append(c)
    return counts


def main(path: Path) -> None:
    year = int(re.search(r"(20\d\d)", path.name).group(1))
    print(f"file: {path}  (CPUs: {os.cpu_count()})")
    t = time.perf_counter()
    arrays = StationArrays.from_russian_csv(path, year)
    print(f"load: {time.perf_counter() - t:.2f} s, {arrays.n_stations:,} stations")

    everyone = (arrays.registered > 0) & (arrays.received > 0)
    t = time.perf_counter()
    r_all = integer_percent_excess(arrays, draws=1000, seed=0, include=everyone, exact_null=False)
    t_all = time.perf_counter() - t
    print(f"integer MC, binomial, 1,000 draws × {r_all.stations:,} stations: {t_all:.2f} s")

    t = time.perf_counter()
    r = integer_percent_excess(arrays, draws=1000, seed=0)
    print(
        f"integer MC, binomial, 1,000 draws × {r.stations:,} included stations + exact null: "
        f"{time.perf_counter() - t:.2f} s\n"
        f"  observed {r.observed:,} (turnout {r.observed_turnout:,}, leader {r.observed_leader:,})"
        f"; null mean {r.null_mean:.1f}, sd {r.null_sd:.1f}; excess {r.excess:.1f} ± "
        f"{r.excess_se:.1f}; exact null {r.exact_null_mean:.2f} (sd {r.exact_null_sd:.2f}), "
        f"exact excess {r.exact_excess:.2f}"
    )
    t = time.perf_counter()
    rb = integer_percent_excess(arrays, draws=1000, seed=0, method="bernoulli", exact_null=False)
    print(
        f"integer MC, exact-equivalent Bernoulli draws, 1,000 draws: "
        f"{time.perf_counter() - t:.2f} s (excess {rb.excess:.1f})"
    )

    keep = kobak_inclusion(arrays)
    reg, iss = arrays.registered[keep], arrays.issued[keep]
    rec, lead = arrays.received[keep], arrays.leader_votes[keep]
    subset, draws = 5_000, 4
    t = time.perf_counter()
    naive_null_counts(reg[:subset], iss[:subset], rec[:subset], lead[:subset], draws)
    t_naive = time.perf_counter() - t
    extrapolated = t_naive * (1000 / draws) * (keep.sum() / subset)
    print(
        f"NAIVE (Python loop, per-station np.random.binomial): {draws} draws × {subset:,} "
        f"stations in {t_naive:.2f} s -> EXTRAPOLATED to 1,000 draws × {keep.sum():,}: "
        f"{extrapolated:.0f} s ({extrapolated / 60:.1f} min); speed ratio vs vectorised: "
        f"{extrapolated / max(r_all.seconds * keep.sum() / r_all.stations, 1e-9):.0f}×"
    )

    t = time.perf_counter()
    report = forensic_report(arrays, draws=1000, seed=0, figures_dir=Path("/tmp/baqylau-bench-fig"))
    print(f"full forensic report (1,000 draws, figures): {time.perf_counter() - t:.2f} s")
    for name, seconds in report["seconds"].items():
        print(f"  {name}: {seconds:.2f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
