"""Working-day arithmetic around public holidays and make-up working days, and the deadline states."""

import datetime

import pytest

from anyang_hte.core.models import CalendarDay, TimeLimit
from anyang_hte.core.workdays import Deadlines, WorkingCalendar, add_working_days, working_days_between

pytestmark = pytest.mark.django_db
D = datetime.date


def test_the_2026_notice_is_seeded():
    days = dict(CalendarDay.objects.filter(date__year=2026).values_list("date", "kind"))
    assert days[D(2026, 2, 15)] == days[D(2026, 2, 23)] == CalendarDay.Kind.HOLIDAY  # 春节 9 days
    assert days[D(2026, 2, 14)] == days[D(2026, 2, 28)] == CalendarDay.Kind.WORKDAY
    assert days[D(2026, 1, 4)] == days[D(2026, 5, 9)] == CalendarDay.Kind.WORKDAY
    assert days[D(2026, 9, 20)] == days[D(2026, 10, 10)] == CalendarDay.Kind.WORKDAY
    assert all(days[D(2026, 10, d)] == CalendarDay.Kind.HOLIDAY for d in range(1, 8))
    assert sum(k == CalendarDay.Kind.WORKDAY for k in days.values()) == 6
    assert D(2025, 1, 26) in set(CalendarDay.objects.values_list("date", flat=True))


def test_spring_festival_2026():
    # Friday 13 Feb; Saturday 14 Feb is a make-up working day; 15–23 Feb off; Tuesday 24 Feb back.
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)
    assert add_working_days(D(2026, 2, 24), -1) == D(2026, 2, 14)
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2
    assert working_days_between(D(2026, 2, 24), D(2026, 2, 13)) == -2


def test_national_day_2026_and_its_make_up_saturday():
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)  # Saturday 10 Oct is worked
    assert add_working_days(D(2026, 9, 19), 1) == D(2026, 9, 20)  # so is Sunday 20 Sep
    # ten working days from a submission on Thursday 24 September (中秋 25–27 Sep, 国庆 1–7 Oct):
    # 28, 29, 30 Sep, 8, 9, 10 (Sat), 12, 13, 14, 15 Oct
    assert add_working_days(D(2026, 9, 24), 10) == D(2026, 10, 15)


def test_without_data_only_weekends_rest_and_the_administrator_corrects_it():
    assert add_working_days(D(2027, 1, 1), 1) == D(2027, 1, 4)  # Friday → Monday
    CalendarDay.objects.create(date=D(2027, 1, 4), kind=CalendarDay.Kind.HOLIDAY, name="测试")
    assert add_working_days(D(2027, 1, 1), 1) == D(2027, 1, 5)


def _deadlines(today, **limits):
    d = Deadlines.load(today)
    for code, (days, unit) in limits.items():
        TimeLimit.objects.filter(code=code).update(days=days, unit=unit)
    return Deadlines.load(today) if limits else d


def test_review_due_after_ten_working_days_and_overdue_after_the_next_one():
    submitted = datetime.datetime(2026, 9, 24, 15, tzinfo=datetime.UTC)  # 23:00 Beijing, still 24 Sep
    on_time = Deadlines.load(D(2026, 10, 15)).state(TimeLimit.Code.REWARD_REVIEW, submitted)
    assert (on_time.due, on_time.overdue, on_time.label) == (D(2026, 10, 15), False, "今日到期")
    early = Deadlines.load(D(2026, 10, 9)).state(TimeLimit.Code.REWARD_REVIEW, submitted)
    assert early.label == "剩余 5 个工作日"  # 10 (Sat), 12, 13, 14, 15 Oct
    late = Deadlines.load(D(2026, 10, 19)).state(TimeLimit.Code.REWARD_REVIEW, submitted)
    assert (late.overdue, late.label, late.css) == (True, "已超期 2 个工作日", "danger")


def test_a_weekend_after_the_due_date_is_not_yet_overdue():
    start = D(2026, 11, 13)  # Friday; 10 working days later is Friday 27 Nov
    saturday = Deadlines.load(D(2026, 11, 28)).state(TimeLimit.Code.REWARD_REVIEW, start)
    assert saturday.due == D(2026, 11, 27) and not saturday.overdue
    monday = Deadlines.load(D(2026, 11, 30)).state(TimeLimit.Code.REWARD_REVIEW, start)
    assert monday.overdue and monday.days == 1


def test_payment_limit_counts_calendar_days():
    state = Deadlines.load(D(2026, 3, 5)).state(TimeLimit.Code.LINE_PAYMENT, D(2026, 2, 1))
    assert state.due == D(2026, 3, 3) and state.label == "已超期 2 天"


@pytest.mark.parametrize("code", list(TimeLimit.Code))
def test_the_query_cutoff_agrees_with_the_state_for_every_start(code):
    """``overdue_before`` (what the querysets filter on) says the same as ``state`` day by day."""
    for today in (D(2026, 2, 25), D(2026, 10, 9), D(2026, 10, 12), D(2026, 11, 29)):
        deadlines = Deadlines.load(today)
        cutoff = deadlines.overdue_before(code)
        for back in range(0, 90):
            start = today - datetime.timedelta(days=back)
            assert (start < cutoff) == deadlines.state(code, start).overdue, (today, start)


def test_the_administrator_changes_a_limit():
    TimeLimit.objects.filter(code=TimeLimit.Code.REWARD_REVIEW).update(days=5)
    assert Deadlines.load(D(2026, 11, 30)).due(TimeLimit.Code.REWARD_REVIEW, D(2026, 11, 23)) == D(
        2026, 11, 30
    )


def test_a_missing_limit_falls_back_to_its_default():
    TimeLimit.objects.all().delete()
    assert Deadlines.load(D(2026, 11, 30)).limits[TimeLimit.Code.REWARD_REVIEW].days == 10


def test_the_calendar_reads_the_database_once(django_assert_num_queries):
    with django_assert_num_queries(1):
        calendar = WorkingCalendar.load()
    with django_assert_num_queries(0):
        assert calendar.between(D(2026, 1, 1), D(2026, 12, 31)) > 240


def test_between_is_the_day_by_day_count_whatever_the_exceptions():
    """``between`` is arithmetic over weeks and the exceptions' running sum; it must agree with walking
    the days one by one, across years, with holidays on weekdays and make-up days on weekends (and
    exceptions that change nothing: a holiday on a Sunday)."""
    import random

    rng = random.Random(2017)
    start = datetime.date(2024, 1, 1)
    exceptions = {start + datetime.timedelta(days=rng.randrange(900)): rng.random() < 0.5 for _ in range(80)}
    calendar = WorkingCalendar(exceptions)

    def walked(a, b):
        if b < a:
            return -walked(b, a)
        count, day = 0, a
        while day < b:
            day += datetime.timedelta(days=1)
            count += calendar.is_working(day)
        return count

    for _ in range(2000):
        a = start + datetime.timedelta(days=rng.randrange(-30, 950))
        b = start + datetime.timedelta(days=rng.randrange(-30, 950))
        assert calendar.between(a, b) == walked(a, b), (a, b)
