"""A mobile group over the bot (fake Telegram Bot API over real HTTP): the member links their
account, gets the task when a coordinator sends the group, says they are at the station with
/checkin, and the arrival is tied to the dispatch through the intake."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from baqylau.bots.services import link_code_issue
from baqylau.mobile import services
from baqylau.mobile.models import Dispatch
from baqylau.mobile.tasks import notify_dispatch
from baqylau.observers.services import create_observer
from baqylau.reports.models import ViolationType
from tests.bots.conftest import run_with_bot
from tests.bots.helpers import ALAMAN_TOKEN
from tests.legal.factories import make_incident
from tests.observers.factories import build_world

pytestmark = pytest.mark.django_db(transaction=True)

MEMBER_TG = 5_000_777


def test_member_gets_the_task_in_the_bot_and_checks_in(bot_env):
    fake = bot_env
    world = build_world()
    incident = make_incident(world, "A1", "237", "stuffing", 10, 15, "Вброс", 1)
    ViolationType.objects.filter(pk=incident.violation_id).update(
        severity="critical", name_kk="Бюллетеньдерді заңсыз салу"
    )
    rover = create_observer(organisation=world.orgs["A"], name="Rover", language="kk")
    group = services.register_group(
        organisation=world.orgs["A"], name="Алматы-1", area=world.regions["01"], members=[rover]
    )
    code = link_code_issue(rover)

    def send_group() -> Dispatch:
        incident.violation.refresh_from_db()
        task = services.dispatch(group=group, incident=incident, actor=world.users["coord_a"])
        notify_dispatch.call(task.pk)  # what the worker runs
        return task

    async def scenario(bot):
        mark = fake.mark()
        fake.message(ALAMAN_TOKEN, MEMBER_TG, f"/link {code}", lang="kk")
        await fake.wait_reply(MEMBER_TG, mark)

        mark = fake.mark()
        await sync_to_async(send_group)()
        texts = await fake.wait_reply(MEMBER_TG, mark)
        assert "Алматы-1" in texts[-1] and "№ 237" in texts[-1]
        assert "Бюллетеньдерді заңсыз салу" in texts[-1] and "/checkin" in texts[-1]

        mark = fake.mark()
        fake.message(ALAMAN_TOKEN, MEMBER_TG, "/checkin", lang="kk")
        await fake.wait_reply(MEMBER_TG, mark)  # the status buttons for station 237
        mark = fake.mark()
        fake.callback(ALAMAN_TOKEN, MEMBER_TG, "ci:admitted", lang="kk")
        await fake.wait_reply(MEMBER_TG, mark)

    run_with_bot("alaman", scenario)
    task = Dispatch.objects.get()
    assert task.notified == 1
    assert task.status == "arrived" and task.arrival.channel == "telegram"
