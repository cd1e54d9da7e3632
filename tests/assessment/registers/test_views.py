"""The register pages as the shared helpers draw them: breadcrumbs, form pages, edits of a stored row.

Every page shows one breadcrumb trail (``includes/crumbs.html`` from the view's ``crumbs``), the same
trail the pages showed before; an edit page reads its row once and hands that object to the form, the
service compares what was typed with the stored row, and a refused edit is still titled with the
stored name.
"""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anyang_hte.core.dates import today
from anyang_hte.core.models import AuditLog
from assessment.models import IncubationCarrier, PolicyCounselor, TrainingEvent
from tests.factories import EnterpriseFactory, jurisdiction

pytestmark = [pytest.mark.django_db]

WF = "410502"
DAY = datetime.date(2024, 3, 1)
NAV_RE = re.compile(r'<nav aria-label="breadcrumb"[^>]*>(.*?)</nav>', re.S)
ITEM_RE = re.compile(
    r'<li class="breadcrumb-item[^"]*"[^>]*>(?:<a href="([^"]*)">(.*?)</a>|(.*?))</li>', re.S
)


def crumbs(body: str) -> list[tuple[str, str | None]]:
    """The page's breadcrumb trail as ``(label, url)`` pairs; there must be exactly one trail."""
    navs = NAV_RE.findall(body)
    assert len(navs) == 1, f"{len(navs)} breadcrumb trails"
    assert 'data-testid="breadcrumbs"' in body  # drawn by the shared include
    return [
        (html.unescape(link_label or label), html.unescape(url) if url else None)
        for url, link_label, label in ITEM_RE.findall(navs[0])
    ]


@pytest.fixture
def rows(db):
    wf = jurisdiction(WF)
    event = TrainingEvent.objects.create(held_on=DAY, jurisdiction=wf, topic="高企政策培训", notes="原说明")
    counselor = PolicyCounselor.objects.create(
        name="王辅导", unit="文峰区科技局", phone="111", jurisdiction=wf
    )
    carrier = IncubationCarrier.objects.create(
        name="文峰孵化器", kind="incubator", level="provincial", jurisdiction=wf, recognised_on=DAY
    )
    return {"carrier": carrier, "event": event, "counselor": counselor}


def test_every_register_page_shows_its_breadcrumb_trail(client, reviewer, rows):
    carrier, event, counselor = rows["carrier"], rows["event"], rows["counselor"]
    carriers = ("孵化载体", reverse("registers:carrier_list"))
    training = ("政策培训", reverse("registers:training_list"))
    counselors = ("政策辅导员", reverse("registers:counselor_list"))
    plan = ("行动计划任务", reverse("registers:plan_tasks"))
    pages = {
        reverse("registers:carrier_list"): [("孵化载体", None)],
        reverse("registers:carrier_create"): [carriers, ("登记孵化载体", None)],
        reverse("registers:carrier_edit", args=[carrier.pk]): [carriers, ("修改孵化载体：文峰孵化器", None)],
        reverse("registers:carrier_revoke", args=[carrier.pk]): [
            carriers,
            ("撤销孵化载体：文峰孵化器", None),
        ],
        reverse("registers:training_list"): [("政策培训", None)],
        reverse("registers:training_create"): [training, ("登记培训", None)],
        reverse("registers:training_detail", args=[event.pk]): [training, ("2024-03-01 高企政策培训", None)],
        reverse("registers:training_edit", args=[event.pk]): [training, ("修改培训：高企政策培训", None)],
        reverse("registers:counselor_list"): [("政策辅导员", None)],
        reverse("registers:counselor_create"): [counselors, ("登记政策辅导员", None)],
        reverse("registers:counselor_detail", args=[counselor.pk]): [counselors, ("王辅导", None)],
        reverse("registers:counselor_edit", args=[counselor.pk]): [
            counselors,
            ("修改政策辅导员：王辅导", None),
        ],
        reverse("registers:plan_tasks"): [("行动计划任务", None)],
        reverse("registers:plan_task_detail", args=[4]): [plan, ("任务4", None)],
        reverse("registers:task_report"): [plan, ("登记任务进展", None)],
    }
    client.force_login(reviewer)
    for url, trail in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert crumbs(response.content.decode()) == trail, url


def _queries_on(table: str, queries) -> int:
    """How many queries read ``table`` itself (not a table whose name merely starts with it)."""
    pattern = re.compile(rf'FROM "{table}"(?![\w])')
    return sum(1 for q in queries if q["sql"].lstrip().startswith("SELECT") and pattern.search(q["sql"]))


@pytest.mark.parametrize(
    ("name", "key", "table"),
    [
        ("carrier_edit", "carrier", "assessment_incubationcarrier"),
        ("training_edit", "event", "assessment_trainingevent"),
        ("counselor_edit", "counselor", "assessment_policycounselor"),
    ],
)
def test_an_edit_page_reads_its_row_once(client, reviewer, rows, name, key, table):
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse(f"registers:{name}", args=[rows[key].pk])).status_code == 200
    assert _queries_on(table, ctx.captured_queries) == 1


def _audit_changes(obj, kind: str) -> list[dict]:
    entries = AuditLog.objects.filter(object_id=str(obj.pk), action=f"assessment.{kind}.updated")
    return [e.data["changes"] for e in entries]


def test_a_page_edit_records_exactly_what_changed(client, reviewer, county_official, rows):
    carrier, event, counselor = rows["carrier"], rows["event"], rows["counselor"]
    client.force_login(reviewer)
    response = client.post(
        reverse("registers:carrier_edit", args=[carrier.pk]),
        {
            "name": carrier.name,
            "kind": carrier.kind,
            "level": "national",
            "jurisdiction": carrier.jurisdiction_id,
            "recognised_on": DAY.isoformat(),
        },
    )
    assert response.status_code == 302
    assert _audit_changes(carrier, "carrier") == [{"level": ["provincial", "national"]}]

    client.force_login(county_official)
    response = client.post(
        reverse("registers:training_edit", args=[event.pk]),
        {
            "held_on": DAY.isoformat(),
            "jurisdiction": event.jurisdiction_id,
            "topic": "研发费用归集培训",
            "enterprise_lines": "",
            "notes": "原说明",
        },
    )
    assert response.status_code == 302
    assert _audit_changes(event, "training") == [{"topic": ["高企政策培训", "研发费用归集培训"]}]

    response = client.post(
        reverse("registers:counselor_edit", args=[counselor.pk]),
        {
            "name": "王辅导",
            "unit": "文峰区科技局",
            "phone": "222",
            "jurisdiction": counselor.jurisdiction_id,
            "enterprise_lines": "",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert _audit_changes(counselor, "counselor") == [{"phone": ["111", "222"]}]


def test_a_refused_carrier_edit_is_titled_with_the_stored_name(client, reviewer, rows):
    carrier = rows["carrier"]
    carrier.revoked_on = datetime.date(2024, 6, 30)
    carrier.save()
    client.force_login(reviewer)
    response = client.post(
        reverse("registers:carrier_edit", args=[carrier.pk]),
        {
            "name": "半途改名孵化器",
            "kind": carrier.kind,
            "level": carrier.level,
            "jurisdiction": carrier.jurisdiction_id,
            "recognised_on": "2024-07-01",  # after the revocation: the service refuses
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and "认定日期不能晚于撤销日期" in body
    assert '<h1 class="h5">修改孵化载体：文峰孵化器</h1>' in body and "修改孵化载体：文峰孵化器 · " in body
    assert crumbs(body)[-1] == ("修改孵化载体：文峰孵化器", None)
    assert 'value="半途改名孵化器"' in body  # the form keeps what was typed
    carrier.refresh_from_db()
    assert carrier.name == "文峰孵化器" and not AuditLog.objects.filter(action__endswith="updated").exists()


def test_refused_training_and_counselor_edits_are_titled_with_the_stored_name(client, county_official, rows):
    event, counselor = rows["event"], rows["counselor"]
    foreign = EnterpriseFactory(jurisdiction=jurisdiction("410581"))
    client.force_login(county_official)
    response = client.post(
        reverse("registers:training_edit", args=[event.pk]),
        {
            "held_on": (today() + datetime.timedelta(days=2)).isoformat(),  # the service refuses
            "jurisdiction": event.jurisdiction_id,
            "topic": "半途改的主题",
            "enterprise_lines": "",
            "notes": "",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and "培训日期不能晚于今天" in body
    assert crumbs(body)[-1] == ("修改培训：高企政策培训", None) and 'value="半途改的主题"' in body

    response = client.post(
        reverse("registers:counselor_edit", args=[counselor.pk]),
        {
            "name": "半途改名",
            "unit": "",
            "phone": "",
            "jurisdiction": counselor.jurisdiction_id,
            "enterprise_lines": foreign.credit_code,  # not in 文峰区's ledger: the form refuses
            "active": "on",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and "本县区台账中没有这个信用代码" in body
    assert crumbs(body)[-1] == ("修改政策辅导员：王辅导", None) and 'value="半途改名"' in body
    event.refresh_from_db()
    counselor.refresh_from_db()
    assert (event.topic, counselor.name) == ("高企政策培训", "王辅导")
    assert not AuditLog.objects.filter(action__endswith="updated").exists()
