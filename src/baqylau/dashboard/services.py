"""Writes of the dashboard app: the public summary of every unit (`UnitStats`), and snapshots.

The figures of the count and the comparison are the tally's: each unit's `UnitCount` (observed,
official, copies by state, stations by status, findings by kind) and the `Finding` rows, copied
as they are; nothing here compares or counts votes. What the dashboard adds is the activity of
election day, rolled up the tree: stations covered, confirmed violations, bot users, the voters'
ballot photos, the turnout curve, and the map's measures.

`rebuild_summaries(election)` rewrites every unit; `rebuild_summaries(election, unit_ids)` only
the units given (the job that follows a recount passes the units it rewrote), so a moderator's
decision reaches the public pages in about a second at 10,000 stations.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

import numpy as np
from django.db import transaction
from django.utils import timezone

from baqylau.dashboard import sources
from baqylau.dashboard.models import Snapshot, UnitStats
from baqylau.elections.models import Election
from baqylau.tally.models import Finding, UnitCount
from baqylau.tally.selectors import CROWD_HEADLINE
from baqylau.tally.services import COPY_STATES, UnitTree

log = logging.getLogger(__name__)

#: Hours of election day on the turnout curve (local time; a value is the state at HH:00).
CURVE_HOURS = tuple(range(8, 21))
#: How many findings under each unit are listed on its page (the rest are in the open data).
FINDINGS_LISTED = 12


def _share(part, total) -> float | None:
    return None if not total or part is None else float(part) / float(total)


def _as_dict(keys: list, row: np.ndarray) -> dict[str, int]:
    return {str(k): int(v) for k, v in zip(keys, row.tolist(), strict=True) if v}


# ---------------------------------------------------------------------------------------------
# Election-day activity, rolled up


class _Activity:
    """Station-level activity of an election as arrays over the unit tree, rolled up."""

    def __init__(self, election: Election, tree: UnitTree):
        self.tree = tree
        roll = tree.tree.roll_up
        n = tree.size
        station = tree.tree.is_station
        self.stations = roll(station.astype(np.int64))
        self.registered = roll(tree.tree.registered * station)
        present = np.zeros(n, bool)
        present[self._at(sources.observed_stations(election))] = True
        copy_stations = np.zeros(n, bool)
        copy_stations[self._at(sources.copy_stations(election))] = True
        present |= copy_stations
        self.covered = roll(present.astype(np.int64))
        self.with_copy = roll(copy_stations.astype(np.int64))
        self.violation_keys, self.violations = self._keyed(sources.incidents(election))
        self.observer_users = self._distinct(sources.observer_bot_users(election))
        self.crowd = sources.crowd_rows(election)
        self.voter_users = self._distinct([(r[0], r[5]) for r in self.crowd])
        self.crowd_received = self._count([r[0] for r in self.crowd])
        self.crowd_confirmed = self._count([r[0] for r in self.crowd if r[3]])
        self.curves = self._curves(election)

    def _at(self, station_ids: Iterable[int]) -> np.ndarray:
        ids = np.fromiter(station_ids, np.int64)
        return self.tree.index_of(ids[self.tree.contains(ids)]) if ids.size else ids

    def _count(self, station_ids: list[int]) -> np.ndarray:
        values = np.zeros(self.tree.size, np.int64)
        np.add.at(values, self._at(station_ids), 1)
        return self.tree.tree.roll_up(values)

    def _keyed(self, rows: list[tuple[int, str]]) -> tuple[list[str], np.ndarray]:
        keys = sorted({key for _, key in rows})
        values = np.zeros((self.tree.size, len(keys)), np.int64)
        if rows:
            col = {k: j for j, k in enumerate(keys)}
            ids = np.array([r[0] for r in rows], np.int64)
            ok = self.tree.contains(ids)
            at = self.tree.index_of(ids[ok])
            cols = np.array([col[r[1]] for r in rows])[ok]
            np.add.at(values, (at, cols), 1)
        return keys, self.tree.tree.roll_up(values)

    def _distinct(self, pairs: list[tuple[int, str]]) -> np.ndarray:
        """Distinct senders per unit (a sender counts once per unit, however much they sent)."""
        out = np.zeros(self.tree.size, np.int64)
        pairs = [(s, who) for s, who in pairs if who]
        if not pairs:
            return out
        ids = np.array([s for s, _ in pairs], np.int64)
        ok = self.tree.contains(ids)
        _, sender = np.unique(
            np.array([w for _, w in pairs], dtype=object)[ok], return_inverse=True
        )
        expanded = self.tree.ancestors()[self.tree.index_of(ids[ok])]
        units = expanded.ravel()
        senders = np.repeat(sender, expanded.shape[1])
        keep = units >= 0
        unique = np.unique(np.stack([units[keep], senders[keep]], axis=1), axis=0)
        np.add.at(out, unique[:, 0], 1)
        return out

    def _curves(self, election: Election) -> dict[str, np.ndarray]:
        """Turnout by hour (observers' counts, commission's figures) and crowd ballots by hour.
        A station counts in an hour's turnout only where an observer counted by then."""
        n, h = self.tree.size, len(CURVE_HOURS)
        zone = election.zone  # the curve's hours are the election's local hours
        observer = np.zeros((n, h), np.int64)
        commission = np.zeros((n, h), np.int64)
        counted_registered = np.zeros(n, np.int64)
        counted = np.zeros(n, np.int64)
        latest: dict[int, dict[int, tuple[int, int | None]]] = {}
        for station, at, obs, com in sorted(sources.turnout_counts(election), key=lambda r: r[1]):
            index = self._at([station])
            if not index.size:
                continue
            local = timezone.localtime(at, zone) if timezone.is_aware(at) else at
            latest.setdefault(int(index[0]), {})[local.hour * 60 + local.minute] = (obs, com)
        for i, by_minute in latest.items():
            counted_registered[i] = self.tree.tree.registered[i]
            counted[i] = 1
            minutes = sorted(by_minute)
            for j, hour in enumerate(CURVE_HOURS):
                before = [m for m in minutes if m <= hour * 60]
                if before:
                    obs, com = by_minute[before[-1]]
                    observer[i, j] = obs
                    commission[i, j] = com if com is not None else 0
        crowd_hour = np.zeros((n, h), np.int64)
        for station, _c, _key, _confirmed, at, *_rest in self.crowd:
            index = self._at([station])
            if not index.size or at is None:
                continue
            local = timezone.localtime(at, zone) if timezone.is_aware(at) else at
            j = np.searchsorted(CURVE_HOURS, local.hour + (local.minute > 0 or local.second > 0))
            if j < h:
                crowd_hour[index[0], j:] += 1
        roll = self.tree.tree.roll_up
        return {
            "observer": roll(observer),
            "commission": roll(commission),
            "registered": roll(counted_registered),
            "stations": roll(counted),
            "crowd": roll(crowd_hour),
        }

    def crowd_by_contest(self, contest_id: int, keys: list[str]) -> np.ndarray:
        """Per unit, rolled up, the bot's ballots that give no choice, by category (`keys`):
        against all or spoiled when in the headline (`tally.selectors.crowd_standing`), spam
        and pending whatever their standing. The votes by choice, and the ballots by tier,
        are the tally's (`UnitCount.crowd`)."""
        col = {k: j for j, k in enumerate(keys)}
        counts = np.zeros((self.tree.size, len(keys)), np.int64)
        for station, contest, key, _confirmed, _at, _who, standing, _tier in self.crowd:
            j = col.get(key)
            if contest != contest_id or j is None:
                continue
            if standing != CROWD_HEADLINE and key not in ("spam", "pending"):
                continue
            index = self._at([station])
            if index.size:
                counts[index[0], j] += 1
        return self.tree.tree.roll_up(counts)


# ---------------------------------------------------------------------------------------------
# One unit's summary


def _findings_lists(tree: UnitTree, contest_ids: list[int], units: np.ndarray) -> dict:
    """(contest id, unit index) → the first FINDINGS_LISTED findings at or under the unit, as the
    tally wrote them (id, kind, unit, message in kk/ru/en): the page links each to its evidence."""
    wanted = set(units.tolist())
    listed: dict[tuple[int, int], list] = {}
    rows = (
        Finding.objects.filter(contest_id__in=contest_ids)
        .order_by("kind", "unit__path", "line", "choice_id", "id")
        .values_list("id", "contest_id", "unit_id", "kind", "details")
    )
    ancestors = tree.ancestors()
    for pk, contest_id, unit_id, kind, details in rows.iterator(chunk_size=5000):
        index = tree.index_of([unit_id])
        if not tree.contains(np.array([unit_id]))[0]:
            continue
        item = {
            "id": pk,
            "kind": kind,
            "unit": unit_id,
            "message": (details or {}).get("message", {}),
        }
        for u in ancestors[index[0]].tolist():
            if u < 0:
                break
            if u in wanted:
                bucket = listed.setdefault((contest_id, u), [])
                if len(bucket) < FINDINGS_LISTED:
                    bucket.append(item)
    return listed


def _contest_block(
    count: UnitCount | None,
    crowd_keys: list[str],
    crowd_all: np.ndarray,
    listed: list,
) -> dict:
    if count is None:
        return {}
    official = count.official or {}
    at_covered = count.official_at_covered or {}
    observed_votes = dict(count.votes or {})
    crowd = count.crowd or {}  # the tally's voters' figures by choice (empty: none known)
    categories = _as_dict(crowd_keys, crowd_all)  # ballots that give no choice (bot)
    # voters who said how they voted: a choice, against all (no such choice), a spoiled ballot
    crowd_total = sum(crowd.get("declared", {}).values()) + sum(
        categories.get(k, 0) for k in ("against_all", "spoiled")
    )
    return {
        "official": dict(official.get("votes", {})),
        "official_total": sum(official.get("votes", {}).values()),
        "official_stations": official.get("stations", 0),
        "official_lines": official.get("lines", {}),
        "announced": count.announced.get("votes", {}) if count.announced else {},
        "observed": observed_votes,
        "observed_total": sum(observed_votes.values()),
        "observed_stations": count.stations_covered,
        "observed_lines": dict(count.lines or {}),
        "official_at_observed": dict(at_covered.get("votes", {})),
        "official_at_observed_total": sum(at_covered.get("votes", {}).values()),
        "crowd": {**crowd.get("declared", {}), **categories},
        "crowd_confirmed": dict(crowd.get("photo", {})),
        "crowd_total": crowd_total,
        "crowd_unverified": dict(crowd.get("unverified", {})),
        "crowd_tiers": dict(crowd.get("tiers", {})),
        "crowd_confirmed_total": sum(crowd.get("photo", {}).values()),
        "crowd_stations": crowd.get("stations", 0),
        "crowd_stations_photo": crowd.get("stations_photo", 0),
        "crowd_compared": crowd.get("compared", 0),
        "crowd_exceeds": dict(crowd.get("exceeds", {})),
        "crowd_exceeds_by_choice": dict(crowd.get("exceeds_by_choice", {})),
        "turnout": {
            "official": official.get("turnout"),
            "observed": count.turnout,
            "official_at_observed": at_covered.get("turnout"),
        },
        "results": dict(count.results or {}),
        "copies": dict(count.copies or {}),
        "findings": dict(count.findings or {}),
        "findings_list": listed,
    }


def _map_figures(
    block: dict,
    leader: str | None,
    covered: int,
    stations: int,
    violations: int,
    registered: int,
    contest_id: int,
) -> dict:
    if not block or leader is None:
        return {}
    crowd_choices = sum(v for k, v in block["crowd"].items() if k.isdigit())
    observed_known = block["observed_stations"] > 0
    lead_observed = (
        _share(block["observed"].get(leader), block["observed_total"]) if observed_known else None
    )
    lead_at_observed = _share(
        block["official_at_observed"].get(leader), block["official_at_observed_total"]
    )
    return {
        "contest": contest_id,
        "leader": int(leader),
        "leader_official": (
            _share(block["official"].get(leader), block["official_total"])
            if block["official_stations"]
            else None
        ),
        "leader_observed": lead_observed,
        "leader_crowd": _share(block["crowd"].get(leader), crowd_choices),
        "difference": (
            None
            if lead_observed is None or lead_at_observed is None
            else lead_at_observed - lead_observed
        ),
        "coverage": _share(covered, stations),
        "violations_per_1000": None if not registered else 1000.0 * violations / registered,
        "stations": stations,
        "stations_observed": block["observed_stations"],
    }


def rebuild_summaries(election: Election, unit_ids: Iterable[int] | None = None) -> int:
    """Rewrite the public summaries (UnitStats) of the election's units, or of those given."""
    tree = UnitTree(election.pk)
    if not tree.size:
        return 0
    if unit_ids is None:
        units = np.arange(tree.size)
    else:
        ids = np.fromiter(unit_ids, np.int64)
        units = np.unique(tree.index_of(ids[tree.contains(ids)]))
    if not units.size:
        return 0
    activity = _Activity(election, tree)
    contests = list(election.contests.order_by("code").prefetch_related("choices"))
    contest_ids = [c.pk for c in contests]
    target_ids = [int(tree.ids[u]) for u in units.tolist()]
    counts: dict[tuple[int, int], UnitCount] = {}
    for start in range(0, len(target_ids), 900):
        for row in UnitCount.objects.filter(
            contest_id__in=contest_ids, unit_id__in=target_ids[start : start + 900]
        ):
            counts[(row.contest_id, row.unit_id)] = row
    listed = _findings_lists(tree, contest_ids, units)
    crowd = {}
    for contest in contests:
        keys = list(sources.CROWD_CATEGORIES)
        crowd[contest.pk] = (keys, activity.crowd_by_contest(contest.pk, keys))
    leaders = _leaders(contests, tree)

    rows = []
    for u in units.tolist():
        unit_id = int(tree.ids[u])
        copies = {k: 0 for k in COPY_STATES}
        for contest in contests:
            count = counts.get((contest.pk, unit_id))
            for key, value in ((count.copies if count else None) or {}).items():
                copies[key] = copies.get(key, 0) + value
        data = {
            "stations": int(activity.stations[u]),
            "registered": int(activity.registered[u]),
            "covered": int(activity.covered[u]),
            "with_copy": int(activity.with_copy[u]),
            "copies": copies,
            "violations": {
                "total": int(activity.violations[u].sum()) if activity.violation_keys else 0,
                "by_type": _as_dict(activity.violation_keys, activity.violations[u]),
            },
            "bots": {
                "observer": int(activity.observer_users[u]),
                "voter": int(activity.voter_users[u]),
            },
            "crowd": {
                "received": int(activity.crowd_received[u]),
                "confirmed": int(activity.crowd_confirmed[u]),
            },
            "curve": {
                "hours": list(CURVE_HOURS),
                "observer": [
                    _share(v, activity.curves["registered"][u])
                    for v in activity.curves["observer"][u].tolist()
                ],
                "commission": [
                    _share(v, activity.curves["registered"][u])
                    for v in activity.curves["commission"][u].tolist()
                ],
                "stations": int(activity.curves["stations"][u]),
                "crowd": activity.curves["crowd"][u].tolist(),
            },
            "contests": {},
            "map": {},
        }
        for contest in contests:
            keys, crowd_all = crowd[contest.pk]
            block = _contest_block(
                counts.get((contest.pk, unit_id)),
                keys,
                crowd_all[u],
                listed.get((contest.pk, u), []),
            )
            if not block:
                continue
            block["leader"] = leaders.get(contest.pk)
            data["contests"][str(contest.pk)] = block
            if not data["map"]:
                data["map"] = _map_figures(
                    block,
                    leaders.get(contest.pk),
                    data["covered"],
                    data["stations"],
                    data["violations"]["total"],
                    data["registered"],
                    contest.pk,
                )
        rows.append(UnitStats(unit_id=unit_id, election=election, data=data))
    # an upsert, not delete-then-insert: the urgent lane and a full refresh may write the same
    # units at once (two workers, or two loops of one), and neither may fail on the other's row
    rows.sort(key=lambda row: row.unit_id)  # one lock order for every writer
    UnitStats.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["unit"],
        update_fields=["election", "data", "computed_at"],
    )
    return len(rows)


def _leaders(contests, tree: UnitTree) -> dict[int, str | None]:
    """The national leader of each contest (official, else observed): the choice the map's shares
    are of (read from the root's count)."""
    roots = [int(tree.ids[i]) for i in np.flatnonzero(tree.tree.parent < 0).tolist()]
    out: dict[int, str | None] = {}
    for contest in contests:
        totals: dict[str, int] = {}
        for count in UnitCount.objects.filter(contest=contest, unit_id__in=roots):
            source = (count.official or {}).get("votes") or count.votes or {}
            for key, value in source.items():
                totals[key] = totals.get(key, 0) + value
        out[contest.pk] = max(totals, key=totals.get) if any(totals.values()) else None
    return out


# ---------------------------------------------------------------------------------------------
# Election-day snapshots


def snapshot_time(election: Election, hhmm: str) -> dt.datetime:
    """HH:MM of election day in the election's time zone, as an aware datetime. Raises
    ValueError (in words) for a time that does not exist."""
    try:
        hour, minute = (int(x) for x in hhmm.strip().split(":"))
        naive = dt.datetime.combine(election.date, dt.time(hour, minute))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{hhmm!r} is not a time of day (HH:MM, 00:00–23:59)") from exc
    return timezone.make_aware(naive, election.zone)


@transaction.atomic
def publish_snapshot(election: Election, at: dt.datetime | str) -> Snapshot:
    """Freeze the current figures of the country and its regions as published at `at`.

    `at` is a datetime or "HH:MM" of election day (in the election's time zone). Publishing the
    same time again replaces the snapshot (a correction). Every figure keeps the number of
    stations it rests on.
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
            "copies": d["copies"],
            "violations": d["violations"]["total"],
            "bots": d["bots"],
            "turnout_observer": _curve_at(d["curve"], "observer", at, election.zone),
            "turnout_commission": _curve_at(d["curve"], "commission", at, election.zone),
            "turnout_stations": d["curve"].get("stations", 0),
            "contests": {
                cid: {
                    "observed": c["observed"],
                    "observed_total": c["observed_total"],
                    "observed_stations": c["observed_stations"],
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


def _curve_at(curve: dict, key: str, at: dt.datetime, zone: dt.tzinfo) -> float | None:
    local = timezone.localtime(at, zone)
    value = None
    for hour, share in zip(curve["hours"], curve[key], strict=True):
        if hour * 60 <= local.hour * 60 + local.minute and share is not None:
            value = share
    return value
