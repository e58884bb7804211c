"""Writes of the dashboard app: recomputing the per-unit totals (vectorised with numpy)."""

from __future__ import annotations

import numpy as np
from django.db import transaction

from baqylau.dashboard.models import UnitContestSummary, UnitSummary
from baqylau.elections.models import AdminUnit, Election, OfficialLine, OfficialVote


class _Tree:
    """The unit tree of one election as arrays: index i ↔ unit id, parent index, depth."""

    def __init__(self, election: Election):
        rows = list(
            AdminUnit.objects.filter(election=election)
            .order_by("id")
            .values_list("id", "parent_id", "depth", "kind", "registered_voters")
        )
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.index = {unit_id: i for i, unit_id in enumerate(self.ids.tolist())}
        self.parent = np.array([self.index.get(r[1], -1) for r in rows], dtype=np.int64)
        self.depth = np.array([r[2] for r in rows], dtype=np.int64)
        self.is_station = np.array([r[3] == AdminUnit.Kind.STATION for r in rows], dtype=bool)
        self.registered = np.array([r[4] or 0 for r in rows], dtype=np.int64)

    def roll_up(self, values: np.ndarray) -> np.ndarray:
        """Add every unit's values into all of its ancestors (values: units × k, station-level)."""
        totals = values.copy()
        for depth in range(int(self.depth.max(initial=0)), 0, -1):
            at_depth = np.flatnonzero((self.depth == depth) & (self.parent >= 0))
            np.add.at(totals, self.parent[at_depth], totals[at_depth])
        return totals


def _station_matrix(tree: _Tree, rows, keys: list) -> np.ndarray:
    """Build a units × keys matrix from (unit_id, key, value) rows of station results."""
    column = {key: j for j, key in enumerate(keys)}
    matrix = np.zeros((len(tree.ids), len(keys)), dtype=np.int64)
    if rows:
        units, cols, values = zip(*((tree.index[u], column[k], v) for u, k, v in rows), strict=True)
        np.add.at(matrix, (np.array(units), np.array(cols)), np.array(values, dtype=np.int64))
    return matrix


@transaction.atomic
def rebuild_summaries(election: Election) -> int:
    """Recompute UnitSummary and UnitContestSummary for every unit of the election."""
    tree = _Tree(election)
    if not len(tree.ids):
        return 0
    base = np.stack([tree.is_station.astype(np.int64), tree.registered * tree.is_station], axis=1)
    totals = tree.roll_up(base)
    UnitSummary.objects.filter(unit__election=election).delete()
    UnitSummary.objects.bulk_create(
        [
            UnitSummary(unit_id=int(uid), stations=int(s), registered_voters=int(r))
            for uid, (s, r) in zip(tree.ids.tolist(), totals.tolist(), strict=True)
        ],
        batch_size=5000,
    )
    UnitContestSummary.objects.filter(unit__election=election).delete()
    for contest in election.contests.all():
        _rebuild_contest(tree, contest)
    return len(tree.ids)


def _rebuild_contest(tree: _Tree, contest) -> None:
    station_results = {"result__contest": contest, "result__unit__kind": AdminUnit.Kind.STATION}
    line_rows = list(
        OfficialLine.objects.filter(**station_results).values_list("result__unit_id", "line", "value")
    )
    vote_rows = list(
        OfficialVote.objects.filter(**station_results).values_list(
            "result__unit_id", "choice_id", "votes"
        )
    )
    line_codes = sorted({row[1] for row in line_rows})
    choice_ids = sorted({row[1] for row in vote_rows})
    lines = tree.roll_up(_station_matrix(tree, line_rows, line_codes))
    votes = tree.roll_up(_station_matrix(tree, vote_rows, choice_ids))
    reporting_rows = [(u, "n", 1) for u in {row[0] for row in vote_rows + line_rows}]
    reporting = tree.roll_up(_station_matrix(tree, reporting_rows, ["n"]))[:, 0]
    has_data = np.flatnonzero(reporting > 0)
    UnitContestSummary.objects.bulk_create(
        [
            UnitContestSummary(
                unit_id=int(tree.ids[i]),
                contest=contest,
                stations_reporting=int(reporting[i]),
                lines=dict(zip(line_codes, lines[i].tolist(), strict=True)),
                votes={str(c): v for c, v in zip(choice_ids, votes[i].tolist(), strict=True)},
            )
            for i in has_data.tolist()
        ],
        batch_size=2000,
    )
