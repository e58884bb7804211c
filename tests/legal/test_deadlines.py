"""Deadlines: calendar days from the decision, moved off non-working days (pure, no database)."""

import datetime as dt

import pytest

from baqylau.legal import deadlines
from baqylau.legal.deadlines import Calendar, deadline, load_calendar

D = dt.date


@pytest.fixture(scope="module")
def kz():
    return load_calendar()


def test_ten_days_across_a_month_end(kz):
    # decided on Friday 25 January 2019: the tenth day is Monday 4 February
    assert deadline(D(2019, 1, 25), 10, kz) == D(2019, 2, 4)


def test_february_in_a_non_leap_and_a_leap_year(kz):
    assert deadline(D(2019, 2, 25), 10, kz) == D(2019, 3, 7)  # Thursday; 28 days in February
    assert deadline(D(2024, 2, 25), 10, kz) == D(2024, 3, 6)  # Wednesday; 29 days in February


def test_year_end_into_january_skips_orthodox_christmas(kz):
    # 28 Dec 2022 + 10 = Saturday 7 January 2023 (weekend and Orthodox Christmas) → Monday 9 Jan
    assert deadline(D(2022, 12, 28), 10, kz) == D(2023, 1, 9)
    # 28 Dec 2020 + 10 = Thursday 7 January 2021 (Orthodox Christmas) → Friday 8 January
    assert deadline(D(2020, 12, 28), 10, kz) == D(2021, 1, 8)


def test_saturday_moves_to_monday(kz):
    assert deadline(D(2019, 6, 5), 10, kz) == D(2019, 6, 17)  # Sat 15 June → Mon 17 June


def test_holiday_moves_to_next_working_day(kz):
    # 2019 presidential election on 9 June; a decision of 26 Feb + 10 = 8 March (holiday, Friday)
    assert deadline(D(2019, 2, 26), 10, kz) == D(2019, 3, 11)
    # Nauryz 21–23 March 2019 (Thu–Sat) and its weekend transfer: Monday 25 March is off too
    assert not kz.is_working_day(D(2019, 3, 25))
    assert deadline(D(2019, 3, 11), 10, kz) == D(2019, 3, 26)


def test_holiday_on_a_weekend_gives_the_next_working_day_off(kz):
    # 16 December 2023 was a Saturday: Monday 18 December was a day off
    assert not kz.is_working_day(D(2023, 12, 18))
    assert kz.is_working_day(D(2023, 12, 19))
    # 1-2 January 2022 (Sat, Sun): Monday 3 and Tuesday 4 January off
    assert not kz.is_working_day(D(2022, 1, 3)) and not kz.is_working_day(D(2022, 1, 4))
    assert kz.is_working_day(D(2022, 1, 5))


def test_religious_holiday_is_not_transferred(kz):
    # Orthodox Christmas on Sunday 7 January 2024: Monday 8 January is a working day
    assert kz.is_working_day(D(2024, 1, 8))


def test_holidays_follow_the_years_they_were_in_force(kz):
    assert not kz.is_working_day(D(2021, 12, 17))  # Independence Day, second day (until 2021)
    assert kz.is_working_day(D(2024, 12, 17))
    assert not kz.is_working_day(D(2023, 10, 25))  # Republic Day (from 2022)
    assert kz.is_working_day(D(2019, 10, 25))


def test_weekend_is_configurable():
    six_day_week = Calendar(weekend=frozenset({7}))
    assert deadline(D(2019, 6, 5), 10, six_day_week) == D(2019, 6, 15)  # Saturday works
    assert load_calendar(weekend={7}).is_working_day(D(2019, 6, 15))


def test_one_off_transfers_from_data():
    calendar = deadlines.calendar_from_data(
        {"weekend": [6, 7], "extra_days_off": ["2019-06-10"], "extra_workdays": ["2019-06-15"]}
    )
    assert not calendar.is_working_day(D(2019, 6, 10))
    assert calendar.is_working_day(D(2019, 6, 15))


def test_every_day_of_two_years_lands_on_a_working_day(kz):
    day = D(2019, 1, 1)
    while day < D(2021, 1, 1):
        due = deadline(day, 10, kz)
        assert kz.is_working_day(due)
        assert 10 <= (due - day).days <= 17
        day += dt.timedelta(days=1)


def test_rules_are_data():
    rules = deadlines.load_rules()
    assert rules["complaint_court"].days == 10
    assert "статьи 20" in rules["complaint_court"].basis_in("ru")
    assert set(rules) >= {"complaint_commission", "complaint_court", "appeal_after_refusal"}
