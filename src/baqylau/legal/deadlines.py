"""Procedural deadlines in calendar days, with the non-working-day rule. Pure: no Django.

The rule (p. 9 art. 20 of the Election Law: "within ten days from the date of the decision or
action"; the general rule of procedural codes for the last day):

* the period starts the day after the event: a 10-day period from a decision taken on 25 January
  ends on 4 February (25 + 10), across month and year ends like any date arithmetic;
* when the last day is a non-working day (a weekend day, a public holiday, or a weekday on which a
  weekend day was transferred), the deadline is the next working day.

The calendar is data (`data/calendar_kz.yaml`): the weekend days, fixed-date holidays with the years
they were in force and whether a holiday that falls on a weekend gives the next working day off,
moving holidays (Kurban Ait) by date, and one-off transfers by decree. `load_calendar()` reads it;
`Calendar` can also be built directly (e.g. a six-day week: ``weekend={7}``).

Example::

    >>> cal = load_calendar()
    >>> deadline(dt.date(2019, 1, 25), 10, cal)
    datetime.date(2019, 2, 4)
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CALENDAR = Path(__file__).with_name("data") / "calendar_kz.yaml"
DEFAULT_RULES = Path(__file__).with_name("data") / "deadline_rules.yaml"
_ONE = dt.timedelta(days=1)


@dataclass(frozen=True)
class FixedHoliday:
    month: int
    day: int
    name: str
    transfer: bool = True
    first_year: int | None = None
    last_year: int | None = None

    def in_year(self, year: int) -> dt.date | None:
        if self.first_year is not None and year < self.first_year:
            return None
        if self.last_year is not None and year > self.last_year:
            return None
        return dt.date(year, self.month, self.day)


@dataclass(frozen=True)
class Calendar:
    """Which days are working days. `weekend` holds ISO weekdays (6 = Saturday, 7 = Sunday)."""

    weekend: frozenset[int] = frozenset({6, 7})
    fixed: tuple[FixedHoliday, ...] = ()
    dated: frozenset[dt.date] = frozenset()
    extra_days_off: frozenset[dt.date] = frozenset()
    extra_workdays: frozenset[dt.date] = frozenset()
    _cache: dict[int, frozenset[dt.date]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def holidays(self, year: int) -> frozenset[dt.date]:
        """Days off other than weekends in `year`, including transferred ones."""
        if year not in self._cache:
            days: set[dt.date] = {d for d in self.dated if d.year == year}
            days |= {d for d in self.extra_days_off if d.year == year}
            transfers: list[dt.date] = []
            for holiday in self.fixed:
                date = holiday.in_year(year)
                if date is None:
                    continue
                days.add(date)
                if holiday.transfer and date.isoweekday() in self.weekend:
                    transfers.append(date)
            # a holiday on a weekend day gives the next day that is neither a weekend day nor a
            # holiday off (Jan 1 and 2 on Sat/Sun → Mon and Tue off)
            for date in sorted(transfers):
                candidate = date + _ONE
                while candidate.isoweekday() in self.weekend or candidate in days:
                    candidate += _ONE
                days.add(candidate)
            self._cache[year] = frozenset(days)
        return self._cache[year]

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day.isoweekday() in self.weekend:
            return False
        return day not in self.holidays(day.year)


def next_working_day(day: dt.date, calendar: Calendar) -> dt.date:
    """`day` itself when it is a working day, else the first working day after it."""
    for _ in range(60):  # no calendar has two months without a working day
        if calendar.is_working_day(day):
            return day
        day += _ONE
    raise ValueError("no working day within 60 days: check the calendar data")


def deadline(start: dt.date, days: int, calendar: Calendar) -> dt.date:
    """Last day of a period of `days` calendar days from `start` (the day of the decision, act or
    refusal), moved to the next working day when it falls on a non-working day."""
    if days < 0:
        raise ValueError("a period cannot be negative")
    return next_working_day(start + dt.timedelta(days=days), calendar)


def days_left(due: dt.date, today: dt.date) -> int:
    """Calendar days from `today` to `due` (0 on the last day, negative when missed)."""
    return (due - today).days


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def calendar_from_data(data: dict[str, Any]) -> Calendar:
    fixed = []
    for row in data.get("fixed") or ():
        month, day = (int(part) for part in str(row["date"]).split("-"))
        fixed.append(
            FixedHoliday(
                month=month,
                day=day,
                name=str(row.get("name", "")),
                transfer=bool(row.get("transfer", True)),
                first_year=row.get("from"),
                last_year=row.get("to"),
            )
        )
    weekend = frozenset(int(d) for d in data.get("weekend", (6, 7)))
    if not weekend <= set(range(1, 8)) or len(weekend) > 6:
        raise ValueError(f"weekend must be ISO weekdays 1..7, not {sorted(weekend)}")
    return Calendar(
        weekend=weekend,
        fixed=tuple(fixed),
        dated=frozenset(_date(row["date"]) for row in data.get("dated") or ()),
        extra_days_off=frozenset(_date(d) for d in data.get("extra_days_off") or ()),
        extra_workdays=frozenset(_date(d) for d in data.get("extra_workdays") or ()),
    )


@functools.cache
def _load(path: str, mtime: float) -> Calendar:
    with open(path, encoding="utf-8") as handle:
        return calendar_from_data(yaml.safe_load(handle))


def load_calendar(path: str | Path | None = None, *, weekend: set[int] | None = None) -> Calendar:
    """The calendar from YAML (default: Kazakhstan); `weekend` overrides the file's weekend days."""
    path = Path(path or DEFAULT_CALENDAR)
    calendar = _load(str(path), path.stat().st_mtime)
    if weekend is not None:
        calendar = Calendar(
            weekend=frozenset(weekend),
            fixed=calendar.fixed,
            dated=calendar.dated,
            extra_days_off=calendar.extra_days_off,
            extra_workdays=calendar.extra_workdays,
        )
    return calendar


@dataclass(frozen=True)
class Rule:
    code: str
    days: int
    runs_from: str
    basis: dict[str, str]
    #: The norm the period comes from, as a reference listed in citations.yaml
    #: ("election_law 20(9)"); printed by the one citation formatter.
    cite: str = ""

    def basis_in(self, lang: str, case: str = "nom") -> str:
        if self.cite:
            from baqylau.legal.citations import format_refs

            return format_refs(self.cite, lang, case=case)
        return self.basis.get(lang) or self.basis.get("en") or ""


def load_rules(path: str | Path | None = None) -> dict[str, Rule]:
    with open(path or DEFAULT_RULES, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return {
        code: Rule(
            code,
            int(row["days"]),
            str(row.get("from", "")),
            dict(row.get("basis") or {}),
            str(row.get("cite", "")),
        )
        for code, row in data.items()
    }


def due_date(rule: Rule, start: dt.date, calendar: Calendar) -> dt.date:
    return deadline(start, rule.days, calendar)
