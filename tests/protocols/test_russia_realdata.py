"""Real data: every station of the Russian CEC files of 2011 and 2018 passes the official relations.

The files (shared/data/russia, see its README) hold one protocol per row; lines are mapped to
columns by each form line's `source_column`, and the choices are the columns between the last
line and `url`.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from baqylau.protocols.engine import ProtocolForm, Severity, load_form, validate, validate_arrays

from ..conftest import shared_file

pytestmark = pytest.mark.realdata

CASES = {
    "ru2011": ("ru_uik_2011", 95_225, 109_229_337),
    "ru2018": ("ru_uik_2018", 97_699, 109_008_428),
}
ID_COLUMNS = {"region", "tik", "uik", "url"}


@dataclass
class Stations:
    form: ProtocolForm
    lines: dict[str, np.ndarray]
    choices: np.ndarray
    choice_names: list[str]


def read_stations(path: Path, form: ProtocolForm) -> Stations:
    with zipfile.ZipFile(path) as archive, archive.open(archive.namelist()[0]) as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8"))
        header = next(reader)
        rows = list(reader)
    columns = form.source_columns()
    missing = set(columns) - set(header)
    assert not missing, f"columns of {form} not in {path.name}: {missing}"
    line_index = {columns[name]: i for i, name in enumerate(header) if name in columns}
    choice_index = [
        i for i, name in enumerate(header) if name not in columns and name not in ID_COLUMNS
    ]
    numeric = sorted(line_index.values()) + choice_index
    table = np.array([[int(row[i]) for i in numeric] for row in rows], dtype=np.int64)
    position = {i: k for k, i in enumerate(numeric)}
    lines = {code: table[:, position[i]] for code, i in line_index.items()}
    choices = table[:, [position[i] for i in choice_index]]
    return Stations(form, lines, choices, [header[i] for i in choice_index])


@pytest.fixture(scope="module", params=sorted(CASES))
def stations(request, shared_data) -> tuple[str, Stations]:
    name = request.param
    path = shared_file(shared_data, f"russia/{name}.csv.zip")
    return name, read_stations(path, load_form(CASES[name][0]))


def test_file_matches_known_totals(stations) -> None:
    name, data = stations
    _, n_stations, registered = CASES[name]
    assert data.choices.shape[0] == n_stations
    assert int(data.lines["L1"].sum()) == registered
    assert data.choices.shape[1] == (7 if name == "ru2011" else 8)


def test_vectorised_engine_reports_zero_errors_at_every_station(stations) -> None:
    name, data = stations
    start = time.perf_counter()
    bulk = validate_arrays(data.form, data.lines, data.choices)
    elapsed = time.perf_counter() - start
    assert bulk.n_stations == data.choices.shape[0]
    errors = {
        rid: mask.count for rid, mask in bulk.relations.items() if mask.severity is Severity.ERROR
    }
    assert errors and all(count == 0 for count in errors.values()), errors
    assert bulk.errors_total == 0
    assert not bulk.checks  # nothing missing, nothing negative
    assert elapsed < 1.0, f"{elapsed:.2f}s for {bulk.n_stations} stations"
    # The plausibility flags do fire at a few real stations (more ballots in the boxes than
    # issued): they need review, they are not errors.
    assert 0 < bulk.relations["boxes_le_issued"].count < 100


def _scalar_relation_ids(form, lines, choices, names, i) -> set[str]:
    figures = {code: int(values[i]) for code, values in lines.items()}
    votes = {names[j]: int(choices[i, j]) for j in range(choices.shape[1])}
    return validate(form, figures, choices=votes).relation_ids


def _bulk_relation_ids(bulk, i) -> set[str]:
    return {rid for rid, mask in bulk.relations.items() if mask.violated[i]}


def test_scalar_and_vectorised_engines_agree(stations) -> None:
    name, data = stations
    rng = np.random.default_rng(2024)
    sample = rng.choice(data.choices.shape[0], size=2000, replace=False)
    lines = {code: values[sample] for code, values in data.lines.items()}
    choices = data.choices[sample]
    # Half the sample as published, half with one figure per station shifted a little, so that
    # the engines are compared on broken protocols too.
    codes = list(lines)
    noisy = {code: values.copy() for code, values in lines.items()}
    noisy_choices = choices.copy()
    for i in range(1000, 2000):
        target = rng.integers(len(codes) + 1)
        delta = int(rng.choice([-3, -1, 1, 2, 500]))
        if target == len(codes):
            noisy_choices[i, rng.integers(choices.shape[1])] += delta
        else:
            noisy[codes[target]][i] += delta
    bulk = validate_arrays(data.form, noisy, noisy_choices)
    disagreements = [
        i
        for i in range(2000)
        if _scalar_relation_ids(data.form, noisy, noisy_choices, data.choice_names, i)
        != _bulk_relation_ids(bulk, i)
    ]
    assert disagreements == []
    assert not bulk.error_mask[:1000].any()
    assert bulk.error_mask[1000:].sum() > 500
