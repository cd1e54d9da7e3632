"""Dates in one place: today in Asia/Shanghai, and calendar arithmetic the rules need."""

import calendar
import datetime

from django.utils import timezone


def today() -> datetime.date:
    """Today where the portal's users are (settings.TIME_ZONE, Asia/Shanghai)."""
    return timezone.localdate()


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier); the 31st becomes the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    return add_months(day, 12 * years)
