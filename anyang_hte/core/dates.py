"""Dates in one place: today in Asia/Shanghai, and calendar arithmetic the rules need."""

import calendar
import datetime

from django.utils import timezone


def today() -> datetime.date:
    """Today where the portal's users are (settings.TIME_ZONE, Asia/Shanghai)."""
    return timezone.localdate()


def start_of(day: datetime.date) -> datetime.datetime:
    """Midnight of ``day`` in the portal's time zone. ``stored < start_of(day)`` is "a local date before
    ``day``" as a range of the stored time, which an index on the column serves (``stored::date`` is not)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier); the 31st becomes the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    return add_months(day, 12 * years)
