"""Small synthetic tables and a mapping for the importer tests."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path

from baqylau.elections.importing import mapping_from_dict
from baqylau.elections.models import (
    AdminUnit,
    Choice,
    Contest,
    Election,
    ImportRun,
    OfficialLine,
    OfficialResult,
    OfficialVote,
)

HEADER = [
    "region_code",
    "region",
    "district",
    "station",
    "address",
    "lat",
    "lon",
    "abroad",
    "closed",
    "registered",
    "took_part",
    "invalid",
    "1. Alpha Alphaeva",
    "2. Beta Betov",
    "note",
]

ROWS = [
    ["01", "Akmola", "Kokshetau", "1", "School 1", "53.28", "69.39", "", "", "1000", "600", "10", "400", "190", "x"],
    ["01", "Akmola", "Kokshetau", "2", "School 2", "53.29", "69.40", "", "hospital", "800", "500", "5", "300", "195", ""],
    ["01", "Akmola", "Stepnogorsk", "3", "School 3", "", "", "", "", "1200", "700", "20", "500", "180", ""],
    ["02", "Aktobe", "Aktobe city", "4", "Embassy", "", "", "yes", "", "50", "40", "0", "20", "20", ""],
]  # fmt: skip

MAPPING = {
    "election": {
        "code": "t2024",
        "kind": "presidential",
        "country": "KZ",
        "date": "2024-06-09",
        "names": {"ru": "Тестовые выборы", "en": "Test election", "kk": "Сынақ сайлау"},
    },
    "contest": {
        "code": "president",
        "kind": "presidential",
        "protocol_form": "kz_president",
        "majority_threshold": 50,
    },
    "units": {
        "root": {"code": "KZ", "kind": "country", "names": {"en": "Kazakhstan"}},
        "levels": [
            {"kind": "region", "code": "region_code", "names": {"ru": "region"}},
            {"kind": "district", "code": "district", "names": {"ru": "district"}},
            {"kind": "station", "code": "station", "names": {"ru": "Участок №{code}"}},
        ],
    },
    "station": {
        "registered": "L1",
        "address": "address",
        "latitude": "lat",
        "longitude": "lon",
        "abroad": "abroad",
        "closed": "closed",
    },
    "lines": {"L1": "registered", "L5": "took_part", "L7": "invalid"},
    "choices": {"remaining": True, "except": ["note"], "kind": "candidate"},
}


def mapping(**changes):
    data = copy.deepcopy(MAPPING)
    for key, value in changes.items():
        data[key] = value
    return mapping_from_dict(data, name="test.yaml")


def csv_text(rows=ROWS, header=HEADER, delimiter=",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write_csv(path: Path, rows=ROWS, header=HEADER, encoding="utf-8") -> Path:
    path.write_text(csv_text(rows, header), encoding=encoding)
    return path


def db_state() -> dict[str, int]:
    models = (Election, Contest, Choice, AdminUnit, OfficialResult, OfficialLine, OfficialVote)
    state = {m.__name__: m.objects.count() for m in models}
    state["ImportRun"] = ImportRun.objects.count()
    return state


def snapshot() -> list[tuple]:
    """Every figure and unit, to compare before/after."""
    units = list(
        AdminUnit.objects.order_by("path").values_list(
            "id", "path", "name_ru", "registered_voters", "address", "latitude", "closed"
        )
    )
    lines = list(
        OfficialLine.objects.order_by("id").values_list("id", "result_id", "line", "value")
    )
    votes = list(
        OfficialVote.objects.order_by("id").values_list("id", "result_id", "choice_id", "votes")
    )
    return [*units, *lines, *votes]
