"""One vocabulary, one set of numbers: the public counters of protocol copies are the moderators'
statistics (received → passed / failed the checks → accepted / rejected by a moderator), at the
country and in every region."""

from baqylau.dashboard.models import UnitStats
from baqylau.moderation.selectors import intake_statistics


def test_public_copy_counters_are_the_moderation_statistics(observed):
    election = observed["election"]
    total, *regions = intake_statistics(election)
    country = UnitStats.objects.get(unit=observed["country"]).data["copies"]
    assert total.copies == country
    assert (total.received, total.passed, total.failed) == (5, 4, 1)
    assert (total.accepted, total.rejected, total.waiting) == (0, 1, 2)
    assert {r.code: r.count for r in total.reasons} == {"only_one_page": 1}
    by_region = {row.region.pk: row.copies for row in regions}
    for region in observed["regions"]:
        assert by_region[region.pk] == UnitStats.objects.get(unit=region).data["copies"]
