import datetime

import numpy as np
import pytest

pytestmark = pytest.mark.django_db


def _unit(election, parent, kind, code, depth):
    from baqylau.elections.models import AdminUnit

    path = f"{parent.path}/{code}" if parent else code
    return AdminUnit.objects.create(
        election=election, parent=parent, kind=kind, code=code, depth=depth, path=path
    )


def test_station_arrays_from_official_results():
    from baqylau.elections.models import (
        Choice,
        Contest,
        Election,
        OfficialLine,
        OfficialResult,
        OfficialVote,
    )
    from baqylau.forensics.selectors import station_arrays

    e = Election.objects.create(
        code="t-kz", date=datetime.date(2019, 6, 9), kind="presidential", country="KZ"
    )
    c = Contest.objects.create(
        election=e, code="p", kind="presidential", protocol_form="kz_president"
    )
    a = Choice.objects.create(contest=c, code="a", number=1)
    b = Choice.objects.create(contest=c, code="b", number=2)
    kz = _unit(e, None, "country", "KZ", 0)
    region = _unit(e, kz, "region", "01", 1)
    district = _unit(e, region, "district", "0101", 2)
    other = _unit(e, _unit(e, kz, "region", "02", 1), "district", "0201", 2)
    figures = [
        (district, "1", 1000, 600, 590, 10, 400, 180),
        (other, "2", 800, 500, 500, 5, 100, 300),
    ]
    for parent, code, l1, l3, l5, l7, va, vb in figures:
        st = _unit(e, parent, "station", code, 3)
        res = OfficialResult.objects.create(contest=c, unit=st)
        for line, value in (("L1", l1), ("L3", l3), ("L5", l5), ("L7", l7)):
            OfficialLine.objects.create(result=res, line=line, value=value)
        OfficialVote.objects.create(result=res, choice=a, votes=va)
        OfficialVote.objects.create(result=res, choice=b, votes=vb)
    # a district-level result must be ignored
    OfficialResult.objects.create(contest=c, unit=district)

    arrays = station_arrays("t-kz")
    assert arrays.n_stations == 2
    assert arrays.registered.tolist() == [1000, 800]
    assert arrays.issued.tolist() == [600, 500]
    assert arrays.received.tolist() == [590, 500]
    assert arrays.valid.tolist() == [580, 400]
    assert arrays.choices == ("a", "b") and arrays.leader_code == "a"  # most votes overall
    assert np.array_equal(arrays.votes, [[400, 180], [100, 300]])
    assert arrays.units["district"].tolist() == ["KZ/01/0101", "KZ/02/0201"]
    only = station_arrays("t-kz", unit_path="KZ/01", leader="b")
    assert only.n_stations == 1 and only.leader_code == "b"
