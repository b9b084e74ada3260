"""Quiet hours: local wall-clock times that may wrap midnight (22:00 to 07:00)."""

from __future__ import annotations

import datetime

from django.utils import timezone


def in_quiet_hours(
    start: datetime.time | None, end: datetime.time | None, moment: datetime.datetime
) -> bool:
    """Whether ``moment`` falls in [start, end) in local time. No quiet hours: never."""
    if start is None or end is None or start == end:
        return False
    clock = timezone.localtime(moment).time()
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end  # wraps midnight
