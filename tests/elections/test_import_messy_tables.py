"""Tables as published, imported without hand-edited copies: missing-value markers (`NA`, empty
cells) are no figure (unknown, never 0), a line missing from the table is computed as the sum of
columns, and a column without a header is addressed as `#N` and is never a choice. The Albania
2013 and Uganda 2011 tables validate with their shipped mappings as they are."""

from __future__ import annotations

import copy

import pytest

from baqylau.elections.importing import (
    MappingError,
    load_mapping,
    mapping_from_dict,
    run_import,
    validate_file,
)
from baqylau.elections.models import OfficialLine, OfficialVote
from tests.conftest import shared_file

from .helpers import MAPPING

#: An unnamed row-number column, an NA cell and an empty cell; no "took part" column.
MESSY = """,region,station,registered,valid,invalid,Alpha,Beta
1,North,7,1000,590,10,400,190
2,North,7,800,495,5,NA,195
3,South,9,1200,680,20,500,
"""


def messy_mapping() -> dict:
    data = copy.deepcopy(MAPPING)
    data["file"] = {"format": "csv", "missing_values": ["NA", ""]}
    data["units"]["levels"] = [
        {"kind": "region", "code": "region", "names": {"en": "region"}},
        {"kind": "station", "code": "#1", "names": {"en": "station"}},
    ]
    data["station"] = {"registered": "L1"}
    data["lines"] = {
        "L1": "registered",
        "L5": {"sum": ["valid", "invalid"]},
        "L7": "invalid",
    }
    data["choices"] = {"remaining": True, "except": ["valid"], "kind": "candidate"}
    return data


@pytest.mark.django_db
def test_markers_sums_and_unnamed_columns(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_text(MESSY, encoding="utf-8")
    report = run_import(path, mapping_from_dict(messy_mapping()))
    assert report.ok, report.problems
    assert report.rows == 3
    # the unnamed first column is the station code (station "7" appears twice) and no choice
    votes = OfficialVote.objects.values_list("result__unit__path", "choice__code", "votes")
    assert sorted(votes) == [
        ("KZ/North/1", "alpha", 400),
        ("KZ/North/1", "beta", 190),
        ("KZ/North/2", "beta", 195),  # Alpha's NA: no figure, not 0
        ("KZ/South/3", "alpha", 500),  # Beta's empty cell: no figure
    ]
    lines = OfficialLine.objects.filter(line="L5").values_list("result__unit__path", "value")
    assert sorted(lines) == [("KZ/North/1", 600), ("KZ/North/2", 500), ("KZ/South/3", 700)]


def test_a_marker_only_in_its_own_place(tmp_path):
    """Without the marker in the mapping, `NA` is still an error naming the cell."""
    data = messy_mapping()
    data["file"] = {"format": "csv", "missing_values": [""]}
    path = tmp_path / "messy.csv"
    path.write_text(MESSY, encoding="utf-8")
    rows, problems = validate_file(path, mapping_from_dict(data))
    assert [(p.line, p.column, p.reason) for p in problems.items] == [
        (3, "Alpha", "not a number: 'NA'")
    ]


def test_a_sum_of_a_missing_part_is_no_figure(tmp_path):
    data = messy_mapping()
    data["lines"]["L9"] = {"sum": ["Alpha", "Beta"]}
    data["choices"]["except"] = ["valid", "Alpha", "Beta"]
    path = tmp_path / "messy.csv"
    path.write_text(MESSY, encoding="utf-8")
    rows, problems = validate_file(path, mapping_from_dict(data))
    assert problems.total == 0


@pytest.mark.parametrize(
    "spec", [{"sum": []}, {"sum": "valid"}, {"total": ["valid"]}, {"sum": ["a"], "x": 1}]
)
def test_a_malformed_computed_line_is_refused(spec):
    data = messy_mapping()
    data["lines"]["L5"] = spec
    with pytest.raises(MappingError, match="computed line"):
        mapping_from_dict(data)


def test_a_missing_part_column_is_named(tmp_path):
    data = messy_mapping()
    data["lines"]["L5"] = {"sum": ["valid", "spoilt"]}
    path = tmp_path / "messy.csv"
    path.write_text(MESSY, encoding="utf-8")
    rows, problems = validate_file(path, mapping_from_dict(data))
    assert [(p.column, p.reason) for p in problems.items] == [("spoilt", "missing column")]


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "relative", "rows", "choices"),
    [
        ("al2013", "albania2013/albania2013_stations.csv", 5_508, 66),
        ("ug2011", "uganda2011/uganda2011_stations.csv", 23_968, 8),
    ],
)
def test_albania_and_uganda_as_published(shared_data, name, relative, rows, choices):
    from baqylau.elections.importing.readers import open_table
    from baqylau.elections.importing.validation import RowParser

    path = shared_file(shared_data, relative)
    mapping = load_mapping(name)
    counted, problems = validate_file(path, mapping)
    assert (counted, problems.total) == (rows, 0), problems.items[:5]
    with open_table(path) as table:
        parser = RowParser(mapping, next(table)[1], path.name)
        assert len(parser.choices) == choices
        assert not any(c.column.startswith("#") for c in parser.choices)
        parsed = [parser.parse(line, cells)[0] for line, cells in table]
    if name == "al2013":
        # two NA cells (C011 and C067): those stations lack that party's figure, nothing else
        assert sum(len(p.votes) for p in parsed) == rows * choices - 2
        assert len({p.path for p in parsed}) == rows  # the unnamed row number keeps them apart
    else:
        assert all(p.lines["L5"] == p.lines["L2"] + p.lines["L3"] for p in parsed)
