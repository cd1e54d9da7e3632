"""The audit log and the notifications page through ``paginate_rows``: a page past the end (or not a
number) is said, never shown as another page; past the count cap the rows go by position, ties in the
time broken by the id; the filters ride along; on PostgreSQL their newest-first order is an index's."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from anyang_hte.core import audit_views, keyset
from anyang_hte.core import views as core_views
from anyang_hte.core.audit_filters import AuditLogFilter
from anyang_hte.core.audit_selectors import audit_entries
from anyang_hte.core.models import AuditLog, Notification
from anyang_hte.core.pages import paginate_rows
from enterprises.models import Enterprise
from tests.core.test_keyset_pages import _link, _mode, _row_ids, _walk
from tests.factories import EnterpriseFactory

AUDIT = reverse("audit_log")
INBOX = reverse("notification_list")
BASE = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's; SQLite (the embedded default)"
)


@pytest.fixture
def trail(db):
    """Nine audit entries about nine enterprises, two at a time in the same second (the id decides)."""
    AuditLog.objects.all().delete()  # the factories' own entries, so the list is exactly these
    ct = ContentType.objects.get_for_model(Enterprise)
    entries = []
    for i in range(9):
        firm = EnterpriseFactory(name=f"审计测试{i}科技有限公司")
        entry = AuditLog.objects.create(
            content_type=ct, object_id=str(firm.pk), action="enterprises.enterprise.updated", data={"n": i}
        )
        AuditLog.objects.filter(pk=entry.pk).update(created_at=BASE + datetime.timedelta(seconds=i // 2))
        entries.append(entry)
    AuditLog.objects.exclude(pk__in=[e.pk for e in entries]).delete()
    return entries


def _audit_order(entries) -> list[int]:
    """The enterprise ids of ``entries`` newest first, the later id first among equal times."""
    rows = AuditLog.objects.filter(pk__in=[e.pk for e in entries]).order_by("-created_at", "-id")
    return [int(e.object_id) for e in rows]


def test_the_audit_log_pages_deep_across_equal_times_in_order(client, reviewer, trail, settings, monkeypatch):
    client.force_login(reviewer)
    monkeypatch.setattr(audit_views, "PER_PAGE", 2)
    settings.LIST_COUNT_CAP = 4
    seen, modes = _walk(client, AUDIT, "enterprises:detail")
    assert seen == _audit_order(trail)  # every entry once, newest first, the id settling each tie
    assert modes[:2] == ["numbered", "numbered"] and set(modes[2:]) == {"keyset"}


def test_the_audit_log_filters_ride_along_the_deep_pages(client, reviewer, trail, settings, monkeypatch):
    client.force_login(reviewer)
    monkeypatch.setattr(audit_views, "PER_PAGE", 2)
    settings.LIST_COUNT_CAP = 2
    AuditLog.objects.create(
        content_type=ContentType.objects.get_for_model(AuditLog), object_id="0", action="core.system", data={}
    )
    seen, modes = _walk(client, AUDIT, "enterprises:detail", first="object_type=enterprises.enterprise&")
    assert seen == _audit_order(trail) and "keyset" in modes
    body = client.get(AUDIT + "?object_type=enterprises.enterprise").content.decode()
    assert "object_type=enterprises.enterprise" in _link(body, "keyset-continue")


@pytest.mark.parametrize("page", ["2000", "abc", "0"])
def test_an_audit_page_past_the_end_or_not_a_number_says_so(client, reviewer, trail, page, monkeypatch):
    client.force_login(reviewer)
    monkeypatch.setattr(audit_views, "PER_PAGE", 4)
    response = client.get(AUDIT, {"page": page})
    body = response.content.decode()
    assert response.status_code == 200 and _mode(body) == "beyond"
    assert f"第 {page} 页超出可显示范围：按页码只能翻到第 3 页。" in body
    assert 'data-testid="audit-row"' not in body  # not the last page's rows under another number
    assert "page=3" in body  # a link to the last page


def test_a_changed_audit_cursor_is_refused(client, reviewer, trail, settings, monkeypatch):
    client.force_login(reviewer)
    monkeypatch.setattr(audit_views, "PER_PAGE", 2)
    settings.LIST_COUNT_CAP = 2
    cont = _link(client.get(AUDIT).content.decode(), "keyset-continue")
    response = client.get(AUDIT + cont[:-3] + "xyz")
    assert response.status_code == 400
    assert "翻页位置无效" in response.content.decode()
    assert 'data-testid="audit-row"' not in response.content.decode()


def test_the_audit_count_is_capped(client, reviewer, trail, settings):
    client.force_login(reviewer)
    settings.LIST_COUNT_CAP = 5
    assert "超过 5 条记录，请缩小筛选范围" in client.get(AUDIT).content.decode()
    settings.LIST_COUNT_CAP = 100
    assert "共 9 条记录" in client.get(AUDIT).content.decode()


@pytest.fixture
def inbox(county_official, other_county_official):
    """Seven messages for the county official (three pairs sent in the same second), two for another."""
    mine = []
    for i in range(7):
        n = Notification.objects.create(user=county_official, title=f"消息{i}", url="/")
        Notification.objects.filter(pk=n.pk).update(created_at=BASE + datetime.timedelta(seconds=i // 2))
        mine.append(n.pk)
    for i in range(2):
        Notification.objects.create(user=other_county_official, title=f"别人的消息{i}", url="/")
    return list(
        Notification.objects.filter(pk__in=mine).order_by("-created_at", "-id").values_list("pk", flat=True)
    )


def test_notifications_page_deep_in_order_and_only_ones_own(
    client, county_official, inbox, settings, monkeypatch
):
    client.force_login(county_official)
    monkeypatch.setattr(core_views, "NOTIFICATIONS_PER_PAGE", 2)
    settings.LIST_COUNT_CAP = 4
    seen, modes = _walk(client, INBOX, "notification_open")
    assert seen == inbox
    assert modes[:2] == ["numbered", "numbered"] and set(modes[2:]) == {"keyset"}


def test_a_notifications_page_past_the_end_says_so(client, county_official, inbox, monkeypatch):
    client.force_login(county_official)
    monkeypatch.setattr(core_views, "NOTIFICATIONS_PER_PAGE", 5)
    body = client.get(INBOX, {"page": "9"}).content.decode()
    assert _mode(body) == "beyond" and "第 9 页超出可显示范围：按页码只能翻到第 2 页。" in body
    assert 'data-testid="notification-row"' not in body and "共 7 条" in body
    second = client.get(INBOX, {"page": "2"}).content.decode()
    assert _row_ids(second, "notification_open") == inbox[5:]


# ---- PostgreSQL: the newest-first orders are index scans, without a sort -----------------------------


def plan(queryset) -> str:
    """The plan with sequential scans and sorts switched off: what is left of them is no index's fault."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            for setting in ("enable_seqscan", "enable_sort", "enable_incremental_sort"):
                cursor.execute(f"SET LOCAL {setting} = off")
        return queryset.explain()


def _paged(user, path: str, queryset):
    request = RequestFactory().get(path)
    request.user = user
    return paginate_rows(request, queryset, per_page=50).rows


def _deep(rows):
    """The query of a keyset page of ``rows`` (the rows after its first row)."""
    keys = keyset.ordering_keys(rows)
    first = rows[0]
    return keyset.keyset_filter(rows, keys, [getattr(first, k.field.attname) for k in keys], forward=True)[
        :51
    ]


@postgresql_only
def test_the_audit_logs_order_and_its_deep_pages_walk_its_index(reviewer, trail):
    rows = _paged(reviewer, AUDIT, AuditLogFilter({}, queryset=audit_entries(reviewer)).qs)
    for queryset in (rows[:50], _deep(rows)):
        text = plan(queryset)
        assert "auditlog_created_id" in text, text
        assert "Seq Scan on core_auditlog" not in text and "Sort" not in text, text


@postgresql_only
def test_the_notifications_order_and_its_deep_pages_walk_their_index(county_official, inbox):
    rows = _paged(
        county_official,
        INBOX,
        Notification.objects.filter(user=county_official).order_by("-created_at", "-id"),
    )
    for queryset in (rows[:50], _deep(rows)):
        text = plan(queryset)
        assert "notification_user_created_id" in text, text
        assert "Seq Scan on core_notification" not in text and "Sort" not in text, text


def test_the_audit_date_filters_take_whole_local_days(client, reviewer, trail):
    """An entry at 23:59 Beijing time on 2 March (15:59 UTC) is on 2 March, not the 3rd."""
    late = trail[0]
    AuditLog.objects.filter(pk=late.pk).update(
        created_at=datetime.datetime(2026, 3, 2, 15, 59, tzinfo=datetime.UTC)
    )
    client.force_login(reviewer)

    def shown(**params) -> set[int]:
        body = client.get(AUDIT, params).content.decode()
        return set(_row_ids(body, "enterprises:detail")) if "<table" in body else set()

    firm = int(late.object_id)
    assert firm in shown(date_from="2026-03-02", date_to="2026-03-02")
    assert firm not in shown(date_from="2026-03-03")
    assert firm not in shown(date_to="2026-03-01")


@postgresql_only
def test_a_date_filtered_audit_page_reads_only_those_days_from_the_index(reviewer, trail):
    flt = AuditLogFilter(
        {"date_from": "2026-03-01", "date_to": "2026-03-02"}, queryset=audit_entries(reviewer)
    )
    text = plan(_paged(reviewer, AUDIT, flt.qs)[:50])
    assert "auditlog_created_id" in text and "Index Cond" in text and "created_at" in text, text
    assert "Seq Scan on core_auditlog" not in text and "Sort" not in text, text
