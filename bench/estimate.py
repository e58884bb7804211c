"""The tally's post-stratified estimate against the truth of simulated elections, beside a ratio
estimate stratified by region only: how often each interval contains the leader's true share.

    python bench/estimate.py [--stations 10000] [--seeds 10] [--first-seed 2000]

Two series: clean elections (the coverage is biased to towns, nothing else: what
post-stratification corrects) and elections with the simulator's fraud (stuffing and carousels
also happen, more rarely, where observers are: the signed protocols themselves carry them, and
no estimate from them can remove it). Prints the time of one estimate too.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from baqylau.simulate.engine import SimulationConfig, simulate  # noqa: E402
from baqylau.simulate.estimates import leader_estimates, summary  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=2000)
    args = parser.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    for label, clean in (("clean elections", True), ("with the simulator's fraud", False)):
        rows, seconds = [], 0.0
        for seed in seeds:
            config = SimulationConfig(n_stations=args.stations, seed=seed)
            sim = simulate(config.clean() if clean else config)
            started = time.perf_counter()
            rows.append(leader_estimates(sim))
            seconds += time.perf_counter() - started
        print(f"{label}, {len(rows)} seeds × {args.stations:,} stations: {summary(rows)}")
        print(f"  both estimates of one election: {seconds / len(rows):.2f} s")


if __name__ == "__main__":
    main()
