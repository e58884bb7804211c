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
    if line_rows.size:
        pos = np.searchsorted(ids, line_rows[:, 0].astype(np.int64))
        col = np.array([line_index[c] for c in line_rows[:, 1]], dtype=np.int64)
        table[pos, col] = line_rows[:, 2].astype(np.int64)

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
    if vote_rows.size:
        pos = np.searchsorted(ids, vote_rows[:, 0].astype(np.int64))
        col = np.array([choice_index[c] for c in vote_rows[:, 1]], dtype=np.int64)
        votes[pos, col] = vote_rows[:, 2].astype(np.int64)

    def line_sum(key: str) -> np.ndarray:
        return sum(table[:, line_index[c]] for c in mapping[key])

    valid = line_sum("valid") if "valid" in mapping else votes.sum(axis=1)
    if "invalid" in mapping:
        invalid = line_sum("invalid")
        received = line_sum("received") if "received" in mapping else valid + invalid
    else:  # only the ballots cast are published: invalid is what the choices do not account for
        received = line_sum("received")
        invalid = np.clip(received - valid, 0, None)
    totals = votes.sum(axis=0)
    leader_index = choice_index[leader] if leader is not None else int(np.argmax(totals))
    parts = [p.split("/") for p in paths]
    region = np.array(["/".join(p[:2]) for p in parts])
    district = np.array(["/".join(p[:-1]) for p in parts])
    return StationArrays(
        registered=line_sum("registered"),
        issued=line_sum("issued"),
        received=received,
        valid=valid,
        invalid=invalid,
        votes=votes,
        choices=tuple(choices),
        leader=leader_index,
        units={"region": region, "district": district},
        station_ids=paths,
        observed=observed,
        label=f"{election_code}/{contest.code}" + (f" under {unit_path}" if unit_path else ""),
    )


__all__ = ["FORMS", "station_arrays"]
