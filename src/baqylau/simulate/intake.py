"""Simulated observers' protocol copies, sent through the real intake: each copy gets its envelope,
its checks, its ledger entry and its audit event exactly as a copy sent by an observer would
(`protocols.intake.plan_copy`, written in batches by `intake.writer`), so a simulated election is
evidence like any other (`baqylau ledger verify` holds on it) and the tally's jobs count it.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from baqylau.elections.models import AdminUnit, Contest
from baqylau.intake import writer
from baqylau.intake.models import Submission
from baqylau.intake.services import new_submission
from baqylau.protocols.engine import load_form
from baqylau.protocols.intake import ParsedProtocol, plan_copy
from baqylau.protocols.models import ProtocolCopy
from baqylau.simulate.copies import SimulatedCopies
from baqylau.simulate.crowd import SimulatedCrowd
from baqylau.simulate.engine import SimulatedElection


def submit_copies(
    contest: Contest,
    sim: SimulatedElection,
    copies: SimulatedCopies,
    *,
    received_at: dt.datetime | None = None,
    batch_size: int = 500,
) -> int:
    """Send every simulated copy through the intake (as a bulk import of observers' copies:
    channel "import", source "observer", one pseudonymous sender per copy number). Returns how
    many copies were recorded."""
    election = contest.election
    if not copies.size:
        return 0
    stations = {
        unit.path: unit
        for unit in AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.STATION)
    }
    station_paths = sim.station_paths()[copies.station]
    choices = {c.code: c for c in contest.choices.all()}
    choice_list = [choices[str(code)] for code in sim.choice_code]
    form = load_form(contest.protocol_form, contest.protocol_form_version)
    line_codes = [code for code in copies.line_codes if code in form.line_codes]
    line_at = [list(copies.line_codes).index(code) for code in line_codes]
    received_at = received_at or timezone.make_aware(
        dt.datetime.combine(election.date, dt.time(21, 0)), election.zone
    )
    lines_all, votes_all = copies.lines.tolist(), copies.votes.tolist()
    numbers = copies.number.tolist()
    plans = []
    for i in range(copies.size):
        station = stations[str(station_paths[i])]
        lines = {code: lines_all[i][j] for code, j in zip(line_codes, line_at, strict=True)}
        votes = dict(zip(choice_list, votes_all[i], strict=True))
        data = {
            "election": election.code,
            "contest": contest.code,
            "station_id": station.pk,
            "lines": lines,
            "votes": {c.code: v for c, v in votes.items()},
        }
        submission = new_submission(
            kind=Submission.Kind.PROTOCOL,
            channel=Submission.Channel.IMPORT,
            payload={"data": data, "attachments": []},
            sender=f"sim-observer-{numbers[i] + 1}",
            language="ru",
            election=election,
        )
        submission.received_at = received_at
        parsed = ParsedProtocol(election, contest, station, form, lines, votes)
        # a simulated copy stands for a photographed protocol: as many pages as the form has
        plans.append(
            plan_copy(
                submission, parsed, source=ProtocolCopy.Source.OBSERVER, pages=form.pages or 1
            )
        )
    writer.write_many(plans, batch_size=batch_size)
    return sum(1 for p in plans if p.recorded)


#: Telegram ids of the simulated voters (above every real account the tests use).
VOTER_ID_BASE = 900_000_000


def submit_crowd_ballots(
    contest: Contest, sim: SimulatedElection, crowd: SimulatedCrowd, *, start: float | None = None
) -> dict[str, int]:
    """Send every simulated ballot through the voters' bot's services, message by message as the
    bot receives them (`crowd.services`: every update stored first, judged, then counted), so
    spam and duplicates are handled as in real life. The bot must poll ``contest`` (its
    election is the latest, or the bot's switch names it). Voters who share their phone
    (``crowd.phone``) send their own contact first, as the bot's contact button does. Returns
    ballots by outcome and the number of phone-verified voters."""
    from baqylau.crowd import services as crowd_services
    from baqylau.simulate.crowd import ballot_photo

    crowd_services.cache_clear()
    election = contest.election
    paths = sim.station_paths()
    codes = [str(c) for c in sim.choice_code]
    now = (
        start
        if start is not None
        else timezone.make_aware(
            dt.datetime.combine(election.date, dt.time(12, 0)), election.zone
        ).timestamp()
    )
    placed: set[int] = set()
    out = {"counted": 0, "not_counted": 0, "phone_verified": 0}
    for i in range(crowd.size):
        user_id = VOTER_ID_BASE + int(crowd.voter[i])
        t = now + 0.5 * i  # far below the bot's global rate

        def receive(payload: dict, at: float, user_id: int = user_id):
            return crowd_services.voter_message_receive(user_id=user_id, payload=payload, now=at)

        if user_id not in placed:
            placed.add(user_id)
            received = receive(_text(user_id, str(paths[crowd.station[i]])), t)
            crowd_services.voter_station_set(received.voter, str(paths[crowd.station[i]]))
            if crowd.phone[i]:  # the contact button: the voter's own contact, as Telegram sends it
                phone = f"+7700{int(crowd.voter[i]):07d}"
                received = receive(_contact(user_id, phone), t + 1.0)
                out["phone_verified"] += (
                    crowd_services.voter_phone_verify(
                        received=received,
                        sender_user_id=user_id,
                        contact_user_id=user_id,
                        phone=phone,
                    )
                    == crowd_services.PhoneOutcome.VERIFIED
                )
        code = codes[int(crowd.choice[i])]
        ballot_id = None
        if crowd.photo[i]:
            seed = int(crowd.photo_seed[i])
            burst = crowd.kind[i] == 3  # a flood: the photos of a burst within a second
            received = receive(_photo(user_id, f"sim{seed}"), t + (0.1 if burst else 17.0))
            ballot = crowd_services.ballot_photo_receive(received=received, data=ballot_photo(seed))
            ballot_id = ballot.pk
            if burst:
                out["not_counted"] += 1
                continue
        received = receive(_callback(user_id, f"v:{ballot_id or 0}:{code}"), t + 31.0)
        _ballot, counted = crowd_services.ballot_choice_set(
            received=received, ballot_id=ballot_id, answer=code
        )
        out["counted" if counted else "not_counted"] += 1
    return out


def _text(user_id: int, text: str) -> dict:
    return {"message": {"message_id": 1, "date": 0, "from": {"id": user_id}, "text": text}}


def _photo(user_id: int, unique_id: str) -> dict:
    photo = [{"file_id": "f" + unique_id, "file_unique_id": unique_id}]
    return {"message": {"message_id": 2, "date": 0, "from": {"id": user_id}, "photo": photo}}


def _contact(user_id: int, phone: str) -> dict:
    contact = {"phone_number": phone, "first_name": "x", "user_id": user_id}
    return {"message": {"message_id": 3, "date": 0, "from": {"id": user_id}, "contact": contact}}


def _callback(user_id: int, data: str) -> dict:
    return {"callback_query": {"id": "1", "from": {"id": user_id}, "data": data}}
