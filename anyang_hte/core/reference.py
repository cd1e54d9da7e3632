"""Reference data every installation has: the 11 assessment units of Anyang (domain.md), China's public
holidays and make-up working days of 2025 and 2026, and the default time limits.

安阳市城乡一体化示范区 has no statistical code; 410599 is a local one.

The holidays are DATA, copied from the State Council's notices as published (国务院办公厅关于2025年部分
节假日安排的通知, 国办发明电〔2024〕12号, 2024-11-12; 国务院办公厅关于2026年部分节假日安排的通知,
国办发明电〔2025〕7号, 2025-11-04). The administrator corrects them, and enters each later year's notice,
in the admin (节假日与调休); a year without rows counts weekends only. The time limits are the portal's
defaults, also kept in the admin (办理时限); ``anyang_hte.core.workdays.DEFAULT_LIMITS`` holds the same.
"""

import datetime

JURISDICTIONS = [
    # code, name, short name, kind
    ("410502", "文峰区", "文峰区", "district"),
    ("410503", "北关区", "北关区", "district"),
    ("410505", "殷都区", "殷都区", "district"),
    ("410506", "龙安区", "龙安区", "district"),
    ("410522", "安阳县", "安阳县", "county"),
    ("410523", "汤阴县", "汤阴县", "county"),
    ("410526", "滑县", "滑县", "county"),
    ("410527", "内黄县", "内黄县", "county"),
    ("410581", "林州市", "林州市", "county_city"),
    ("410571", "安阳高新技术产业开发区", "高新区", "committee"),
    ("410599", "安阳市城乡一体化示范区", "示范区", "committee"),
]


def ensure_jurisdictions(jurisdiction_model=None) -> None:
    """Create or correct the 11 jurisdictions (used by the data migration and by test set-up)."""
    if jurisdiction_model is None:
        from .models import Jurisdiction as jurisdiction_model
    for order, (code, name, short, kind) in enumerate(JURISDICTIONS, start=1):
        jurisdiction_model.objects.update_or_create(
            code=code, defaults={"name": name, "short_name": short, "kind": kind, "sort_order": order}
        )


NOTICE_2025 = "国办发明电〔2024〕12号"
NOTICE_2026 = "国办发明电〔2025〕7号"

# (name, first day, last day of the holiday, make-up working days (调休上班), notice). Data, not rules:
# the administrator corrects a day in the admin (节假日与调休) and enters each new year's notice there.
HOLIDAYS = [
    ("元旦", "2025-01-01", "2025-01-01", [], NOTICE_2025),
    ("春节", "2025-01-28", "2025-02-04", ["2025-01-26", "2025-02-08"], NOTICE_2025),
    ("清明节", "2025-04-04", "2025-04-06", [], NOTICE_2025),
    ("劳动节", "2025-05-01", "2025-05-05", ["2025-04-27"], NOTICE_2025),
    ("端午节", "2025-05-31", "2025-06-02", [], NOTICE_2025),
    ("国庆节、中秋节", "2025-10-01", "2025-10-08", ["2025-09-28", "2025-10-11"], NOTICE_2025),
    ("元旦", "2026-01-01", "2026-01-03", ["2026-01-04"], NOTICE_2026),
    ("春节", "2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"], NOTICE_2026),
    ("清明节", "2026-04-04", "2026-04-06", [], NOTICE_2026),
    ("劳动节", "2026-05-01", "2026-05-05", ["2026-05-09"], NOTICE_2026),
    ("端午节", "2026-06-19", "2026-06-21", [], NOTICE_2026),
    ("中秋节", "2026-09-25", "2026-09-27", [], NOTICE_2026),
    ("国庆节", "2026-10-01", "2026-10-07", ["2026-09-20", "2026-10-10"], NOTICE_2026),
]

# (code, days, unit, starts, owner, notes)
LIMITS = [
    (
        "reward_submit",
        20,
        "working",
        "奖励生成之日（退回的，自退回之日）",
        "县区科技部门",
        "县区收齐证书扫描件和银行账户确认书后提交市科技局审核。",
    ),
    ("reward_review", 10, "working", "县区提交审核之日", "市科技局", "批准、退回或不予奖励。"),
    (
        "line_payment",
        30,
        "calendar",
        "奖励批准之日",
        "承担该笔资金的财政部门（市级财政：市财政局；县区财政：该县区财政局）",
        "编入批次并登记拨付。",
    ),
    ("submission_confirm", 5, "working", "企业提交填报之日", "县区科技部门", "确认写入台账或退回企业修改。"),
]


def _days(first: str, last: str):
    day, end = datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)
    while day <= end:
        yield day
        day += datetime.timedelta(days=1)


def ensure_working_days(calendar_day_model=None, time_limit_model=None) -> None:
    """Create or correct the holidays above and create the missing time limits (the data migration and
    test set-up); a limit the administrator changed keeps its value."""
    if calendar_day_model is None:
        from .models import CalendarDay as calendar_day_model
    if time_limit_model is None:
        from .models import TimeLimit as time_limit_model
    CalendarDay, TimeLimit = calendar_day_model, time_limit_model
    for name, first, last, workdays, notice in HOLIDAYS:
        for day in _days(first, last):
            CalendarDay.objects.update_or_create(
                date=day, defaults={"kind": "holiday", "name": name, "source": notice}
            )
        for day in workdays:
            CalendarDay.objects.update_or_create(
                date=datetime.date.fromisoformat(day),
                defaults={"kind": "workday", "name": name, "source": notice},
            )
    for code, days, unit, starts, owner, notes in LIMITS:
        TimeLimit.objects.get_or_create(
            code=code, defaults={"days": days, "unit": unit, "starts": starts, "owner": owner, "notes": notes}
        )
