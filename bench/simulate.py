"""Time the simulator (pure numpy): `python bench/simulate.py [stations ...]`.

Prints, for 10k, 100k and 1M stations by default, the time to simulate, to write the ground
truth .npz and to read it back.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from baqylau.simulate.engine import SimulatedElection, SimulationConfig, check_protocols, simulate


def bench(n_stations: int, directory: Path) -> dict[str, float]:
    started = time.perf_counter()
    sim = simulate(SimulationConfig(n_stations=n_stations, seed=1))
    simulated = time.perf_counter() - started
    broken = check_protocols(sim.official_lines, sim.official_votes)
    assert not any(mask.any() for mask in broken.values()), "control relations broken"
    path = directory / f"sim-{n_stations}.npz"
    started = time.perf_counter()
    sim.save(path)
    saved = time.perf_counter() - started
    started = time.perf_counter()
    SimulatedElection.load(path)
    loaded = time.perf_counter() - started
    return {
        "simulate": simulated,
        "save": saved,
        "load": loaded,
        "MB": path.stat().st_size / 1e6,
    }


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10_000, 100_000, 1_000_000]
    print(f"{'stations':>10} {'simulate s':>11} {'save s':>8} {'load s':>8} {'npz MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            r = bench(n, Path(tmp))
            print(
                f"{n:>10,} {r['simulate']:>11.2f} {r['save']:>8.2f} {r['load']:>8.2f} "
                f"{r['MB']:>8.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
