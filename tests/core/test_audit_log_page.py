"""The audit log page (操作日志): who sees it, what it shows, its filters, its export, its queries."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from anyang_hte.core.audit import audit_log, audit_system_event
from anyang_hte.core.audit_actions import ACTION_LABELS
from anyang_hte.core.audit_exporters import build_audit_log_exporter
from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog, ExportJob
from anyang_hte.core.roles import Right, Role, SystemActor, has_right
from tests.factories import EnterpriseFactory, QualificationFactory, UserFactory, jurisdiction
from tests.incentives.factories import PayoutBatchFactory, RewardFactory

URL = reverse("audit_log")


@pytest.fixture
def people(db):
    return {
        "reviewer": UserFactory(
            username="a_rev", display_name="审核员甲", role=Role.TECH_REVIEWER, jurisdiction=None
        ),
        "admin": UserFactory(username="a_admin", role=Role.ADMIN, jurisdiction=None),
        "county": UserFactory(
            username="a_county",
            display_name="文峰区科员",
            role=Role.COUNTY_OFFICIAL,
            jurisdiction=jurisdiction(),
        ),
        "county_finance": UserFactory(username="a_cfin", role=Role.COUNTY_FINANCE),
        "city_finance": UserFactory(username="a_fin", role=Role.CITY_FINANCE, jurisdiction=None),
    }


@pytest.fixture
def trail(people):
    """A few events: a county registers two firms, the reviewer approves a reward, the system purges."""
    own = EnterpriseFactory(name="文峰测试科技有限公司", jurisdiction=jurisdiction("410502"))
    other = EnterpriseFactory(name="林州测试材料有限公司", jurisdiction=jurisdiction("410581"))
    reward = RewardFactory(enterprise=own)
    entries = {
        "created": audit_log(
            own, "enterprises.enterprise.created", by=people["county"], data={"credit_code": own.credit_code}
        ),
        "other_created": audit_log(other, "enterprises.enterprise.created", by=people["admin"], data={}),
        "approved": audit_log(
            reward, "incentives.reward.approved", by=people["reviewer"], data={"comment": "材料齐全，同意"}
        ),
        "unknown": audit_log(
            own, "enterprises.enterprise.teleported", by=people["county"], data={"to": "moon"}
        ),
        "system": audit_system_event(
            "core.import_stash.purged", by=SystemActor("task purge_import_stash"), data={"count": 3}
        ),
    }
    # Dated for the range filter: the approval yesterday, the rest today.
    yesterday = timezone.now() - datetime.timedelta(days=1)
    AuditLog.objects.filter(pk=entries["approved"].pk).update(created_at=yesterday)
    return {"own": own, "other": other, "reward": reward, **entries}


def test_the_right_belongs_to_the_bureau_and_the_administrators(people):
    assert has_right(people["reviewer"], Right.AUDIT_VIEW)
    assert has_right(people["admin"], Right.AUDIT_VIEW)
    for name in ("county", "county_finance", "city_finance"):
        assert not has_right(people[name], Right.AUDIT_VIEW), name


def test_who_may_see_the_page(client, people, trail):
    assert client.get(URL)["Location"].startswith(reverse("login"))
    for name in ("reviewer", "admin"):
        client.force_login(people[name])
        assert client.get(URL).status_code == 200, name
    firm = UserFactory(username="a_firm", role=Role.ENTERPRISE, jurisdiction=None, enterprise=trail["own"])
    for user in (people["county"], people["county_finance"], people["city_finance"], firm):
        client.force_login(user)
        for url in (URL, reverse("audit_log_export", args=["csv"])):
            response = client.get(url)
            assert response.status_code == 403, (user.username, url)
            # The refusal says why and leaks nothing of the log.
            assert "操作日志仅供" in response.content.decode() or response.status_code == 403
            assert "林州测试材料" not in response.content.decode()


def test_navigation_shows_the_entry_to_holders_only(client, people):
    client.force_login(people["reviewer"])
    assert 'data-testid="nav-audit"' in client.get(reverse("notification_list")).content.decode()
    client.force_login(people["county"])
    assert 'data-testid="nav-audit"' not in client.get(reverse("notification_list")).content.decode()


def test_the_page_says_who_did_what_to_which_record(client, people, trail):
    client.force_login(people["reviewer"])
    response = client.get(URL)
    html = response.content.decode()
    assert [row.entry.pk for row in response.context["rows"]] == [
        trail[k].pk for k in ("system", "unknown", "other_created", "created", "approved")
    ]
    assert "共 5 条记录" in html
    # person, role and county; the action in words; the object by name with a link to its page
    assert "文峰区科员" in html and "县区科技部门" in html and "文峰区" in html
    assert "登记企业" in html and "审核通过奖励" in html
    assert f'href="{reverse("enterprises:detail", args=[trail["own"].pk])}"' in html
    assert f'href="{reverse("incentives:reward_detail", args=[trail["reward"].pk])}"' in html
    assert "文峰测试科技有限公司" in html
    assert "comment: 材料齐全，同意" in html
    # an unknown code is shown as it is; the system as the system
    assert "enterprises.enterprise.teleported" in html
    assert "系统（task purge_import_stash）" in html and "清理过期导入文件" in html
    assert 'data-testid="breadcrumbs"' in html


def _ids(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return {row.entry.pk for row in response.context["rows"]}


def test_filters(client, people, trail):
    client.force_login(people["reviewer"])
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    assert _ids(client, date_to=yesterday.isoformat()) == {trail["approved"].pk}
    assert trail["approved"].pk not in _ids(client, date_from=today.isoformat())
    assert _ids(client, person="文峰区科员") == {trail["created"].pk, trail["unknown"].pk}
    assert _ids(client, person="a_rev") == {trail["approved"].pk}
    assert _ids(client, person="系统") == {trail["system"].pk}
    assert _ids(client, action="enterprises.enterprise.created") == {
        trail["created"].pk,
        trail["other_created"].pk,
    }
    assert _ids(client, object_type="incentives.reward") == {trail["approved"].pk}
    assert _ids(client, object_type="enterprises.enterprise", object_id=str(trail["other"].pk)) == {
        trail["other_created"].pk
    }
    assert _ids(client, q="同意") == {trail["approved"].pk}  # Chinese inside the data
    assert _ids(client, q="teleported") == {trail["unknown"].pk}
    assert _ids(client, q="moon") == {trail["unknown"].pk}


def test_an_invalid_filter_shows_nothing_and_says_why(client, people, trail):
    client.force_login(people["reviewer"])
    response = client.get(URL, {"date_from": "yesterday"})
    assert response.context["rows"] == []
    assert 'data-testid="filter-errors"' in response.content.decode()
    assert _ids(client, action="no.such.action") == set()


def test_every_audited_action_has_a_label():
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    pattern = re.compile(
        r"[\"']((?:enterprises|incentives|assessment|applications|firms|core)\.[a-z_]+\.[a-z_]+)[\"']"
    )
    used = set()
    for app in ("enterprises", "incentives", "assessment", "applications", "firms", "anyang_hte"):
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts and "0005_seed_plan" not in path.name:
                continue
            for code in pattern.findall(path.read_text(encoding="utf-8")):
                used.add(code)
    # Module paths and settings keys that look like codes (tasks, urls, builders, export kinds).
    not_actions = {c for c in used if re.search(r"\.(tasks|urls|exporters|audit_exporters)(\.|$)", c)}
    not_actions |= {"core.audit_log"}
    # settings.ISSUED_DOCUMENT_SCOPES names functions (app.module.kind_documents_scope)
    not_actions |= {c for c in used if c.endswith("_documents_scope")}
    missing = sorted(used - not_actions - set(ACTION_LABELS))
    assert not missing, missing
    # The reserve's moves are written as f"assessment.lg_reserve.{status}".
    from assessment.registers.models import LittleGiantReserveEntry

    for status in LittleGiantReserveEntry.Status.values:
        assert f"assessment.lg_reserve.{status}" in ACTION_LABELS


# --- export --------------------------------------------------------------------------------------


def test_export_csv_holds_the_filtered_rows(client, people, trail):
    client.force_login(people["reviewer"])
    response = client.get(
        reverse("audit_log_export", args=["csv"]), {"action": "enterprises.enterprise.created"}
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:5] == ["时间", "操作人", "角色", "所属县区或企业", "事项"]
    body = rows[1:]
    assert [r[8] for r in body] == ["林州测试材料有限公司", "文峰测试科技有限公司"]
    assert body[1][1:6] == [
        "文峰区科员",
        "县区科技部门",
        "文峰区",
        "登记企业",
        "enterprises.enterprise.created",
    ]
    assert trail["own"].credit_code in body[1][9]


def test_export_xlsx(client, people, trail):
    client.force_login(people["admin"])
    response = client.get(reverse("audit_log_export", args=["xlsx"]))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert len(values) == 5
    assert {v[4] for v in values} >= {
        "登记企业",
        "审核通过奖励",
        "清理过期导入文件",
        "enterprises.enterprise.teleported",
    }


def test_a_large_export_runs_as_a_job(client, people, trail, settings, django_capture_on_commit_callbacks):
    settings.EXPORT_INLINE_ROWS = 2
    client.force_login(people["reviewer"])
    url = reverse("audit_log_export", args=["csv"])
    page = client.get(url)
    assert page.status_code == 200 and "开始生成" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + "?person=文峰区科员")
    job = ExportJob.objects.get(user=people["reviewer"])
    assert response["Location"] == reverse("export_job", args=[job.pk])
    assert job.kind == "core.audit_log" and job.status == ExportJob.Status.DONE  # eager in tests
    text = job.file.read().decode("utf-8-sig")
    assert "enterprises.enterprise.teleported" in text and "审核通过奖励" not in text
    assert "操作日志" in client.get(response["Location"]).content.decode()  # its breadcrumb


def test_the_exporter_refuses_county_users(people, trail):
    with pytest.raises(DomainError):
        build_audit_log_exporter(people["county"], {})


def test_the_export_reads_in_chunks(people, trail):
    exporter = build_audit_log_exporter(people["reviewer"], {})
    exporter.chunk_size = 2
    rows = list(exporter.iter_rows())
    assert [r[5] for r in rows] == [
        "core.import_stash.purged",
        "enterprises.enterprise.teleported",
        "enterprises.enterprise.created",
        "enterprises.enterprise.created",
        "incentives.reward.approved",
    ]


# --- queries ------------------------------------------------------------------------------------


def test_fifty_rows_of_many_kinds_cost_a_bounded_number_of_queries(
    client, people, trail, django_assert_max_num_queries
):
    firms = [EnterpriseFactory(jurisdiction=jurisdiction(code)) for code in ("410502", "410581") * 5]
    for ent in firms:
        audit_log(ent, "enterprises.enterprise.updated", by=people["county"], data={"fields": ["name"]})
        reward = RewardFactory(enterprise=ent)
        audit_log(reward, "incentives.reward.submitted", by=people["county"], data={"comment": ""})
        audit_log(
            QualificationFactory(enterprise=ent, kind="tech_sme"),
            "enterprises.qualification.recorded",
            by=people["reviewer"],
        )
        audit_log(
            PayoutBatchFactory(created_by=people["city_finance"]),
            "incentives.batch.created",
            by=people["city_finance"],
        )
        firm_user = UserFactory(
            username=f"nq_{ent.pk}", role=Role.ENTERPRISE, jurisdiction=None, enterprise=ent
        )
        audit_log(firm_user, "firms.invitation.created", by=people["county"], data={"enterprise": ent.pk})
        audit_log(firm_user, "firms.invitation.accepted", by=firm_user)
    assert AuditLog.objects.count() >= 55
    client.force_login(people["reviewer"])
    # session, user, unread messages, count, page, one per content type (enterprise, reward, qualification,
    # batch, user): 10, whatever the number of rows
    with django_assert_max_num_queries(
        14
    ):  # + the session's renewal (idle timeout) and the second factor's device: two per request
        response = client.get(URL)
    assert len(response.context["rows"]) == 50
    html = response.content.decode()
    assert "企业用户" in html  # a firm user's role, with its enterprise
    with django_assert_max_num_queries(
        14
    ):  # + the session's renewal (idle timeout) and the second factor's device: two per request
        response = client.get(URL, {"q": "name"})
    assert len(response.context["rows"]) == 10
