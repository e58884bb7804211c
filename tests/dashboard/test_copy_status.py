import pytest

from baqylau.dashboard.sources import _public_status


@pytest.mark.parametrize(
    ("moderation", "validation", "expected"),
    [
        ("accepted", "rejected", "accepted"),  # a moderator overrides the checks
        ("rejected", "accepted", "rejected"),
        ("pending", "accepted", "accepted"),  # adds up: in the observed count
        ("pending", "rejected", "rejected"),  # the checks rejected it
        ("pending", "review", "pending"),  # waits for a moderator
    ],
)
def test_public_status_of_a_copy(moderation, validation, expected):
    assert _public_status(moderation, validation) == expected
