"""Background jobs of the voters' exit poll: the match of a ballot photo with the official sample
ballot (ORB features and a homography take a fraction of a second, so not on the bot's reply
path)."""

from __future__ import annotations

from baqylau.jobs import job


@job(retries=2)
def ballot_photo_match(ballot_id: int) -> dict | None:
    """Set the ballot's `photo_match`, marked choice and agreement (crowd.ballot_match)."""
    from baqylau.crowd.services import ballot_photo_check

    ballot = ballot_photo_check(ballot_id)
    if ballot is None:
        return None
    return {"ballot": ballot.pk, "photo_match": ballot.photo_match}
