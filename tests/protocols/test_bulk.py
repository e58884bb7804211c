"""The vectorised engine: speed, missing values, per-choice masks; and the engine's isolation."""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from baqylau.protocols import engine
from baqylau.protocols.engine import load_form, validate_arrays


def _synthetic(n: int, n_choices: int, seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    votes = rng.integers(0, 400, size=(n, n_choices))
    invalid = rng.integers(0, 20, size=n)
    took_part = votes.sum(axis=1) + invalid
    issued = took_part + rng.integers(0, 5, size=n)
    unused = rng.integers(0, 300, size=n)
    lines = {
        "L1": issued + rng.integers(0, 2000, size=n),
        "L2": issued + unused,
        "L3": issued,
        "L4": took_part // 20,
        "L5": took_part,
        "L5a": took_part // 50,
        "L7": invalid,
        "L8": unused,
    }
    return lines, votes


def test_hundred_thousand_stations_well_under_a_second() -> None:
    form = load_form("kz_president")
    lines, votes = _synthetic(100_000, 8)
    lines["L2"][:10] += 1  # ten stations where the ballots do not balance
    votes[10:15, 3] = lines["L1"][10:15] + 1  # five where a candidate beats the voter list
    validate_arrays(form, lines, votes)  # warm-up
    start = time.perf_counter()
    bulk = validate_arrays(form, lines, votes, {"turnout_review_above": 0.7})
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5, f"{elapsed:.3f}s"
    counts = bulk.counts()
    assert counts["ballots_balance"] == 10
    assert counts["choice_le_registered"] == 5
    assert bulk.relations["choice_le_registered"].by_choice[10:15, 3].all()
    assert bulk.relations["choice_le_registered"].by_choice.sum() == 5
    assert bulk.errors_total == 15
    status = bulk.status()
    assert (status[:15] == "failed").all()
    assert bulk.error_mask[:15].all() and not bulk.error_mask[15:].any()


def test_missing_values_leave_relations_unchecked() -> None:
    form = load_form("kz_president")
    lines, votes = _synthetic(3, 2)
    lines["L8"] = np.ma.masked_array(lines["L8"], mask=[False, True, False])
    lines["L2"] = lines["L2"] + np.array([0, 5, 0])  # would break ballots_balance at station 1
    float_votes = votes.astype(float)
    float_votes[2, 0] = np.nan
    bulk = validate_arrays(form, lines, float_votes)
    balance = bulk.relations["ballots_balance"]
    assert balance.violated.tolist() == [False, False, False]
    assert balance.unchecked.tolist() == [False, True, False]
    assert bulk.relations["votes_balance"].unchecked.tolist() == [False, False, True]
    assert bulk.checks["missing_line:L8"][1].tolist() == [False, True, False]
    assert bulk.checks["missing_choice"][1].tolist() == [False, False, True]
    assert bulk.status().tolist() == ["passed", "failed", "failed"]


def test_engine_imports_no_django() -> None:
    package = Path(engine.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(name.split(".")[0] == "django" for name in names), path
    code = (
        "import sys; import baqylau.protocols.engine as e; e.load_form('kz_president');"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
