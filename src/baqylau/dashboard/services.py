"""Writes of the dashboard app: recomputing the per-unit totals (vectorised with numpy).

`rebuild_summaries(election)` is the one entry point (CLI: `baqylau summarize`): it recomputes
every public figure (UnitStats) from the stations up. Run it after an import, a simulation load or a recount; on election day run it
every minute (`baqylau summarize --watch 60`) and `publish_snapshot` at the set hours.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
from django.db import transaction
from django.utils import timezone

from baqylau.dashboard import sources
from baqylau.dashboard.models import Snapshot, UnitStats
from baqylau.elections.models import AdminUnit, Election
from baqylau.tally.engine import Tree

log = logging.getLogger(__name__)

#: Hours of election day on the turnout curve (local time; a value is the state at HH:00).
CURVE_HOURS = tuple(range(8, 21))
#: How many findings of each unit are kept to be listed on its page.
FINDINGS_LISTED = 12


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
        return Tree.build(self.parent, self.depth, self.is_station).roll_up(values)


def _station_matrix(tree: _Tree, rows, keys: list) -> np.ndarray:
    """Build a units × keys matrix from (unit_id, key, value) rows of station results."""
    column = {key: j for j, key in enumerate(keys)}
    matrix = np.zeros((len(tree.ids), len(keys)), dtype=np.int64)
    if rows:
        units, cols, values = zip(*((tree.index[u], column[k], v) for u, k, v in rows), strict=True)
        np.add.at(matrix, (np.array(units), np.array(cols)), np.array(values, dtype=np.int64))
    return matrix


def rebuild_summaries(election: Election) -> int:
    """Recompute the public figures (UnitStats) of every unit of the election."""
    tree = _Tree(election)
    if not len(tree.ids):
        return 0
    rebuild_stats(election, tree)
    return len(tree.ids)


# ---------------------------------------------------------------------------------------------
# Public figures (UnitStats)


def _ancestors(tree: _Tree) -> np.ndarray:
    """units × (max depth + 1): each unit itself, then its parent, grandparent ... (-1 padded)."""
    depth = int(tree.depth.max(initial=0))
    out = np.full((len(tree.ids), depth + 1), -1, dtype=np.int64)
    out[:, 0] = np.arange(len(tree.ids))
    for k in range(1, depth + 1):
        prev = out[:, k - 1]
        has = prev >= 0
        out[has, k] = tree.parent[prev[has]]
    return out


def _count_by_unit(tree: _Tree, station_ids: list[int], weights=None) -> np.ndarray:
    """Units × 1 totals of per-station counts (rolled up)."""
    values = np.zeros((len(tree.ids), 1), dtype=np.int64)
    idx = np.array([tree.index[s] for s in station_ids if s in tree.index], dtype=np.int64)
    if idx.size:
        w = np.ones(idx.size, dtype=np.int64) if weights is None else np.asarray(weights)
        np.add.at(values[:, 0], idx, w)
    return tree.roll_up(values)[:, 0]


def _keyed(tree: _Tree, rows: list[tuple[int, object, int]]) -> tuple[list, np.ndarray]:
    """(station, key, value) rows → (keys, units × keys rolled-up totals)."""
    rows = [r for r in rows if r[0] in tree.index]
    keys = sorted({r[1] for r in rows}, key=str)
    return keys, tree.roll_up(_station_matrix(tree, rows, keys))


def _distinct(tree: _Tree, anc: np.ndarray, pairs: list[tuple[int, str]]) -> np.ndarray:
    """Distinct senders per unit, from (station, sender) pairs (a sender counts once per unit)."""
    pairs = [(tree.index[s], who) for s, who in pairs if s in tree.index and who]
    out = np.zeros(len(tree.ids), dtype=np.int64)
    if not pairs:
        return out
    _, sender = np.unique(np.array([w for _, w in pairs], dtype=object), return_inverse=True)
    station = np.array([u for u, _ in pairs], dtype=np.int64)
    expanded = anc[station]  # pairs × levels
    units = expanded.ravel()
    senders = np.repeat(sender, expanded.shape[1])
    keep = units >= 0
    unique = np.unique(np.stack([units[keep], senders[keep]], axis=1), axis=0)
    np.add.at(out, unique[:, 0], 1)
    return out


def _as_dict(keys: list, row: np.ndarray) -> dict[str, int]:
    return {str(k): int(v) for k, v in zip(keys, row.tolist(), strict=True) if v}


def _share(part, total) -> float | None:
    return None if not total else float(part) / float(total)


class _ContestFigures:
    """Station-level arrays of one contest, aligned with the tree's unit index."""

    def __init__(self, tree: _Tree, contest):
        self.contest = contest
        n = len(tree.ids)
        choices = list(contest.choices.order_by("number", "code").values_list("id", flat=True))
        self.choice_ids = choices
        col = {c: j for j, c in enumerate(choices)}
        o_lines, o_votes = sources.official_station(contest)
        b_lines, b_votes = sources.observed_station(contest)
        self.line_codes = sorted({r[1] for r in o_lines} | {r[1] for r in b_lines})
        lcol = {c: j for j, c in enumerate(self.line_codes)}

        def matrix(rows, columns, width):
            m = np.zeros((n, width), dtype=np.int64)
            cells = np.zeros((n, width), dtype=bool)
            for unit_id, key, value in rows:
                i = tree.index.get(unit_id)
                j = columns.get(key)
                if i is None or j is None:
                    continue
                m[i, j] += value
                cells[i, j] = True
            return m, cells.any(axis=1)

        self.official_line_present = np.zeros((n, len(self.line_codes)), dtype=bool)
        for unit_id, key, _value in o_lines:
            if (i := tree.index.get(unit_id)) is not None:
                self.official_line_present[i, lcol[key]] = True

        self.official_votes, has_ov = matrix(o_votes, col, len(choices))
        self.official_lines, has_ol = matrix(o_lines, lcol, len(self.line_codes))
        self.observed_votes, has_bv = matrix(b_votes, col, len(choices))
        self.observed_lines, has_bl = matrix(b_lines, lcol, len(self.line_codes))
        self.has_official = has_ov | has_ol
        self.has_observed = has_bv | has_bl
        self.published = sources.published_votes(contest)
        crowd = sources.crowd_rows(contest)
        self.crowd = crowd
        keys = [str(c) for c in choices] + list(sources.CROWD_CATEGORIES)
        kcol = {k: j for j, k in enumerate(keys)}
        self.crowd_keys = keys
        self.crowd_counts = np.zeros((n, len(keys)), dtype=np.int64)
        self.crowd_confirmed = np.zeros((n, len(keys)), dtype=np.int64)
        for station, key, confirmed, _at, _who in crowd:
            i = tree.index.get(station)
            j = kcol.get(key)
            if i is None or j is None:
                continue
            self.crowd_counts[i, j] += 1
            if confirmed:
                self.crowd_confirmed[i, j] += 1
        self.impossible = self._impossible()
        both = self.has_official & self.has_observed
        differs = (self.official_votes != self.observed_votes).any(axis=1)
        if self.line_codes:
            differs |= (self.official_lines != self.observed_lines).any(axis=1)
        self.differs = both & differs
        k = len(choices)
        confirmed_choices = self.crowd_confirmed[:, :k]
        self.crowd_exceeds = self.has_official & (confirmed_choices > self.official_votes).any(
            axis=1
        )

    def _impossible(self) -> np.ndarray:
        """Stations whose official figures break the protocol form's control relations."""
        mask = np.zeros(len(self.has_official), dtype=bool)
        rows = np.flatnonzero(self.has_official)
        if not rows.size:
            return mask
        try:
            from baqylau.protocols.engine import load_form, validate_arrays

            form = load_form(self.contest.protocol_form)
            lines = {
                code: np.ma.masked_array(
                    self.official_lines[rows, j], mask=~self.official_line_present[rows, j]
                )
                for j, code in enumerate(self.line_codes)
                if code in form.line_codes
            }
            found = validate_arrays(form, lines, self.official_votes[rows])
            # Only broken error-level relations: a line the official data lacks is not a finding.
            broken = [m.violated for m in found.relations.values() if m.severity == "error"]
            if broken:
                mask[rows] = np.logical_or.reduce(broken)
        except Exception:  # an unknown form or a form the figures do not fit: no finding
            log.warning("protocol checks skipped for %s", self.contest, exc_info=True)
        return mask


def _largest_difference(figures: _ContestFigures, i: int) -> dict:
    """The figure of station i where official and copy differ most: a choice's votes, or, when
    every choice agrees, a protocol line (e.g. turnout inflated without touching the votes)."""
    vote_diff = figures.official_votes[i] - figures.observed_votes[i]
    if vote_diff.size and vote_diff.any():
        j = int(np.argmax(np.abs(vote_diff)))
        return {
            "choice": figures.choice_ids[j],
            "official": int(figures.official_votes[i, j]),
            "observed": int(figures.observed_votes[i, j]),
        }
    line_diff = figures.official_lines[i] - figures.observed_lines[i]
    j = int(np.argmax(np.abs(line_diff))) if line_diff.size else 0
    return {
        "line": figures.line_codes[j] if line_diff.size else None,
        "official": int(figures.official_lines[i, j]) if line_diff.size else None,
        "observed": int(figures.observed_lines[i, j]) if line_diff.size else None,
    }


def _findings_lists(tree: _Tree, anc: np.ndarray, figures: _ContestFigures) -> dict[int, list]:
    """The first FINDINGS_LISTED findings under each unit (station-level, plain data)."""
    k = len(figures.choice_ids)
    listed: dict[int, list] = {}
    kinds = (
        ("impossible", figures.impossible),
        ("differs", figures.differs),
        ("crowd_exceeds", figures.crowd_exceeds),
    )
    for kind, mask in kinds:
        for i in np.flatnonzero(mask).tolist():
            item = {"kind": kind, "station": int(tree.ids[i])}
            if kind == "differs":
                item |= _largest_difference(figures, i)
            elif kind == "crowd_exceeds":
                over = figures.crowd_confirmed[i, :k] - figures.official_votes[i]
                j = int(np.argmax(over))
                item |= {
                    "choice": figures.choice_ids[j],
                    "official": int(figures.official_votes[i, j]),
                    "crowd": int(figures.crowd_confirmed[i, j]),
                }
            for u in anc[i].tolist():
                if u < 0:
                    break
                bucket = listed.setdefault(u, [])
                if len(bucket) < FINDINGS_LISTED:
                    bucket.append(item)
    return listed


def _curves(tree: _Tree, election: Election, crowd: list) -> dict[str, np.ndarray]:
    """Turnout by hour (observers' counts, commission's figures) and crowd ballots by hour."""
    n, h = len(tree.ids), len(CURVE_HOURS)
    observer = np.zeros((n, h), dtype=np.int64)
    commission = np.zeros((n, h), dtype=np.int64)
    counted_registered = np.zeros((n, 1), dtype=np.int64)
    latest: dict[int, dict[int, tuple[int, int | None]]] = {}
    for station, at, obs, com in sorted(sources.turnout_counts(election), key=lambda r: r[1]):
        i = tree.index.get(station)
        if i is None:
            continue
        local = timezone.localtime(at) if timezone.is_aware(at) else at
        latest.setdefault(i, {})[local.hour * 60 + local.minute] = (obs, com)
    for i, by_minute in latest.items():
        counted_registered[i, 0] = tree.registered[i]
        minutes = sorted(by_minute)
        for j, hour in enumerate(CURVE_HOURS):
            before = [m for m in minutes if m <= hour * 60]
            if before:
                obs, com = by_minute[before[-1]]
                observer[i, j] = obs
                commission[i, j] = com if com is not None else 0
    crowd_hour = np.zeros((n, h), dtype=np.int64)
    for station, _key, _conf, at, _who in crowd:
        i = tree.index.get(station)
        if i is None or at is None:
            continue
        local = timezone.localtime(at) if timezone.is_aware(at) else at
        j = np.searchsorted(CURVE_HOURS, local.hour + (local.minute > 0 or local.second > 0))
        if j < h:
            crowd_hour[i, j:] += 1
    return {
        "observer": tree.roll_up(observer),
        "commission": tree.roll_up(commission),
        "registered": tree.roll_up(counted_registered)[:, 0],
        "crowd": tree.roll_up(crowd_hour),
    }


def _leader(figures: _ContestFigures, root: int) -> int | None:
    """The national leader (official, else observed): the choice the map's shares are of."""
    for votes in (figures.official_votes, figures.observed_votes):
        total = votes.sum(axis=0)
        if total.sum():
            return int(np.argmax(total))
    return None


@transaction.atomic
def rebuild_stats(election: Election, tree: _Tree | None = None) -> int:
    """Recompute every unit's UnitStats of the election (see the model for what it holds)."""
    tree = tree or _Tree(election)
    n = len(tree.ids)
    if not n:
        return 0
    anc = _ancestors(tree)
    stations = tree.roll_up(tree.is_station.astype(np.int64)[:, None])[:, 0]
    registered = tree.roll_up((tree.registered * tree.is_station)[:, None])[:, 0]

    copy_rows = sources.copies(election)
    received = _count_by_unit(tree, [r[0] for r in copy_rows])
    status_keys, by_status = _keyed(tree, [(s, st, 1) for s, st, _ in copy_rows])
    reason_keys, by_reason = _keyed(tree, [(s, r, 1) for s, st, r in copy_rows if st == "rejected"])
    violation_rows = sources.incidents(election)
    violation_keys, by_violation = _keyed(tree, [(s, code, 1) for s, code in violation_rows])
    observer_users = _distinct(tree, anc, sources.observer_bot_users(election))

    contests = list(election.contests.order_by("code"))
    figures = [_ContestFigures(tree, c) for c in contests]
    crowd_all = [row for f in figures for row in f.crowd]
    voter_users = _distinct(tree, anc, [(s, who) for s, _k, _c, _a, who in crowd_all])
    crowd_received = _count_by_unit(tree, [r[0] for r in crowd_all])
    crowd_confirmed = _count_by_unit(tree, [r[0] for r in crowd_all if r[2]])

    observed_any = np.zeros(n, dtype=bool)
    for f in figures:
        observed_any |= f.has_observed
    with_copy = tree.roll_up(observed_any.astype(np.int64)[:, None])[:, 0]
    present = observed_any.copy()
    for s in sources.observed_stations(election):
        if s in tree.index:
            present[tree.index[s]] = True
    for s, _st, _r in copy_rows:
        present[tree.index[s]] = True if s in tree.index else present[0]
    covered = tree.roll_up(present.astype(np.int64)[:, None])[:, 0]
    curves = _curves(tree, election, crowd_all)

    per_contest = []
    for f in figures:
        k = len(f.choice_ids)
        observed_mask = f.has_observed[:, None]
        rolled = {
            "official": tree.roll_up(f.official_votes),
            "official_lines": tree.roll_up(f.official_lines),
            "official_stations": tree.roll_up(f.has_official.astype(np.int64)[:, None])[:, 0],
            "observed": tree.roll_up(f.observed_votes),
            "observed_lines": tree.roll_up(f.observed_lines),
            "observed_stations": tree.roll_up(f.has_observed.astype(np.int64)[:, None])[:, 0],
            "official_at_observed": tree.roll_up(f.official_votes * observed_mask),
            "official_lines_at_observed": tree.roll_up(f.official_lines * observed_mask),
            "crowd": tree.roll_up(f.crowd_confirmed),
            "crowd_all": tree.roll_up(f.crowd_counts),
            "impossible": tree.roll_up(f.impossible.astype(np.int64)[:, None])[:, 0],
            "differs": tree.roll_up(f.differs.astype(np.int64)[:, None])[:, 0],
            "crowd_exceeds": tree.roll_up(f.crowd_exceeds.astype(np.int64)[:, None])[:, 0],
        }
        per_contest.append((f, k, rolled, _findings_lists(tree, anc, f), _leader(f, 0)))

    def turnout(lines: np.ndarray, codes: list[str], i: int) -> float | None:
        if "L5" not in codes or "L1" not in codes:
            return None
        return _share(lines[i, codes.index("L5")], lines[i, codes.index("L1")])

    rows = []
    for i in range(n):
        unit_id = int(tree.ids[i])
        data = {
            "stations": int(stations[i]),
            "registered": int(registered[i]),
            "covered": int(covered[i]),
            "with_copy": int(with_copy[i]),
            "copies": {
                "received": int(received[i]),
                **{str(k): int(v) for k, v in zip(status_keys, by_status[i].tolist(), strict=True)},
                "reasons": _as_dict(reason_keys, by_reason[i]),
            },
            "violations": {
                "total": int(by_violation[i].sum()) if violation_keys else 0,
                "by_type": _as_dict(violation_keys, by_violation[i]),
            },
            "bots": {"observer": int(observer_users[i]), "voter": int(voter_users[i])},
            "crowd": {"received": int(crowd_received[i]), "confirmed": int(crowd_confirmed[i])},
            "curve": {
                "hours": list(CURVE_HOURS),
                "observer": [
                    _share(v, curves["registered"][i]) for v in curves["observer"][i].tolist()
                ],
                "commission": [
                    _share(v, curves["registered"][i]) for v in curves["commission"][i].tolist()
                ],
                "crowd": curves["crowd"][i].tolist(),
            },
            "contests": {},
            "map": {},
        }
        for f, k, r, listed, leader in per_contest:
            ids = f.choice_ids
            codes = f.line_codes
            official_total = int(r["official"][i].sum())
            observed_total = int(r["observed"][i].sum())
            at_observed_total = int(r["official_at_observed"][i].sum())
            crowd_total = int(r["crowd_all"][i].sum())
            block = {
                "official": _as_dict(ids, r["official"][i]),
                "official_total": official_total,
                "official_stations": int(r["official_stations"][i]),
                "official_lines": _as_dict(codes, r["official_lines"][i]),
                "published": {str(c): v for c, v in f.published.get(unit_id, {}).items()},
                "observed": _as_dict(ids, r["observed"][i]),
                "observed_total": observed_total,
                "observed_stations": int(r["observed_stations"][i]),
                "observed_lines": _as_dict(codes, r["observed_lines"][i]),
                "official_at_observed": _as_dict(ids, r["official_at_observed"][i]),
                "official_at_observed_total": at_observed_total,
                "crowd": _as_dict(f.crowd_keys, r["crowd_all"][i]),
                "crowd_confirmed": _as_dict(f.crowd_keys, r["crowd"][i]),
                "crowd_total": crowd_total,
                "turnout": {
                    "official": turnout(r["official_lines"], codes, i),
                    "observed": turnout(r["observed_lines"], codes, i),
                    "official_at_observed": turnout(r["official_lines_at_observed"], codes, i),
                },
                "findings": {
                    "impossible": int(r["impossible"][i]),
                    "differs": int(r["differs"][i]),
                    "crowd_exceeds": int(r["crowd_exceeds"][i]),
                },
                "findings_list": listed.get(i, []),
                "leader": ids[leader] if leader is not None else None,
            }
            if block["published"]:
                block["findings"]["parts"] = sum(block["published"].values()) != official_total
            data["contests"][str(f.contest.id)] = block
            if leader is not None and not data["map"]:
                crowd_choices = int(r["crowd_all"][i][:k].sum())
                lead_official = _share(r["official"][i][leader], official_total)
                lead_observed = _share(r["observed"][i][leader], observed_total)
                lead_at_observed = _share(r["official_at_observed"][i][leader], at_observed_total)
                data["map"] = {
                    "contest": f.contest.id,
                    "leader": ids[leader],
                    "leader_official": lead_official,
                    "leader_observed": lead_observed,
                    "leader_crowd": _share(r["crowd_all"][i][leader], crowd_choices),
                    "difference": (
                        None
                        if lead_observed is None or lead_at_observed is None
                        else lead_at_observed - lead_observed
                    ),
                    "coverage": _share(covered[i], stations[i]),
                    "violations_per_1000": (
                        None
                        if not registered[i]
                        else 1000.0 * data["violations"]["total"] / float(registered[i])
                    ),
                }
        rows.append(UnitStats(unit_id=unit_id, election=election, data=data))
    UnitStats.objects.filter(election=election).delete()
    UnitStats.objects.bulk_create(rows, batch_size=2000)
    return n


# ---------------------------------------------------------------------------------------------
# Election-day snapshots

SNAPSHOT_HOURS = ("13:00", "15:00", "20:00")


def snapshot_time(election: Election, hhmm: str) -> dt.datetime:
    """HH:MM of election day in the server's time zone, as an aware datetime."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    naive = dt.datetime.combine(election.date, dt.time(hour, minute))
    return timezone.make_aware(naive)


@transaction.atomic
def publish_snapshot(election: Election, at: dt.datetime | str) -> Snapshot:
    """Freeze the current figures of the country and its regions as published at `at`.

    `at` is a datetime or "HH:MM" of election day. Publishing the same time again replaces
    the snapshot (a correction); the figures come from UnitStats, so run `rebuild_summaries`
    first when the data changed.
    """
    if isinstance(at, str):
        at = snapshot_time(election, at)
    units = (
        UnitStats.objects.filter(election=election, unit__depth__lte=1)
        .select_related("unit")
        .order_by("unit__path")
    )
    data = {}
    for row in units:
        d = row.data
        data[str(row.unit_id)] = {
            "stations": d["stations"],
            "covered": d["covered"],
            "with_copy": d["with_copy"],
            "crowd": d["crowd"],
            "copies": {k: v for k, v in d["copies"].items() if k != "reasons"},
            "violations": d["violations"]["total"],
            "bots": d["bots"],
            "turnout_observer": _curve_at(d["curve"], "observer", at),
            "turnout_commission": _curve_at(d["curve"], "commission", at),
            "contests": {
                cid: {
                    "observed": c["observed"],
                    "observed_total": c["observed_total"],
                    "crowd": c["crowd"],
                    "crowd_total": c["crowd_total"],
                }
                for cid, c in d["contests"].items()
            },
        }
    snapshot, _ = Snapshot.objects.update_or_create(
        election=election, at=at, defaults={"data": data}
    )
    return snapshot


def _curve_at(curve: dict, key: str, at: dt.datetime) -> float | None:
    local = timezone.localtime(at)
    value = None
    for hour, share in zip(curve["hours"], curve[key], strict=True):
        if hour * 60 <= local.hour * 60 + local.minute and share is not None:
            value = share
    return value
