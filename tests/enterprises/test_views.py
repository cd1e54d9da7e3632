import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from anyang_hte.core.forms import WanYuanField
from anyang_hte.core.money import yuan_to_wan
from anyang_hte.core.roles import Role
from enterprises.models import AnnualFigures, Enterprise, LedgerMilestone, ServiceVisit
from tests.factories import EnterpriseFactory, FiguresFactory, MilestoneFactory, UserFactory, jurisdiction


@pytest.fixture
def official_client(client, county_official):
    client.force_login(county_official)
    return client


def test_login_page_and_whoami(client, county_official):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(
        reverse("login"), {"username": "county_wf", "password": "pass-1234-word"}, follow=True
    )
    body = response.content.decode()
    assert "文峰区" in body and "县区科技部门" in body


def test_repeated_failed_logins_lock_out(client, county_official):
    for _ in range(5):
        client.post(reverse("login"), {"username": "county_wf", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "county_wf", "password": "pass-1234-word"})
    assert response.status_code == 429
    assert "锁定" in response.content.decode()


def test_english_is_available(client, county_official):
    client.force_login(county_official)
    client.post(reverse("set_language"), {"language": "en", "next": "/ledger/"})
    body = client.get(reverse("enterprises:list")).content.decode()
    assert 'lang="en"' in body
    assert "Cultivation ledger" in body


@pytest.mark.parametrize("per_page", [25, 200])
def test_list_queries_do_not_grow_with_page_size(
    official_client, county_official, django_assert_max_num_queries, per_page
):
    for ent in EnterpriseFactory.create_batch(60, jurisdiction=county_official.jurisdiction):
        MilestoneFactory(enterprise=ent, due_on=datetime.date(2020, 1, 1))
    with django_assert_max_num_queries(
        10
    ):  # + the session's renewal (idle timeout) and the second factor's device: two per request
        response = official_client.get(reverse("enterprises:list"), {"per_page": per_page})
    assert response.status_code == 200
    assert response.content.decode().count("bg-danger") >= min(per_page, 60)


def test_list_filters(official_client, county_official):
    a = EnterpriseFactory(
        name="安阳市鑫源科技有限公司", jurisdiction=county_official.jurisdiction, planned_year=2027
    )
    b = EnterpriseFactory(
        name="安阳华泰电子有限公司", jurisdiction=county_official.jurisdiction, helper_name="王敏"
    )
    MilestoneFactory(enterprise=b, due_on=datetime.date(2020, 1, 1))
    url = reverse("enterprises:list")

    def names(params):
        body = official_client.get(url, params).content.decode()
        return {e.name for e in (a, b) if e.name in body}

    assert names({"q": "xy"}) == {a.name}
    assert names({"q": a.credit_code.lower()}) == {a.name}
    assert names({"planned_year": 2027}) == {a.name}
    assert names({"helper": "王"}) == {b.name}
    assert names({"overdue": "yes"}) == {b.name}
    assert names({"readiness": "unknown"}) == {a.name, b.name}


def test_create_keeps_input_and_names_the_failed_check(official_client):
    response = official_client.post(
        reverse("enterprises:create"),
        {
            "name": "安阳瑞达科技有限公司",
            "credit_code": "91410502MA3X5A6B1X",
            "jurisdiction": jurisdiction().pk,
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "校验" in body and "安阳瑞达科技有限公司" in body
    assert not Enterprise.objects.exists()


def test_duplicate_links_to_existing(official_client, county_official):
    existing = EnterpriseFactory(jurisdiction=county_official.jurisdiction)
    response = official_client.post(
        reverse("enterprises:create"),
        {"name": "重复", "credit_code": existing.credit_code.lower(), "jurisdiction": jurisdiction().pk},
    )
    assert reverse("enterprises:detail", args=[existing.pk]) in response.content.decode()


def test_duplicate_in_other_county_does_not_leak(official_client):
    foreign = EnterpriseFactory(jurisdiction=jurisdiction("410581"), name="林州某某公司")
    response = official_client.post(
        reverse("enterprises:create"),
        {"name": "重复", "credit_code": foreign.credit_code, "jurisdiction": jurisdiction().pk},
    )
    body = response.content.decode()
    assert "其他县区" in body and "林州某某公司" not in body


def test_figures_form_takes_wan_yuan_exactly(official_client, county_official):
    ent = EnterpriseFactory(jurisdiction=county_official.jurisdiction)
    response = official_client.post(
        reverse("enterprises:figures_add", args=[ent.pk]),
        {
            "year": 2024,
            "sales_revenue": "1,234.567891",
            "rd_expense": "62.4",
            "staff_count": "10",
            "st_staff_count": "11",
        },
    )
    assert "科技人员数" in response.content.decode() and not AnnualFigures.objects.exists()
    assert 'value="1,234.567891"' in response.content.decode()  # what was typed is kept
    official_client.post(
        reverse("enterprises:figures_add", args=[ent.pk]),
        {
            "year": 2024,
            "sales_revenue": "1,234.567891",
            "rd_expense": "62.4",
            "staff_count": "10",
            "st_staff_count": "3",
        },
    )
    figures = AnnualFigures.objects.get(enterprise=ent, year=2024)
    assert figures.sales_revenue == Decimal("12345678.91") and figures.rd_expense == Decimal("624000.00")
    page = official_client.get(reverse("enterprises:figures_edit", args=[ent.pk, 2024])).content.decode()
    assert 'value="1234.567891"' in page


def test_wan_yuan_field_round_trip():
    field = WanYuanField()
    assert field.clean("0.01") == Decimal("100.00")
    assert field.clean("") is None
    assert field.prepare_value(Decimal("300000")) == "30.00"
    assert field.prepare_value(Decimal("12345678.91")) == "1234.567891"
    assert yuan_to_wan(Decimal("12345678.91")) == Decimal("1234.567891")


def test_detail_shows_everything(official_client, county_official):
    ent = EnterpriseFactory(jurisdiction=county_official.jurisdiction)
    FiguresFactory(enterprise=ent, year=2025)
    MilestoneFactory(enterprise=ent, due_on=datetime.date(2020, 1, 1), title="过期节点")
    body = official_client.get(reverse("enterprises:detail", args=[ent.pk])).content.decode()
    for text in (ent.name, "过期节点", "逾期", "3,000.00", "认定条件", "变更记录"):
        assert text in body


def test_milestone_and_visit_pages(official_client, county_official):
    ent = EnterpriseFactory(jurisdiction=county_official.jurisdiction)
    official_client.post(
        reverse("enterprises:milestone_add", args=[ent.pk]), {"title": "申报", "due_on": "2027-05-01"}
    )
    official_client.post(
        reverse("enterprises:visit_add", args=[ent.pk]),
        {"visited_on": "2026-01-05", "visitors": "王敏", "problems": "缺知识产权", "actions": "对接代理机构"},
    )
    assert LedgerMilestone.objects.filter(enterprise=ent, title="申报").exists()
    assert ServiceVisit.objects.filter(enterprise=ent, visitors="王敏").exists()
    m = LedgerMilestone.objects.get(enterprise=ent)
    official_client.post(
        reverse("enterprises:milestone_edit", args=[ent.pk, m.pk]),
        {"title": "申报", "due_on": "2027-05-01", "done_on": "2026-01-06"},
    )
    m.refresh_from_db()
    assert m.done_on == datetime.date(2026, 1, 6)


def test_finance_reads_but_cannot_edit(client, db):
    finance = UserFactory(username="cf", role=Role.COUNTY_FINANCE)
    ent = EnterpriseFactory()
    client.force_login(finance)
    assert client.get(reverse("enterprises:detail", args=[ent.pk])).status_code == 200
    assert client.get(reverse("enterprises:edit", args=[ent.pk])).status_code == 403


def test_list_never_counts_past_the_cap(official_client, county_official, settings):
    settings.LIST_COUNT_CAP = 3
    EnterpriseFactory.create_batch(5, jurisdiction=county_official.jurisdiction)
    body = official_client.get(reverse("enterprises:list")).content.decode()
    assert "超过 3 家企业" in body
    settings.LIST_COUNT_CAP = 10
    assert "共 5 家企业" in official_client.get(reverse("enterprises:list")).content.decode()
