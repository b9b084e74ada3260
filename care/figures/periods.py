"""The periods indicators are computed for: a calendar month ("2026-03") or a quarter
("2026-Q1"), in the team's local time (``TIME_ZONE``).

A period runs from its first day at 00:00 to the day after its last day at 00:00,
local time, so a visit belongs to the period in which its window starts as the team
reads the clock. A period that has not begun is refused: it has no figures yet. The
period running now is allowed, and only what has happened by ``now`` counts in it.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
# The last year a date can end (a period of 9999 would end in 10000).
LAST_YEAR = 9998
FIRST_YEAR = 2000
# A period as sent: longer is none (the service says what one looks like).
PERIOD_MAX = 20
MONTH_HELP = 'A month as "YYYY-MM", e.g. "2026-03".'
FORMAT_HELP = 'A month as "YYYY-MM" (e.g. "2026-03") or a quarter as "YYYY-Qn" (e.g. "2026-Q1").'


@dataclass(frozen=True)
class Period:
    label: str  # "2026-03" or "2026-Q1"
    first: datetime.date
    last: datetime.date  # inclusive
    kind: str  # "month" or "quarter"

    @property
    def after(self) -> datetime.date:
        """The first day after the period."""
        return self.last + datetime.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def start(self) -> datetime.datetime:
        """The period's first moment, local time, timezone-aware."""
        return _midnight(self.first)

    def end(self) -> datetime.datetime:
        """The first moment after the period, local time, timezone-aware."""
        return _midnight(self.after)

    def __str__(self) -> str:
        return self.label

    @property
    def title(self) -> str:
        """ "March 2026", "Q1 2026 (January to March)"."""
        if self.kind == "month":
            return f"{self.first:%B %Y}"
        number = (self.first.month - 1) // 3 + 1
        return f"Q{number} {self.first.year} ({self.first:%B} to {self.last:%B})"


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _month_last(year: int, month: int) -> datetime.date:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def month(year: int, number: int) -> Period:
    first = datetime.date(year, number, 1)
    return Period(f"{year:04d}-{number:02d}", first, _month_last(year, number), "month")


def quarter(year: int, number: int) -> Period:
    first_month = 3 * (number - 1) + 1
    return Period(
        f"{year:04d}-Q{number}",
        datetime.date(year, first_month, 1),
        _month_last(year, first_month + 2),
        "quarter",
    )


def _period(text: str) -> Period | None:
    if found := MONTH.match(text):
        year, number = int(found.group(1)), int(found.group(2))
        known = 1 <= number <= 12 and FIRST_YEAR <= year <= LAST_YEAR
        return month(year, number) if known else None
    if found := QUARTER.match(text):
        year, number = int(found.group(1)), int(found.group(2))
        return quarter(year, number) if FIRST_YEAR <= year <= LAST_YEAR else None
    return None


def parse_period(
    text, *, today: datetime.date | None = None, field: str = "period", months_only: bool = False
) -> Period:
    """The period ``text`` names; ValidationError (on ``field``) if it is not one, if
    it is a quarter where only a month will do, or if it lies in the future (its first
    day after ``today``)."""
    today = today or timezone.localdate()
    expected = MONTH_HELP if months_only else FORMAT_HELP
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise ValidationError({field: [f"Required. {expected}"]})
    period = _period(text)
    if period is None:
        raise ValidationError({field: [f"Not a period: {expected}"]})
    if months_only and period.kind != "month":
        raise ValidationError({field: [f"A month is needed here, not a quarter. {MONTH_HELP}"]})
    if period.first > today:
        raise ValidationError(
            {field: [f"{period.label} has not begun yet: there are no figures for it."]}
        )
    return period


def month_of(day: datetime.date) -> Period:
    return month(day.year, day.month)


def previous_month(day: datetime.date) -> Period:
    first = day.replace(day=1) - datetime.timedelta(days=1)
    return month(first.year, first.month)


def recent_months(today: datetime.date, count: int = 12) -> list[Period]:
    """This month and the ``count - 1`` before it, newest first (for a chooser)."""
    periods = [month_of(today)]
    while len(periods) < count:
        periods.append(previous_month(periods[-1].first))
    return periods
