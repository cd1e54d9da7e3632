"""Working days and time limits: the calendar (weekdays, public holidays, make-up working days) and the
deadline of a step that has ``n`` working (or calendar) days.

A day is a working day from Monday to Friday, unless a :class:`~anyang_hte.core.models.CalendarDay`
row says otherwise (放假 on a weekday, 调休上班 on a weekend). The rows are data the administrator keeps
in the admin; a year without rows counts weekends only.

Counting (the way 办理时限 are read):

- :func:`add_working_days` ``(day, n)``: the ``n``-th working day after ``day`` (``day`` itself is not
  counted); negative ``n`` counts back.
- :func:`working_days_between` ``(a, b)``: the working days ``d`` with ``a < d <= b`` (negative when
  ``b`` is before ``a``).
- A step started on ``start`` with a limit of ``n`` working days is due on ``add_working_days(start,
  n)``, and done that day is on time. It is *overdue* once a working day has passed after its due date
  (on the Saturday after a Friday deadline it is due, not yet overdue; on Monday it is one working day
  overdue). A calendar-day limit is due ``n`` days after its start and overdue the day after.

Pages and reminders load the calendar and the limits once (:meth:`Deadlines.load`) and ask it per row;
querysets filter on :meth:`Deadlines.overdue_before`, the first start date that is not yet overdue.
"""

import bisect
import datetime
import itertools
from dataclasses import dataclass

from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .dates import today as portal_today
from .models import CalendarDay, TimeLimit

ONE_DAY = datetime.timedelta(days=1)

# The limits as they stand after ``migrate`` (0008_working_days_seed writes the same values); used when
# a row is missing, so a page never fails for want of one.
DEFAULT_LIMITS = {
    TimeLimit.Code.REWARD_SUBMIT: (20, TimeLimit.Unit.WORKING),
    TimeLimit.Code.REWARD_REVIEW: (10, TimeLimit.Unit.WORKING),
    TimeLimit.Code.LINE_PAYMENT: (30, TimeLimit.Unit.CALENDAR),
    TimeLimit.Code.SUBMISSION_CONFIRM: (5, TimeLimit.Unit.WORKING),
}


class WorkingCalendar:
    """Weekdays and the exceptions (holidays, make-up working days) read once from the database."""

    def __init__(self, exceptions: dict[datetime.date, bool] | None = None):
        self.exceptions = exceptions or {}
        # the exceptions that change a weekday's count (a holiday on a weekday: -1, a make-up working day
        # on a weekend: +1), by ordinal, with their running sum: ``between`` is arithmetic, not a walk
        changes = sorted(
            (day.toordinal(), 1 if working else -1)
            for day, working in self.exceptions.items()
            if working != (day.weekday() < 5)
        )
        self._ordinals = [ordinal for ordinal, _delta in changes]
        self._running = list(itertools.accumulate(delta for _ordinal, delta in changes))

    @classmethod
    def load(cls) -> "WorkingCalendar":
        return cls(
            {
                day: kind == CalendarDay.Kind.WORKDAY
                for day, kind in CalendarDay.objects.values_list("date", "kind")
            }
        )

    def is_working(self, day: datetime.date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def add(self, day: datetime.date, n: int) -> datetime.date:
        step = ONE_DAY if n >= 0 else -ONE_DAY
        left = abs(n)
        while left:
            day += step
            if self.is_working(day):
                left -= 1
        return day

    def between(self, a: datetime.date, b: datetime.date) -> int:
        """The working days ``d`` with ``a < d <= b`` (negative when ``b`` is before ``a``)."""
        return self._through(b) - self._through(a)

    def _through(self, day: datetime.date) -> int:
        """Working days from 0001-01-01 (a Monday, ordinal 1) up to and including ``day``."""
        ordinal = day.toordinal()
        weeks, rest = divmod(ordinal, 7)
        changed = bisect.bisect_right(self._ordinals, ordinal)
        return weeks * 5 + min(rest, 5) + (self._running[changed - 1] if changed else 0)


def add_working_days(day: datetime.date, n: int) -> datetime.date:
    """The ``n``-th working day after ``day`` (before it, for negative ``n``)."""
    return WorkingCalendar.load().add(day, n)


def working_days_between(a: datetime.date, b: datetime.date) -> int:
    """The number of working days after ``a`` up to and including ``b`` (negative if ``b < a``)."""
    return WorkingCalendar.load().between(a, b)


@dataclass(frozen=True)
class DeadlineState:
    """Where one item stands against its limit on ``today``."""

    due: datetime.date
    overdue: bool
    days: int  # days overdue when overdue, else days left (0: due today or already due)
    unit: str

    @property
    def label(self) -> str:
        working = self.unit == TimeLimit.Unit.WORKING
        if self.overdue:
            if working:
                return _("已超期 %(n)d 个工作日") % {"n": self.days}
            return _("已超期 %(n)d 天") % {"n": self.days}
        if self.days == 0:
            return _("今日到期")
        if working:
            return _("剩余 %(n)d 个工作日") % {"n": self.days}
        return _("剩余 %(n)d 天") % {"n": self.days}

    @property
    def css(self) -> str:
        if self.overdue:
            return "danger"
        return "warning text-dark" if self.days <= 2 else "light text-dark border"

    def badge(self):
        """The badge the queues show: the state, with the due date in its title."""
        return format_html(
            '<span class="badge text-bg-{}" title="{}" data-testid="deadline">{}</span>',
            self.css,
            _("办理期限：%(due)s") % {"due": f"{self.due:%Y-%m-%d}"},
            self.label,
        )


@dataclass(frozen=True)
class Limit:
    code: str
    days: int
    unit: str
    label: str


class Deadlines:
    """The calendar, the limits and the day they are judged on, loaded once for a page or a reminder run."""

    def __init__(self, *, calendar: WorkingCalendar, limits: dict[str, Limit], today: datetime.date):
        self.calendar, self.limits, self.today = calendar, limits, today

    @classmethod
    def load(cls, today: datetime.date | None = None) -> "Deadlines":
        rows = {row.code: row for row in TimeLimit.objects.all()}
        limits = {}
        for code, label in TimeLimit.Code.choices:
            days, unit = (rows[code].days, rows[code].unit) if code in rows else DEFAULT_LIMITS[code]
            limits[code] = Limit(code, days, unit, str(label))
        return cls(calendar=WorkingCalendar.load(), limits=limits, today=today or portal_today())

    def due(self, code: str, start: datetime.date) -> datetime.date:
        limit = self.limits[code]
        if limit.unit == TimeLimit.Unit.WORKING:
            return self.calendar.add(start, limit.days)
        return start + datetime.timedelta(days=limit.days)

    def state(self, code: str, start: datetime.date | datetime.datetime) -> DeadlineState:
        start = _local_date(start)
        unit, due, today = self.limits[code].unit, self.due(code, start), self.today
        if unit == TimeLimit.Unit.WORKING:
            past = self.calendar.between(due, today)
            if past > 0:
                return DeadlineState(due, True, past, unit)
            return DeadlineState(due, False, max(self.calendar.between(today, due), 0), unit)
        if today > due:
            return DeadlineState(due, True, (today - due).days, unit)
        return DeadlineState(due, False, (due - today).days, unit)

    def overdue_before(self, code: str) -> datetime.date:
        """Items of ``code`` started (local date) before this day are overdue today; later ones are not.

        Working days: overdue when more than ``n`` working days lie in ``(start, today]``, that is when
        ``start`` is before the ``(n+1)``-th working day counted back from today (today included).
        """
        limit = self.limits[code]
        if limit.unit == TimeLimit.Unit.WORKING:
            return self.calendar.add(self.today + ONE_DAY, -(limit.days + 1))
        return self.today - datetime.timedelta(days=limit.days)


def _local_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value
