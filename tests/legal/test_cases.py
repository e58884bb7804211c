"""Case tracking: statuses with dates and references, decision documents, computed deadlines,
reminders to the assigned lawyer, statistics per region and type."""

import datetime as dt

import pytest
from django.core import mail

from baqylau.evidence.models import LedgerEntry
from baqylau.legal import selectors, services
from baqylau.legal.models import Case, ReminderSent

D = dt.date


@pytest.fixture
def case(world, incidents, lawyer):
    return services.create_case(
        user=lawyer,
        kind="complaint_court",
        language="ru",
        incidents=incidents,
        decision_date=D(2019, 6, 10),
    )


def test_filing_refusal_appeal(case, lawyer):
    assert case.status == Case.Status.DRAFTED and case.next_deadline == D(2019, 6, 20)
    services.record_event(
        user=lawyer, case=case, status="filed", on=D(2019, 6, 14), reference="2-1234/19"
    )
    case.refresh_from_db()
    assert case.filed_on == D(2019, 6, 14) and case.reference == "2-1234/19"
    assert case.next_deadline is None
    event = services.record_event(
        user=lawyer,
        case=case,
        status="refused",
        on=D(2019, 6, 17),
        note="missed the deadline; refer to the CEC",
        document=("определение.pdf", b"%PDF-1.4 ruling"),
    )
    case.refresh_from_db()
    # refused on Monday 17 June 2019: 27 June (Thursday)
    assert event.next_deadline == case.next_deadline == D(2019, 6, 27)
    assert case.deadline_rule == "appeal_after_refusal"
    assert services.resolve(event.document_path).read_bytes() == b"%PDF-1.4 ruling"
    assert LedgerEntry.objects.filter(ref=f"legal.caseevent:{event.pk}").exists()
    services.record_event(user=lawyer, case=case, status="appealed", on=D(2019, 6, 26))
    case.refresh_from_db()
    assert case.status == "appealed" and case.next_deadline is None


def test_refusal_deadline_moves_off_a_holiday(case, lawyer):
    services.record_event(user=lawyer, case=case, status="filed", on=D(2019, 6, 14))
    # refused on 26 June 2019: +10 = Saturday 6 July, Capital Day; the holiday on a Saturday
    # made Monday 8 July a day off too → Tuesday 9 July
    services.record_event(user=lawyer, case=case, status="refused", on=D(2019, 6, 26))
    case.refresh_from_db()
    assert case.next_deadline == D(2019, 7, 9)


def test_transitions_are_checked(case, lawyer):
    with pytest.raises(services.LegalError):
        services.record_event(user=lawyer, case=case, status="decided", on=D(2019, 6, 14))
    with pytest.raises(services.LegalError):
        services.record_event(
            user=lawyer, case=case, status="filed", on=dt.date.today() + dt.timedelta(days=30)
        )


def test_other_organisations_cannot_touch_the_case(case, world):
    with pytest.raises(services.NotAllowed):
        services.record_event(
            user=world.users["coord_b"], case=case, status="filed", on=D(2019, 6, 14)
        )
    assert not selectors.visible_cases(world.users["coord_b"]).exists()


def test_reminders_once_per_lead_time(case, lawyer):
    assert selectors.due_reminders(today=D(2019, 6, 10)) == []
    due = services.send_reminders(today=D(2019, 6, 17))  # 3 days before 20 June
    assert [(c.pk, lead) for c, lead in due] == [(case.pk, 3)]
    assert len(mail.outbox) == 1 and "20.06.2019" in mail.outbox[0].subject
    assert mail.outbox[0].to == ["lawyer@example.org"]
    assert services.send_reminders(today=D(2019, 6, 18)) == []  # already reminded 3 days before
    assert [lead for _c, lead in services.send_reminders(today=D(2019, 6, 19))] == [1]
    assert [lead for _c, lead in services.send_reminders(today=D(2019, 6, 25))] == [0]  # missed
    assert ReminderSent.objects.count() == 3
    listed = services.send_reminders(today=D(2019, 6, 17), send=False)
    assert listed == []


def test_deadlines_on_the_lawyers_page(case, lawyer):
    upcoming = selectors.upcoming_deadlines(lawyer, today=D(2019, 6, 12))
    assert upcoming == [case]


def test_statistics_as_the_seed_reports_them(world, incidents, lawyer):
    """ "162 statements, 36 criminal proceedings" (000 section 4.2)."""
    region = selectors.region_of(world.stations["237"])
    for number in range(162):
        statement = Case.objects.create(
            kind="statement_prosecutor",
            language="ru",
            organisation=world.orgs["A"],
            election=world.election,
            region=region,
            lawyer=lawyer,
            status=Case.Status.FILED,
            filed_on=D(2019, 6, 12),
        )
        if number < 36:
            services.record_event(
                user=lawyer,
                case=statement,
                status="decided",
                on=D(2019, 6, 20),
                outcome="investigation_started",
            )
    court = services.create_case(
        user=lawyer,
        kind="complaint_court",
        language="ru",
        incidents=incidents[:1],
        decision_date=D(2019, 6, 10),
    )
    services.record_event(user=lawyer, case=court, status="filed", on=D(2019, 6, 14))
    services.record_event(user=lawyer, case=court, status="refused", on=D(2019, 6, 17))
    rows = selectors.statistics(lawyer)
    by_kind = {row["kind"]: row for row in rows}
    statements = by_kind["statement_prosecutor"]
    assert (statements["total"], statements["filed"], statements["investigations"]) == (
        162,
        162,
        36,
    )
    assert statements["decided"] == 36
    assert by_kind["complaint_court"]["refused"] == 1
    assert all(row["region_id"] == region.pk for row in rows)
    assert selectors.statistics_totals(rows)["total"] == 163
