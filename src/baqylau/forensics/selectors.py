"""Build `StationArrays` from the database: official results at station level (uses Django).

Lines by protocol form (the codes the importers write):
* `kz_president` (and other `kz_*` forms): L1 registered, L3 issued, L5 took part (= received),
  L7 invalid; valid = sum of the choices' votes;
* Russian UIK forms (`ru_uik_*`, 2011-2021): L1 registered, L3 + L4 + L5 issued (early,
  in-station, outside), L9 invalid, L10 valid; received = valid + invalid;
* the 2020 constitutional vote (`ru_vote_2020`): L1 participants on the list, L2 issued, L4
  invalid; valid = the sum of the answers (the protocol has no valid line), received = valid +
  invalid (= L3, ballots in the boxes, by its control relation);
* Albania 2013 (`al_parliament_2013`): L1 registered, L2 ballots cast (issued and received);
  valid = the sum of the parties' votes, invalid = ballots cast - valid (not below 0);
* Uganda 2011 (`ug_president_2011`): L1 registered, L5 took part (issued and received), L2
  valid, L3 invalid.
An unknown figure is never 0: a station lacking a line of its form (or, where received is the
sum of the choices, a choice's votes), or the leader's votes, is left out of the arrays and
counted in their `missing` / `left_out`; a station lacking another choice's votes is kept, with
that choice (and a valid or invalid count summed from the choices) marked unknown in `known`.
The leader is `leader` (a choice code) or the choice with the most official votes. Units:
`region` (first two path segments) and `district` (the station's parent path). The observed
mask marks the stations that had observers (placed there, or an observer's copy received:
`observers.selectors.observed_station_ids`).
"""

from __future__ import annotations

import numpy as np

from baqylau.elections.models import (
    AdminUnit,
    Contest,
    Election,
    OfficialLine,
    OfficialResult,
    OfficialVote,
)
from baqylau.forensics.data import StationArrays
from baqylau.observers.selectors import observed_station_ids

FORMS = {
    "kz": {"registered": ("L1",), "issued": ("L3",), "received": ("L5",), "invalid": ("L7",)},
    "ru_vote_2020": {"registered": ("L1",), "issued": ("L2",), "invalid": ("L4",)},
    "al_parliament_2013": {"registered": ("L1",), "issued": ("L2",), "received": ("L2",)},
    "ug_president_2011": {
        "registered": ("L1",),
        "issued": ("L5",),
        "received": ("L5",),
        "valid": ("L2",),
        "invalid": ("L3",),
    },
    "ru_uik": {
        "registered": ("L1",),
        "issued": ("L3", "L4", "L5"),
        "invalid": ("L9",),
        "valid": ("L10",),
    },
}


def _form_lines(protocol_form: str) -> dict[str, tuple[str, ...]]:
    """The lines of a form: its own entry, else the longest entry its code starts with
    (`ru_uik_2018` -> `ru_uik`, `kz_president` -> `kz`)."""
    code = protocol_form.lower()
    for key in sorted(FORMS, key=len, reverse=True):
        if code == key or code.startswith(key + "_"):
            return FORMS[key]
    raise ValueError(f"no forensic line mapping for protocol form {protocol_form!r}")


def station_arrays(
    election_code: str,
    *,
    unit_path: str | None = None,
    contest_code: str | None = None,
    leader: str | None = None,
) -> StationArrays:
    """Official station results of one contest (optionally under one unit) as arrays."""
    election = Election.objects.get(code=election_code)
    contests = Contest.objects.filter(election=election).order_by("id")
    contest = contests.get(code=contest_code) if contest_code else contests.first()
    if contest is None:
        raise ValueError(f"election {election_code!r} has no contest")
    mapping = _form_lines(contest.protocol_form)
    results = OfficialResult.objects.filter(contest=contest, unit__kind=AdminUnit.Kind.STATION)
    if unit_path:
        path = unit_path.rstrip("/")
        results = results.filter(unit__path__startswith=path + "/") | results.filter(
            unit__path=path
        )
    rows = list(results.order_by("id").values_list("id", "unit__path", "unit_id"))
    if not rows:
        raise ValueError(f"no station-level official results for {election_code!r}")
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    paths = np.array([r[1] for r in rows])
    observed_ids = observed_station_ids(election)
    observed = np.array([r[2] in observed_ids for r in rows], dtype=bool)
    n = ids.size

    wanted = sorted({code for codes in mapping.values() for code in codes})
    line_rows = np.array(
        list(
            OfficialLine.objects.filter(result__in=results, line__in=wanted).values_list(
                "result_id", "line", "value"
            )
        ),
        dtype=object,
    ).reshape(-1, 3)
    line_index = {code: i for i, code in enumerate(wanted)}
    table = np.zeros((n, len(wanted)), dtype=np.int64)
    line_known = np.zeros((n, len(wanted)), dtype=bool)
    if line_rows.size:
        pos = np.searchsorted(ids, line_rows[:, 0].astype(np.int64))
        col = np.array([line_index[c] for c in line_rows[:, 1]], dtype=np.int64)
        table[pos, col] = line_rows[:, 2].astype(np.int64)
        line_known[pos, col] = True

    choices = list(contest.choices.order_by("number", "code").values_list("code", flat=True))
    choice_index = {c: j for j, c in enumerate(choices)}
    vote_rows = np.array(
        list(
            OfficialVote.objects.filter(result__in=results).values_list(
                "result_id", "choice__code", "votes"
            )
        ),
        dtype=object,
    ).reshape(-1, 3)
    votes = np.zeros((n, len(choices)), dtype=np.int64)
    votes_known = np.zeros((n, len(choices)), dtype=bool)
    if vote_rows.size:
        pos = np.searchsorted(ids, vote_rows[:, 0].astype(np.int64))
        col = np.array([choice_index[c] for c in vote_rows[:, 1]], dtype=np.int64)
        votes[pos, col] = vote_rows[:, 2].astype(np.int64)
        votes_known[pos, col] = True

    def line_sum(key: str) -> tuple[np.ndarray, np.ndarray]:
        """(the sum of the figure's lines, where every one of them is known)."""
        cols = [line_index[c] for c in mapping[key]]
        return table[:, cols].sum(axis=1), line_known[:, cols].all(axis=1)

    # an unknown figure is never 0: each figure comes with the mask of where it is known
    if "valid" in mapping:
        valid, valid_known = line_sum("valid")
    else:  # the sum of the choices: known where every choice's votes are
        valid, valid_known = votes.sum(axis=1), votes_known.all(axis=1)
    if "invalid" in mapping:
        invalid, invalid_known = line_sum("invalid")
        if "received" in mapping:
            received, received_known = line_sum("received")
        else:
            received, received_known = valid + invalid, valid_known & invalid_known
    else:  # only the ballots cast are published: invalid is what the choices do not account for
        received, received_known = line_sum("received")
        invalid, invalid_known = np.clip(received - valid, 0, None), received_known & valid_known
    registered, registered_known = line_sum("registered")
    issued, issued_known = line_sum("issued")
    totals = np.where(votes_known, votes, 0).sum(axis=0)
    leader_index = choice_index[leader] if leader is not None else int(np.argmax(totals))

    # A station lacking a line of the form, its received ballots or the leader's votes is left
    # out (every method needs them); one lacking another choice's votes is kept, that choice
    # (and a valid/invalid count summed from the choices) marked unknown there.
    needed = {
        "registered": registered_known,
        "issued": issued_known,
        "received": received_known,
        "leader_votes": votes_known[:, leader_index],
    }
    if "valid" in mapping:
        needed["valid"] = valid_known
    if "invalid" in mapping:
        needed["invalid"] = invalid_known
    keep = np.logical_and.reduce(list(needed.values()))
    missing = {name: int((~known).sum()) for name, known in needed.items() if not known.all()}
    if not keep.any():
        raise ValueError(
            f"no station of {election_code!r} has every figure the methods need "
            f"(stations lacking each: {missing})"
        )
    known = {}
    if not votes_known[keep].all():
        known["votes"] = votes_known[keep]
    for name, mask in (("valid", valid_known), ("invalid", invalid_known)):
        if not mask[keep].all():
            known[name] = mask[keep]
    paths, observed = paths[keep], observed[keep]
    parts = [p.split("/") for p in paths]
    region = np.array(["/".join(p[:2]) for p in parts])
    district = np.array(["/".join(p[:-1]) for p in parts])
    return StationArrays(
        registered=registered[keep],
        issued=issued[keep],
        received=received[keep],
        valid=valid[keep],
        invalid=invalid[keep],
        votes=votes[keep],
        choices=tuple(choices),
        leader=leader_index,
        units={"region": region, "district": district},
        station_ids=paths,
        observed=observed,
        label=f"{election_code}/{contest.code}" + (f" under {unit_path}" if unit_path else ""),
        known=known,
        missing=missing,
        left_out=int((~keep).sum()),
    )


__all__ = ["FORMS", "station_arrays"]
