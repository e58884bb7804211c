"""The independent count as arrays: reconciliation of copies, counting up the unit tree, comparison
with the official figures and a ratio estimate of the result. Pure numpy, no Django.

Conventions used throughout:

* a figure that is not known is ``-1`` (``MISSING``); every real figure is a count ``>= 0``;
* "columns" are the protocol's count lines followed by the choices (lines first, then votes), so a
  protocol of L lines and K choices is a row of L + K figures;
* the unit tree is given as arrays indexed 0..U-1 (:class:`Tree`): parent index (-1 for a root),
  depth, whether the unit is a polling station, and registered voters (stations only).

Nothing here loops over stations in Python: grouping uses ``np.lexsort``/``np.unique`` and
``reduceat``, roll-ups use ``np.add.at`` depth by depth.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

MISSING = -1
_BIG = np.iinfo(np.int64).max

#: How turnout is read from each protocol form: (lines that add up to "took part", registered line).
#: Forms not listed fall back to the form definition's own ``turnout`` (see
#: :func:`turnout_lines_from_form`) and then to ``DEFAULT_TURNOUT``.
TURNOUT_LINES: dict[str, tuple[tuple[str, ...], str]] = {
    "kz_president": (("L5",), "L1"),
    "kz_mazhilis": (("L5",), "L1"),
    "kz_party_list": (("L5",), "L1"),
    "kz_maslikhat": (("L5",), "L1"),
    # Russian precinct (UIK) protocol: ballots issued early, at the station and outside it.
    "ru_uik": (("L3", "L4", "L5"), "L1"),
    "ru_uik_2011": (("L3", "L4", "L5"), "L1"),
    "ru_uik_2012": (("L3", "L4", "L5"), "L1"),
    "ru_uik_2018": (("L3", "L4", "L5"), "L1"),
    "ru_uik_2021": (("L3", "L4", "L5"), "L1"),
    # the 2020 constitutional vote: one line of ballots issued to participants
    "ru_vote_2020": (("L2",), "L1"),
}
DEFAULT_TURNOUT: tuple[tuple[str, ...], str] = (("L5",), "L1")

#: z-value of a two-sided 95% interval.
Z95 = 1.959963984540054

NOT_RANDOM_LABEL = (
    "Estimate from the stations that observers covered. Coverage is not a random sample "
    "(observers go where they can, more often to towns, and fraud is rarer where they are), "
    "so the margin of error describes sampling noise only, not selection bias."
)


def turnout_lines(form_code: str) -> tuple[tuple[str, ...], str]:
    """(took-part line codes, registered line code) of a protocol form."""
    return TURNOUT_LINES.get(form_code, DEFAULT_TURNOUT)


# ---------------------------------------------------------------------------------------------
# Reconciliation


@dataclass(frozen=True)
class Reconciliation:
    """Copies grouped by station and compared column by column.

    ``station[s]`` is the s-th station key (sorted); ``values[s, j]`` the figure all its copies
    agree on (``-1`` where no copy has it or where they disagree); ``conflict[s, j]`` where two
    copies hold different figures. ``order[start[s]:start[s + 1]]`` are the rows of the input
    copies of station s (in copy-key order).
    """

    station: np.ndarray  # (S,)
    values: np.ndarray  # (S, L + K) int64
    conflict: np.ndarray  # (S, L + K) bool
    copies_count: np.ndarray  # (S,)
    order: np.ndarray  # (C,) copy rows sorted by station, then copy key
    start: np.ndarray  # (S + 1,)
    n_lines: int

    @property
    def n_stations(self) -> int:
        return int(self.station.size)

    @property
    def lines(self) -> np.ndarray:
        return self.values[:, : self.n_lines]

    @property
    def votes(self) -> np.ndarray:
        return self.values[:, self.n_lines :]

    @property
    def line_conflict(self) -> np.ndarray:
        return self.conflict[:, : self.n_lines]

    @property
    def vote_conflict(self) -> np.ndarray:
        return self.conflict[:, self.n_lines :]

    @property
    def has_conflict(self) -> np.ndarray:
        """(S,) True where at least one column is disputed."""
        return self.conflict.any(axis=1)

    def copy_rows(self, s: int) -> np.ndarray:
        """Input rows of the copies of the s-th station."""
        return self.order[self.start[s] : self.start[s + 1]]


def _as_matrix(values: np.ndarray, rows: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.int64)
    width = values.shape[1] if values.ndim == 2 else (values.size // rows if rows else 0)
    return values.reshape(rows, width)


def reconcile(
    station: np.ndarray,
    lines: np.ndarray,
    votes: np.ndarray,
    copy_key: np.ndarray | None = None,
) -> Reconciliation:
    """Group copies by station and find, per station and column, agreement or conflict.

    ``station`` (C,) is each copy's station key, ``lines`` (C, L) and ``votes`` (C, K) its figures
    with ``-1`` for missing. A missing figure never makes a conflict: the figure of a station is
    the one value its copies hold, a conflict is two copies holding different values.
    """
    station = np.asarray(station, dtype=np.int64).ravel()
    c = station.size
    lines = _as_matrix(lines, c)
    votes = _as_matrix(votes, c)
    n_lines = lines.shape[1]
    figures = np.concatenate([lines, votes], axis=1)
    width = figures.shape[1]
    if c == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Reconciliation(
            empty,
            np.zeros((0, width), np.int64),
            np.zeros((0, width), bool),
            empty,
            empty,
            np.zeros(1, np.int64),
            n_lines,
        )
    key = np.arange(c) if copy_key is None else np.asarray(copy_key).ravel()
    order = np.lexsort((key, station))
    keys, first = np.unique(station[order], return_index=True)
    sorted_figures = figures[order]
    present = sorted_figures >= 0
    high = np.maximum.reduceat(np.where(present, sorted_figures, MISSING), first, axis=0)
    low = np.minimum.reduceat(np.where(present, sorted_figures, _BIG), first, axis=0)
    conflict = (high >= 0) & (low != high)
    values = np.where(conflict, MISSING, high)
    start = np.append(first, c).astype(np.int64)
    return Reconciliation(
        station=keys,
        values=values,
        conflict=conflict,
        copies_count=np.diff(start),
        order=order.astype(np.int64),
        start=start,
        n_lines=n_lines,
    )


def taking_part(
    station: np.ndarray,
    sender: np.ndarray,
    copy_key: np.ndarray,
    passed: np.ndarray,
    accepted: np.ndarray,
    rejected: np.ndarray,
) -> np.ndarray:
    """(C,) which copies take part in their station's result.

    * a copy a moderator rejected never takes part;
    * a copy a moderator accepted always does, and where a station has one, only the accepted
      copies do (the moderator has decided the station);
    * otherwise a sender's latest copy (largest ``copy_key``) replaces their earlier ones (a
      corrected resend), and takes part when it passed the checks.
    """
    station = np.asarray(station, np.int64).ravel()
    c = station.size
    if c == 0:
        return np.zeros(0, bool)
    sender = np.asarray(sender, np.int64).ravel()
    accepted = np.asarray(accepted, bool) & ~np.asarray(rejected, bool)
    candidate = ~np.asarray(rejected, bool) & ~accepted
    latest = np.zeros(c, bool)
    rows = np.flatnonzero(candidate)
    if rows.size:
        order = rows[np.lexsort((np.asarray(copy_key)[rows], sender[rows], station[rows]))]
        pair_station, pair_sender = station[order], sender[order]
        last = np.ones(order.size, bool)
        last[:-1] = (pair_station[1:] != pair_station[:-1]) | (pair_sender[1:] != pair_sender[:-1])
        latest[order[last]] = True
    use = accepted | (latest & np.asarray(passed, bool))
    stations_decided = np.unique(station[accepted])
    decided = np.isin(station, stations_decided)
    return use & (~decided | accepted)


def distinct_per_station(
    stations: np.ndarray, station: np.ndarray, sender: np.ndarray
) -> np.ndarray:
    """(S,) how many different senders the copies of each of ``stations`` (sorted) come from."""
    out = np.zeros(np.asarray(stations).size, np.int64)
    if not np.asarray(station).size:
        return out
    pairs = np.unique(
        np.stack([np.asarray(station, np.int64), np.asarray(sender, np.int64)]), axis=1
    )
    keys, counts = np.unique(pairs[0], return_counts=True)
    at = np.searchsorted(stations, keys)
    ok = (at < out.size) & (np.asarray(stations)[np.minimum(at, out.size - 1)] == keys)
    out[at[ok]] = counts[ok]
    return out


def majority(values: Sequence[int]) -> int | None:
    """The value most copies hold, or None when there is a tie (a moderator decides anyway)."""
    counted = Counter(v for v in values if v is not None and v >= 0).most_common(2)
    if not counted or (len(counted) > 1 and counted[0][1] == counted[1][1]):
        return None
    return int(counted[0][0])


@dataclass(frozen=True)
class ConflictCell:
    """One disputed column of one station: every copy's value (None where the copy lacks it)."""

    station_index: int  # index into Reconciliation.station
    column: int  # 0..L-1: a line; L..L+K-1: a choice
    copy_rows: tuple[int, ...]
    values: tuple[int | None, ...]
    proposal: int | None  # the majority value, if there is one


def conflict_cells(
    rec: Reconciliation, lines: np.ndarray, votes: np.ndarray
) -> Iterator[ConflictCell]:
    """The disputed cells with each copy's value (the input arrays of :func:`reconcile`)."""
    if not rec.conflict.any():
        return
    c = lines.shape[0]
    figures = np.concatenate(
        [np.asarray(lines, np.int64).reshape(c, -1), np.asarray(votes, np.int64).reshape(c, -1)],
        axis=1,
    )
    for s, j in zip(*np.nonzero(rec.conflict), strict=True):
        rows = rec.copy_rows(int(s))
        raw = figures[rows, j].tolist()
        values = tuple(None if v < 0 else int(v) for v in raw)
        yield ConflictCell(int(s), int(j), tuple(rows.tolist()), values, majority(values))


# ---------------------------------------------------------------------------------------------
# The unit tree


@dataclass(frozen=True)
class Tree:
    """A unit tree as arrays (index 0..U-1)."""

    parent: np.ndarray  # (U,) parent index, -1 for a root
    depth: np.ndarray  # (U,)
    is_station: np.ndarray  # (U,) bool
    registered: np.ndarray  # (U,) registered voters (0 where unknown or not a station)

    @classmethod
    def build(
        cls,
        parent: Sequence[int] | np.ndarray,
        depth: Sequence[int] | np.ndarray,
        is_station: Sequence[bool] | np.ndarray,
        registered: Sequence[int] | np.ndarray | None = None,
    ) -> Tree:
        parent = np.asarray(parent, dtype=np.int64)
        reg = np.zeros(parent.size, np.int64) if registered is None else registered
        return cls(
            parent=parent,
            depth=np.asarray(depth, dtype=np.int64),
            is_station=np.asarray(is_station, dtype=bool),
            registered=np.asarray(reg, dtype=np.int64),
        )

    @property
    def size(self) -> int:
        return int(self.parent.size)

    def roll_up(self, values: np.ndarray) -> np.ndarray:
        """Every unit's own values plus those of all its descendants (values: (U,) or (U, k))."""
        totals = np.array(values, copy=True)
        for depth in range(int(self.depth.max(initial=0)), 0, -1):
            at = np.flatnonzero((self.depth == depth) & (self.parent >= 0))
            np.add.at(totals, self.parent[at], totals[at])
        return totals

    def children_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of the direct children's values (not deeper)."""
        out = np.zeros_like(values)
        child = np.flatnonzero(self.parent >= 0)
        np.add.at(out, self.parent[child], values[child])
        return out

    def children_count(self) -> np.ndarray:
        return self.children_sum(np.ones(self.size, dtype=np.int64))


# ---------------------------------------------------------------------------------------------
# Independent count


@dataclass(frozen=True)
class Count:
    """Observed totals of every unit from its covered stations."""

    stations_total: np.ndarray  # (U,)
    stations_covered: np.ndarray  # (U,)
    registered_total: np.ndarray  # (U,)
    registered_covered: np.ndarray  # (U,)
    lines: np.ndarray  # (U, L) int64
    votes: np.ndarray  # (U, K) int64
    valid: np.ndarray  # (U,) sum of the choices' votes
    shares: np.ndarray  # (U, K) votes / valid (NaN where nothing counted)
    turnout: np.ndarray  # (U,) took part / registered line (NaN where nothing counted)
    #: (U, L + K) covered stations whose copy gives each line and choice: 0 means the unit's figure
    #: is unknown (not 0), fewer than stations_covered that it rests on fewer stations.
    reported: np.ndarray | None = None


def count_up(
    tree: Tree,
    covered: np.ndarray,
    lines: np.ndarray,
    votes: np.ndarray,
    took_part: Sequence[int],
    registered_line: int | None,
) -> Count:
    """Add up the observed results of covered stations into every unit.

    ``covered`` (U,) marks stations with a settled observed result; ``lines`` (U, L) and ``votes``
    (U, K) hold their figures (-1 missing, counted as 0). ``took_part`` are the column indices of
    ``lines`` that add up to the voters who took part, ``registered_line`` the registered-voters
    column (turnout = took part / registered, over covered stations).
    """
    covered = np.asarray(covered, dtype=bool) & tree.is_station
    mask = covered[:, None]
    given = np.concatenate([mask & (lines >= 0), mask & (votes >= 0)], axis=1)
    lines = np.where(mask & (lines >= 0), lines, 0).astype(np.int64)
    votes = np.where(mask & (votes >= 0), votes, 0).astype(np.int64)
    base = np.stack(
        [
            tree.is_station.astype(np.int64),
            covered.astype(np.int64),
            tree.registered * tree.is_station,
            tree.registered * covered,
        ],
        axis=1,
    )
    n_l, n_k = lines.shape[1], votes.shape[1]
    totals = tree.roll_up(np.concatenate([base, lines, votes, given.astype(np.int64)], axis=1))
    unit_lines, unit_votes = totals[:, 4 : 4 + n_l], totals[:, 4 + n_l : 4 + n_l + n_k]
    reported = totals[:, 4 + n_l + n_k :]
    valid = unit_votes.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(valid[:, None] > 0, unit_votes / np.maximum(valid, 1)[:, None], np.nan)
        if registered_line is None or not len(took_part):
            turnout = np.full(tree.size, np.nan)
        else:
            voters = unit_lines[:, list(took_part)].sum(axis=1)
            reg = unit_lines[:, registered_line]
            turnout = np.where(reg > 0, voters / np.maximum(reg, 1), np.nan)
    return Count(
        stations_total=totals[:, 0],
        stations_covered=totals[:, 1],
        registered_total=totals[:, 2],
        registered_covered=totals[:, 3],
        lines=unit_lines,
        votes=unit_votes,
        valid=valid,
        shares=shares,
        turnout=turnout,
        reported=reported,
    )


# ---------------------------------------------------------------------------------------------
# Comparison with the official figures


def differences(observed: np.ndarray, official: np.ndarray) -> np.ndarray:
    """Cells where both figures are known and differ (any shape, -1 = missing)."""
    return (observed >= 0) & (official >= 0) & (observed != official)


def subset_exceeds(count_figures: np.ndarray, official: np.ndarray) -> np.ndarray:
    """Cells where the observed stations alone add up to more than the unit's official total.

    ``count_figures`` (U, M) are the observed totals of covered stations under each unit,
    ``official`` (U, M) the official totals of the unit (-1 where there is none). The official
    total covers every station of the unit, so a subset exceeding it proves it wrong.
    """
    return (official >= 0) & (count_figures > official)


@dataclass(frozen=True)
class PartsCheck:
    """Official totals against the sum of their parts."""

    parts_sum: np.ndarray  # (U, M) sum of the parts used for the check
    complete: np.ndarray  # (U, M) every part has the figure
    parts: np.ndarray  # (U,) "children" or "stations": which parts were summed
    mismatch: np.ndarray  # (U, M) the official figure differs from (or is below) the parts


def parts_check(tree: Tree, official: np.ndarray) -> PartsCheck:
    """Compare every unit's official figures with the sum of its parts' official figures.

    The parts are the unit's direct children where all of them have the figure; otherwise the
    stations under it where all of them have it. With only some parts known, only a partial sum
    above the total is a mismatch (the missing parts can only add to it).
    """
    official = np.asarray(official, dtype=np.int64)
    present = official >= 0
    value = np.where(present, official, 0)
    n_children = tree.children_count()[:, None]
    child_sum = tree.children_sum(value)
    child_have = tree.children_sum(present.astype(np.int64))
    station = tree.is_station[:, None]
    station_sum = tree.roll_up(np.where(station, value, 0))
    station_have = tree.roll_up((station & present).astype(np.int64))
    station_total = tree.roll_up(tree.is_station.astype(np.int64))[:, None]

    children_complete = (n_children > 0) & (child_have == n_children)
    stations_complete = (station_total > 0) & (station_have == station_total)
    use_children = children_complete | ~stations_complete
    parts_sum = np.where(use_children, child_sum, station_sum)
    complete = np.where(use_children, children_complete, stations_complete)
    have_any = np.where(use_children, child_have, station_have) > 0
    not_station = ~station
    mismatch = (
        present
        & not_station
        & have_any
        & np.where(complete, parts_sum != official, parts_sum > official)
    )
    parts = np.where(use_children.all(axis=1), "children", "stations")
    return PartsCheck(parts_sum=parts_sum, complete=complete, parts=parts, mismatch=mismatch)


# ---------------------------------------------------------------------------------------------
# Ratio estimate


@dataclass(frozen=True)
class Estimates:
    """Estimated vote shares of every unit from its covered stations, with 95% margins."""

    share: np.ndarray  # (U, K) NaN where it cannot be estimated
    margin: np.ndarray  # (U, K)
    stations_used: np.ndarray  # (U,)
    stratified: np.ndarray  # (U,) bool: stratified by the unit's children
    strata_used: np.ndarray  # (U,) children with at least one covered station
    strata_total: np.ndarray  # (U,)
    registered_in_used_strata: np.ndarray  # (U,) share of registered voters in used strata


def ratio_estimates(
    tree: Tree,
    covered: np.ndarray,
    votes: np.ndarray,
    z: float = Z95,
) -> Estimates:
    """Ratio estimator of each choice's share (sum of its votes / sum of valid votes).

    For each unit, over its covered stations i (n of N stations): r = Σy_i / Σx_i with x the valid
    votes and y a choice's votes; the linearised variance is
    (1 - n/N) · Σ(y_i - r·x_i)² / (n - 1) / (n · x̄²).
    A unit whose children are not stations (a country with regions, a region with districts) is
    stratified by its children: the strata's ratios are weighted by their estimated valid votes
    (registered voters of the stratum × valid votes per registered voter where observed), and
    their variances add up with squared weights. Strata without a covered station are left out
    (reported in ``registered_in_used_strata``); a stratum with one covered station borrows the
    residual variance of its parent. Estimates need at least two covered stations.
    """
    covered = np.asarray(covered, dtype=bool) & tree.is_station
    y = np.where(covered[:, None], np.maximum(votes, 0), 0).astype(np.float64)
    x = y.sum(axis=1)
    k = y.shape[1]
    reg = (tree.registered * tree.is_station).astype(np.float64)
    cov = covered.astype(np.float64)
    base = np.column_stack(
        [
            tree.is_station.astype(np.float64),
            cov,
            reg,
            reg * cov,
            x,
            x * x,
            y,
            x[:, None] * y,
            y * y,
        ]
    )
    s = tree.roll_up(base)
    big_n, n, reg_all, reg_obs, sx, sxx = (s[:, i] for i in range(6))
    sy, sxy, syy = s[:, 6 : 6 + k], s[:, 6 + k : 6 + 2 * k], s[:, 6 + 2 * k :]

    with np.errstate(invalid="ignore", divide="ignore"):
        r = sy / sx[:, None]
        resid = np.maximum(syy - 2 * r * sxy + r * r * sxx[:, None], 0.0)
        s2 = resid / (n - 1)[:, None]
        xbar = sx / n
        fpc = np.clip(1.0 - n / big_n, 0.0, 1.0)
        var = fpc[:, None] * s2 / (n * xbar * xbar)[:, None]
    ok = (n >= 2) & (sx > 0)
    share = np.where(ok[:, None], r, np.nan)
    variance = np.where(ok[:, None], var, np.nan)

    # stratified units: every child is a non-station unit
    child = np.flatnonzero(tree.parent >= 0)
    station_children = np.zeros(tree.size, np.int64)
    np.add.at(station_children, tree.parent[child], tree.is_station[child].astype(np.int64))
    n_children = tree.children_count()
    stratified = (n_children > 0) & (station_children == 0)
    strata_total = np.where(stratified, n_children, 0)
    used_child = child[~tree.is_station[child] & (n[child] >= 1) & (sx[child] > 0)]
    used_child = used_child[stratified[tree.parent[used_child]]]
    par = tree.parent[used_child]
    with np.errstate(invalid="ignore", divide="ignore"):
        weight_raw = reg_all[used_child] * sx[used_child] / np.maximum(reg_obs[used_child], 1.0)
        r_child = sy[used_child] / sx[used_child][:, None]
        # one covered station: borrow the parent's residual variance
        s2_child = np.where((n[used_child] >= 2)[:, None], s2[used_child], s2[par])
        xbar_c = sx[used_child] / n[used_child]
        var_child = (
            np.clip(1.0 - n[used_child] / big_n[used_child], 0.0, 1.0)[:, None]
            * s2_child
            / (n[used_child] * xbar_c * xbar_c)[:, None]
        )
    var_child = np.nan_to_num(var_child, nan=0.0)
    w_sum = np.zeros(tree.size)
    np.add.at(w_sum, par, weight_raw)
    w = weight_raw / w_sum[par]
    strat_share = np.zeros((tree.size, k))
    strat_var = np.zeros((tree.size, k))
    np.add.at(strat_share, par, w[:, None] * r_child)
    np.add.at(strat_var, par, (w * w)[:, None] * var_child)
    strata_used = np.zeros(tree.size, np.int64)
    np.add.at(strata_used, par, 1)
    reg_used = np.zeros(tree.size)
    np.add.at(reg_used, par, reg_all[used_child])

    use_strata = stratified & (strata_used > 0) & ok
    share = np.where(use_strata[:, None], strat_share, share)
    variance = np.where(use_strata[:, None], strat_var, variance)
    with np.errstate(invalid="ignore", divide="ignore"):
        reg_share = np.where(
            use_strata, reg_used / np.maximum(reg_all, 1.0), np.where(ok, 1.0, np.nan)
        )
    return Estimates(
        share=share,
        margin=z * np.sqrt(variance),
        stations_used=n.astype(np.int64),
        stratified=use_strata,
        strata_used=np.where(use_strata, strata_used, 0),
        strata_total=strata_total,
        registered_in_used_strata=reg_share,
    )


# ---------------------------------------------------------------------------------------------
# Post-stratified estimate (the one the tally publishes)

#: Settlement classes of a station for post-stratification (`station_classes`).
SETTLEMENT_CLASSES = ("urban", "rural", "abroad", "closed", "unknown")
#: Size classes: terciles of registered voters over all stations of the election.
SIZE_CLASSES = ("small", "medium", "large")
#: Bootstrap replicates of the interval, and their fixed seed (a recount of the same data gives
#: the same interval, whichever stations were recounted).
BOOTSTRAP_REPLICATES = 200
BOOTSTRAP_SEED = 20190609

POSTSTRATIFIED_LABEL = (
    "Estimate from the stations that observers covered, which are not a random sample "
    "(observers go where they can, more often to towns), post-stratified: each region is split "
    "into cells by settlement (town, village, abroad, closed) and station size, each cell's "
    "result is weighted by its own registered voters, so a coverage that favours towns or big "
    "stations no longer pulls the estimate. The interval adds the sampling spread within cells "
    "(bootstrap), the estimated weights, and the uncertainty of cells no observer covered. It "
    "still assumes that, within a cell, observed stations vote like the others: fraud that is "
    "rarer where observers are is not corrected."
)


def station_classes(
    is_station: np.ndarray,
    registered: np.ndarray,
    urban: np.ndarray,
    abroad: np.ndarray,
    closed: np.ndarray,
    known: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(settlement class, size class) of every unit: index into `SETTLEMENT_CLASSES` and
    `SIZE_CLASSES` for stations, -1 elsewhere. A station whose settlement is not known is
    "unknown" (a class of its own, never guessed); abroad and closed come first."""
    is_station = np.asarray(is_station, bool)
    settlement = np.where(np.asarray(urban, bool), 0, 1)
    settlement = np.where(~np.asarray(known, bool), 4, settlement)
    settlement = np.where(np.asarray(abroad, bool), 2, settlement)
    settlement = np.where(np.asarray(closed, bool), 3, settlement)
    reg = np.asarray(registered, np.float64)
    size = np.full(is_station.size, -1, np.int64)
    if is_station.any():
        cuts = np.quantile(reg[is_station], [1 / 3, 2 / 3])
        size = np.where(is_station, np.searchsorted(cuts, reg, side="right"), -1)
    return np.where(is_station, settlement, -1).astype(np.int64), size.astype(np.int64)


def _ancestor_at(tree: Tree, rows: np.ndarray, depth: int) -> np.ndarray:
    """The ancestor at ``depth`` of each unit in ``rows`` (itself when already there)."""
    current = np.asarray(rows, np.int64).copy()
    while True:
        deeper = tree.depth[current] > depth
        if not deeper.any():
            return current
        current[deeper] = tree.parent[current[deeper]]


@dataclass(frozen=True)
class _Level:
    """Strata of the units at one depth: each station's stratum, group and unit."""

    units: np.ndarray  # (M,) unit index of each stratum-owning unit
    stratum_unit: np.ndarray  # (H,) position in `units` of each stratum
    stratum_group: np.ndarray  # (H,) group (the unit's child holding the cell, or the unit)
    n_groups: int
    stations: np.ndarray  # (N,) station rows
    stratum: np.ndarray  # (N,) stratum of each station
    population: np.ndarray  # (H,) registered voters of each stratum
    stations_total: np.ndarray  # (H,)


def _level(
    tree: Tree, stations: np.ndarray, cell: np.ndarray, depth: int, reg: np.ndarray
) -> _Level:
    unit = _ancestor_at(tree, stations, depth)
    child = _ancestor_at(tree, stations, depth + 1)
    child = np.where(tree.is_station[child], -1, child)  # a district's cells: no sub-units
    keys = np.stack([unit, child, cell[stations]])
    uniq, stratum = np.unique(keys, axis=1, return_inverse=True)
    stratum = stratum.ravel()
    units, stratum_unit = np.unique(uniq[0], return_inverse=True)
    _, stratum_group = np.unique(uniq[:2], axis=1, return_inverse=True)
    h = uniq.shape[1]
    return _Level(
        units=units,
        stratum_unit=stratum_unit.ravel(),
        stratum_group=stratum_group.ravel(),
        n_groups=int(stratum_group.max(initial=-1)) + 1,
        stations=stations,
        stratum=stratum,
        population=np.bincount(stratum, weights=reg[stations], minlength=h),
        stations_total=np.bincount(stratum, minlength=h).astype(np.int64),
    )


def _one_hot(index: np.ndarray, size: int):
    """(n, size) sparse indicator of ``index`` (n,)."""
    from scipy import sparse

    n = index.size
    return sparse.csr_matrix((np.ones(n), (np.arange(n), index)), shape=(n, size))


def _sum_by(values: np.ndarray, indicator) -> np.ndarray:
    """Sum (B, H, K) values over H into the groups of ``indicator`` (H, G): (B, G, K)."""
    b, h, k = values.shape
    flat = values.transpose(0, 2, 1).reshape(b * k, h)
    return np.asarray(flat @ indicator).reshape(b, k, -1).transpose(0, 2, 1)


def _poststratify(
    lv: _Level, obs: np.ndarray, x: np.ndarray, y: np.ndarray, reg: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(share (B, M, K), stratum ratio (B, H, K), stratum weight (B, H)) from the observed
    stations ``obs`` (positions into ``lv.stations``) counted ``w`` (B, n) times: one row of
    ones for the estimate, Poisson draws for the bootstrap replicates.

    A stratum with no (weighted) observed station takes the post-stratified ratio and valid
    votes per registered voter of its group (the same region), else of its unit."""
    from scipy import sparse

    h, m = lv.population.size, lv.units.size
    k = y.shape[1]
    # one sparse matrix holds every station's x, registered and y in its stratum's columns:
    # the sums of all replicates are one product
    n, width = obs.size, k + 2
    columns = (lv.stratum[obs][:, None] * width + np.arange(width)).ravel()
    values = np.column_stack([x, reg, y]).ravel()
    per_station = sparse.csr_matrix(
        (values, (np.repeat(np.arange(n), width), columns)), shape=(n, h * width)
    )
    sums = np.asarray(w @ per_station).reshape(w.shape[0], h, width)
    hx, hreg, hy = sums[..., 0], sums[..., 1], sums[..., 2:]
    groups = _one_hot(lv.stratum_group, lv.n_groups)  # (H, G)
    units = _one_hot(lv.stratum_unit, m)  # (H, M)
    g, u = lv.stratum_group, lv.stratum_unit
    pop = lv.population[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        have = (hx > 0) & (hreg > 0)
        ratio = np.where(have[..., None], hy / hx[..., None], 0.0)
        per_reg = np.where(have, hx / hreg, 0.0)
        # a stratum nobody covered takes its region's (else its unit's) post-stratified ratio and
        # valid votes per registered voter: the covered strata there weighted by their voters
        own = np.where(have, pop * per_reg, 0.0)
        for parent, indicator in ((g, groups), (u, units)):
            total = np.asarray(own @ indicator)  # (B, P)
            covered_pop = np.asarray(np.where(have, pop, 0.0) @ indicator)
            r_par = _sum_by(own[..., None] * ratio, indicator) / total[..., None]
            v_par = total / covered_pop
            fill = ~have & (total[:, parent] > 0)
            ratio = np.where(fill[..., None], r_par[:, parent], ratio)
            per_reg = np.where(fill, v_par[:, parent], per_reg)
            have = have | fill
        weight = np.where(have, pop * per_reg, 0.0)
        total = np.asarray(weight @ units)
        share = _sum_by(weight[..., None] * ratio, units) / total[..., None]
    return share, ratio, weight


def poststratified_estimates(
    tree: Tree,
    covered: np.ndarray,
    votes: np.ndarray,
    cell: np.ndarray,
    *,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = BOOTSTRAP_SEED,
    z: float = Z95,
) -> Estimates:
    """Each choice's share in every unit above the stations, post-stratified, with a 95% interval
    that includes the selection uncertainty the strata can see.

    Method. The stations under a unit are split into strata: its child unit (a region of the
    country, nothing for a district) × ``cell`` (the station's settlement and size class, see
    `station_classes`). In each stratum h the covered stations give a ratio r_h = Σy/Σx (a
    choice's votes over valid votes) and the valid votes per registered voter v_h; the stratum
    weighs W_h = (registered voters of all its stations) × v_h, and the estimate is
    Σ W_h r_h / Σ W_h. A stratum no observer covered borrows r and v of its region (else of the
    unit), post-stratified in turn (not the raw pooled ratio, which the over-covered cells would
    pull): its voters still count with their own weight.

    Interval. (1) A Poisson bootstrap over the covered stations (each station drawn a Poisson(1)
    number of times, so stations are resampled within their strata and a thinly covered stratum
    may fall back to its region), re-estimating the ratios and the weights in each of
    ``replicates`` replicates (half as many for the many small units right above the stations,
    districts, to keep a recount fast): the sampling spread within strata and of the weights.
    (2) The strata nobody covered (closed stations, where observers never get in): their true
    ratio may be anywhere in the range of the covered strata's ratios of the unit; taken as
    uniform there (variance range²/12) and, with a_h their share of the weight, all erring the
    same way (the cautious choice), (Σ a_h)² · range²/12 is added.
    margin = z · √(bootstrap + uncovered). Estimates need two covered stations under the unit.
    """
    covered = np.asarray(covered, bool) & tree.is_station
    votes = np.maximum(np.asarray(votes, np.int64), 0)
    k = votes.shape[1]
    n_units = tree.size
    share = np.full((n_units, k), np.nan)
    margin = np.full((n_units, k), np.nan)
    strata_used = np.zeros(n_units, np.int64)
    strata_total = np.zeros(n_units, np.int64)
    reg_used = np.full(n_units, np.nan)
    stations = np.flatnonzero(tree.is_station)
    counts = tree.roll_up(np.column_stack([tree.is_station, covered]).astype(np.int64))
    if not stations.size or k == 0:
        return Estimates(
            share, margin, counts[:, 1], counts[:, 1] > 0, strata_used, strata_total, reg_used
        )
    # registered voters weigh the strata; an election that does not know them weighs stations
    known_reg = (tree.registered[stations] > 0).any()
    size = np.where(tree.is_station, tree.registered if known_reg else 1, 0).astype(np.float64)
    rng = np.random.default_rng(seed)
    depths = sorted({int(d) for d in tree.depth[~tree.is_station]})
    for depth in depths:
        lv = _level(tree, stations, np.asarray(cell, np.int64), depth, size)
        obs = np.flatnonzero(covered[stations])
        rows = stations[obs]
        x = votes[rows].sum(axis=1).astype(np.float64)
        y = votes[rows].astype(np.float64)
        reg = size[rows]
        point, ratio, weight = (
            a[0] for a in _poststratify(lv, obs, x, y, reg, np.ones((1, obs.size)))
        )
        # units right above the stations (districts: many, small) get half the replicates
        reps = replicates if depth < max(depths) or len(depths) == 1 else max(replicates // 2, 2)
        draws = rng.poisson(1.0, (reps, obs.size)).astype(np.float64)
        boot = _poststratify(lv, obs, x, y, reg, draws)[0]
        with warnings.catch_warnings(), np.errstate(invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # units no observer covered
            var_boot = np.nanvar(boot, axis=0, ddof=1) if reps > 1 else np.zeros_like(point)
        observed_h = np.bincount(lv.stratum[obs], minlength=lv.population.size) > 0
        u = lv.stratum_unit
        total = np.bincount(u, weights=weight, minlength=lv.units.size)
        a = np.where(total[u] > 0, weight / np.maximum(total[u], 1e-300), 0.0)
        uncovered = np.bincount(u, weights=np.where(observed_h, 0.0, a), minlength=lv.units.size)
        # an uncovered cell's ratio is taken as anywhere in the range of the covered cells'
        # ratios of its unit (uniform: variance range² / 12), all uncovered cells erring alike
        seen = np.flatnonzero(observed_h)
        high = np.full((lv.units.size, k), -np.inf)
        low = np.full((lv.units.size, k), np.inf)
        np.maximum.at(high, u[seen], ratio[seen])
        np.minimum.at(low, u[seen], ratio[seen])
        spread = np.where(np.isfinite(high - low), high - low, 0.0)
        var_imp = uncovered[:, None] ** 2 * spread**2 / 12.0
        ok = counts[lv.units, 1] >= 2
        at = lv.units[ok]
        share[at] = point[ok]
        margin[at] = z * np.sqrt(np.nan_to_num(var_boot[ok] + var_imp[ok], nan=np.inf))
        strata_used[lv.units] = np.bincount(u, weights=observed_h, minlength=lv.units.size)
        strata_total[lv.units] = np.bincount(u, minlength=lv.units.size)
        pop = np.bincount(u, weights=lv.population, minlength=lv.units.size)
        covered_pop = np.bincount(u, weights=lv.population * observed_h, minlength=lv.units.size)
        reg_used[lv.units] = np.where(pop > 0, covered_pop / np.maximum(pop, 1.0), np.nan)
    return Estimates(
        share=share,
        margin=margin,
        stations_used=counts[:, 1],
        stratified=np.isfinite(share).all(axis=1) & ~tree.is_station,
        strata_used=strata_used,
        strata_total=strata_total,
        registered_in_used_strata=reg_used,
    )


def coverage_by_class(tree: Tree, covered: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """(U, n, 2) stations of each class (label 0..n-1) under every unit: [all, covered]."""
    labels = np.asarray(labels, np.int64)
    one_hot = np.zeros((tree.size, n, 2), np.int64)
    at = np.flatnonzero(tree.is_station & (labels >= 0))
    one_hot[at, labels[at], 0] = 1
    cov = at[np.asarray(covered, bool)[at]]
    one_hot[cov, labels[cov], 1] = 1
    return tree.roll_up(one_hot.reshape(tree.size, n * 2)).reshape(tree.size, n, 2)


def second_round_verdict(share: float, margin: float, threshold: float) -> str:
    """ "due" when the whole interval is below the majority threshold (a second round was due),
    "not_due" when it is entirely above it, "undecided" when the interval straddles it."""
    if not np.isfinite(share) or not np.isfinite(margin):
        return "undecided"
    if share + margin < threshold:
        return "due"
    if share - margin > threshold:
        return "not_due"
    return "undecided"


__all__ = [
    "DEFAULT_TURNOUT",
    "MISSING",
    "NOT_RANDOM_LABEL",
    "TURNOUT_LINES",
    "Z95",
    "BOOTSTRAP_REPLICATES",
    "POSTSTRATIFIED_LABEL",
    "SETTLEMENT_CLASSES",
    "SIZE_CLASSES",
    "ConflictCell",
    "Count",
    "Estimates",
    "PartsCheck",
    "Reconciliation",
    "Tree",
    "conflict_cells",
    "count_up",
    "coverage_by_class",
    "poststratified_estimates",
    "station_classes",
    "differences",
    "majority",
    "parts_check",
    "ratio_estimates",
    "reconcile",
    "second_round_verdict",
    "subset_exceeds",
    "turnout_lines",
]
