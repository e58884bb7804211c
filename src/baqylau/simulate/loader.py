"""Store a simulated election in the database (official figures only) with its ground truth file.

The database receives what a real import would: the election, the contest, its choices, the unit
tree and the *official* protocols at station level, plus their sums at district, region and
country level. What the voters really did, the signed protocols and which stations were
manipulated stay in `DATA_DIR/simulations/<code>.npz`, referenced by a `Simulation` row.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction

from baqylau.elections.models import (
    AdminUnit,
    Choice,
    Contest,
    Election,
    OfficialLine,
    OfficialResult,
    OfficialVote,
)
from baqylau.evidence import ledger
from baqylau.simulate.engine import LINES, SimulatedElection
from baqylau.simulate.models import Simulation
from baqylau.tally.tasks import recount_election

BATCH = 5_000
DEFAULT_DATE = dt.date(2019, 6, 9)


class ElectionExists(Exception):
    """An election with this code exists and `replace=True` was not given."""


def ground_truth_relpath(election_code: str) -> str:
    return f"simulations/{election_code}.npz"


def load_simulation(
    sim: SimulatedElection,
    *,
    election_code: str,
    replace: bool = False,
    date: dt.date = DEFAULT_DATE,
    source: str | None = None,
) -> Election:
    """Create the election of `sim` in the database; returns the `Election`.

    Raises `ElectionExists` when `election_code` is taken, unless `replace=True` (the old
    election and everything under it is deleted in the same transaction).
    """
    relpath = ground_truth_relpath(election_code)
    final = Path(settings.DATA_DIR) / relpath
    temp = final.with_name(f".{final.stem}.{os.getpid()}.tmp.npz")
    if not replace and Election.objects.filter(code=election_code).exists():
        raise ElectionExists(f"election {election_code!r} exists; pass replace=True to replace it")
    sim.save(temp)
    try:
        with transaction.atomic():
            existing = Election.objects.filter(code=election_code).first()
            if existing is not None:
                if not replace:
                    raise ElectionExists(f"election {election_code!r} exists")
                _delete_election(existing)
            election = _write(sim, election_code=election_code, date=date, source=source)
            Simulation.objects.create(
                election=election,
                seed=sim.config.seed,
                config=sim.config.to_dict(),
                summary=sim.summary(),
                ground_truth=relpath,
            )
            recount_election(
                election.pk, forensics=False
            )  # the count and pages follow by themselves
        os.replace(temp, final)
    finally:
        temp.unlink(missing_ok=True)
    return election


def _delete_election(election: Election) -> None:
    """Delete an election; the big leaf tables go first in single statements (fast)."""
    results = OfficialResult.objects.filter(contest__election=election)
    ledger.record_deletions(
        OfficialResult, list(results.values_list("pk", flat=True)), reason="simulation replaced"
    )
    OfficialVote.objects.filter(result__contest__election=election).delete()
    OfficialLine.objects.filter(result__contest__election=election).delete()
    OfficialResult.objects.filter(contest__election=election).delete()
    # Stations have no children: delete them before the upper levels of the tree.
    AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.STATION).delete()
    election.delete()


def _names(names: dict[str, np.ndarray], i: int) -> dict[str, str]:
    return {f"name_{lang}": str(names[lang][i]) for lang in ("kk", "ru", "en")}


def _write(
    sim: SimulatedElection, *, election_code: str, date: dt.date, source: str | None
) -> Election:
    cfg = sim.config
    seed = cfg.seed
    election = Election.objects.create(
        code=election_code,
        date=date,
        kind=Election.Kind.PRESIDENTIAL,
        country=cfg.country,
        is_synthetic=True,
        name_kk=f"Синтетикалық президент сайлауы (seed {seed})",
        name_ru=f"Синтетические президентские выборы (seed {seed})",
        name_en=f"Synthetic presidential election (seed {seed})",
    )
    contest = Contest.objects.create(
        election=election,
        code="president",
        kind=Contest.Kind.PRESIDENTIAL,
        protocol_form="kz_president",
        majority_threshold=50,
        name_kk="Қазақстан Республикасының Президенті",
        name_ru="Президент Республики Казахстан",
        name_en="President of the Republic of Kazakhstan",
    )
    choices = Choice.objects.bulk_create(
        [
            Choice(
                contest=contest,
                code=str(sim.choice_code[j]),
                number=int(sim.choice_number[j]),
                kind=Choice.Kind.CANDIDATE,
                name_kk=str(sim.choice_name_kk[j]),
                name_ru=str(sim.choice_name_ru[j]),
                name_en=str(sim.choice_name_en[j]),
            )
            for j in range(sim.choice_code.size)
        ]
    )
    choice_ids = _ids(choices, Choice, contest=contest)

    # -- the unit tree --------------------------------------------------------------------------
    country_code = cfg.country
    kk, ru, en = cfg.country_names
    country = AdminUnit.objects.create(
        election=election,
        kind=AdminUnit.Kind.COUNTRY,
        depth=0,
        code=country_code,
        path=country_code,
        name_kk=kk,
        name_ru=ru,
        name_en=en,
    )
    region_paths = np.char.add(country_code + "/", sim.region_code)
    rnames = sim.region_names()
    regions = AdminUnit.objects.bulk_create(
        [
            AdminUnit(
                election=election,
                parent=country,
                kind=AdminUnit.Kind.REGION,
                depth=1,
                code=str(sim.region_code[i]),
                path=str(region_paths[i]),
                **_names(rnames, i),
            )
            for i in range(sim.n_regions)
        ],
        batch_size=BATCH,
    )
    region_ids = _ids(regions, AdminUnit, election=election, kind=AdminUnit.Kind.REGION)

    district_paths = np.char.add(
        np.char.add(region_paths[sim.district_region], "/"), sim.district_code
    )
    dnames = sim.district_names()
    districts = AdminUnit.objects.bulk_create(
        [
            AdminUnit(
                election=election,
                parent_id=int(region_ids[sim.district_region[i]]),
                kind=AdminUnit.Kind.DISTRICT,
                depth=2,
                code=str(sim.district_code[i]),
                path=str(district_paths[i]),
                is_abroad=bool(sim.district_abroad[i]),
                **_names(dnames, i),
            )
            for i in range(sim.n_districts)
        ],
        batch_size=BATCH,
    )
    district_ids = _ids(districts, AdminUnit, election=election, kind=AdminUnit.Kind.DISTRICT)

    station_codes = sim.station_code
    station_paths = np.char.add(
        np.char.add(district_paths[sim.station_district], "/"), station_codes
    )
    snames = sim.station_names()
    closed_kind = sim.station_closed_kind
    parent_ids = district_ids[sim.station_district].tolist()
    registered = sim.registered.tolist()
    abroad = sim.station_abroad.tolist()
    settlement = np.where(sim.station_urban, "urban", np.where(sim.station_abroad, "", "rural"))
    station_units = [
        AdminUnit(
            election=election,
            parent_id=parent_ids[i],
            kind=AdminUnit.Kind.STATION,
            depth=3,
            code=str(station_codes[i]),
            path=str(station_paths[i]),
            registered_voters=registered[i],
            is_abroad=abroad[i],
            closed=closed_kind[i],
            settlement=str(settlement[i]),
            name_kk=str(snames["kk"][i]),
            name_ru=str(snames["ru"][i]),
            name_en=str(snames["en"][i]),
        )
        for i in range(sim.n_stations)
    ]
    stations = AdminUnit.objects.bulk_create(station_units, batch_size=BATCH)
    station_ids = _ids(stations, AdminUnit, election=election, kind=AdminUnit.Kind.STATION)

    # -- official results: stations, then sums by district, region and country ----------------
    d_lines, d_votes = sim.totals("official", by="district")
    r_lines, r_votes = sim.totals("official", by="region")
    c_lines, c_votes = sim.totals("official", by="country")
    unit_ids = np.concatenate([station_ids, district_ids, region_ids, [country.pk]])
    all_lines = np.concatenate(
        [sim.official_lines.astype(np.int64), d_lines, r_lines, c_lines[None, :]]
    )
    all_votes = np.concatenate(
        [sim.official_votes.astype(np.int64), d_votes, r_votes, c_votes[None, :]]
    )
    source = source or f"simulation seed={seed}"
    results = OfficialResult.objects.bulk_create(
        [OfficialResult(contest=contest, unit_id=int(u), source=source) for u in unit_ids],
        batch_size=BATCH,
    )
    result_ids = _ids(results, OfficialResult, contest=contest)
    if any(r.unit_id != int(u) for r, u in zip(results, unit_ids, strict=True)):
        raise RuntimeError("bulk_create returned results out of order")

    result_list = result_ids.tolist()
    lines_list = all_lines.tolist()
    OfficialLine.objects.bulk_create(
        (
            OfficialLine(result_id=rid, line=code, value=value)
            for rid, row in zip(result_list, lines_list, strict=True)
            for code, value in zip(LINES, row, strict=True)
        ),
        batch_size=BATCH,
    )
    choice_list = choice_ids.tolist()
    votes_list = all_votes.tolist()
    OfficialVote.objects.bulk_create(
        (
            OfficialVote(result_id=rid, choice_id=cid, votes=value)
            for rid, row in zip(result_list, votes_list, strict=True)
            for cid, value in zip(choice_list, row, strict=True)
        ),
        batch_size=BATCH,
    )
    ledger.record_pks({OfficialResult: result_list})  # official figures are evidence too
    return election


def _ids(objs: list, model: type, **filters) -> np.ndarray:
    """Primary keys of freshly bulk-created rows (returned by PostgreSQL and SQLite ≥ 3.35)."""
    ids = [o.pk for o in objs]
    if any(pk is None for pk in ids):  # older backends: read them back in insertion order
        ids = list(model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True))
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
    return np.asarray(ids, dtype=np.int64)
