"""The records the verdict reads besides the figures (IP register, adverse records, direct routes) and
the innovation scoring: services and pages."""

import datetime

import pytest
from django.urls import reverse

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from enterprises import services
from enterprises.models import Distinction, Enterprise, Incident, InnovationAssessment, IntellectualProperty
from tests.factories import EnterpriseFactory, FiguresFactory

pytestmark = pytest.mark.django_db

IP = {
    "kind": "utility_model",
    "title": "一种散热装置",
    "number": "ZL202420001234.5",
    "granted_on": datetime.date(2024, 5, 1),
    "acquisition": "self",
}


@pytest.fixture
def ent(county_official):
    enterprise = EnterpriseFactory(jurisdiction=county_official.jurisdiction)
    for year in (2023, 2024, 2025):
        FiguresFactory(
            enterprise=enterprise, year=year, ip_class1_count=0, ip_class2_count=0, conversions_count=5
        )
    return enterprise


def test_recording_an_ip_item_is_audited_and_changes_the_verdict(ent, county_official):
    assert services.enterprise_refresh_readiness(enterprise=ent).hte_ready is False  # no IP at all
    item = services.ip_item_create(enterprise=ent, by=county_official, **IP)
    assert not item.is_class_i
    log = AuditLog.objects.get(action="enterprises.ip.created")
    assert log.user == county_official and log.data["number"] == IP["number"]
    assert log.data["granted_on"] == "2024-05-01"
    assert Enterprise.objects.get(pk=ent.pk).hte_ready is None  # IP now; innovation still to score


def test_a_duplicate_number_is_refused_on_the_number(ent, county_official):
    services.ip_item_create(enterprise=ent, by=county_official, **IP)
    with pytest.raises(DomainError) as exc:
        services.ip_item_create(enterprise=ent, by=county_official, **(IP | {"title": "另一个"}))
    assert exc.value.field == "number" and "已登记" in exc.value.message
    assert IntellectualProperty.objects.count() == 1


def test_ip_dates_and_years_are_checked(ent, county_official):
    with pytest.raises(DomainError) as exc:
        services.ip_item_create(
            enterprise=ent, by=county_official, **(IP | {"granted_on": datetime.date(2099, 1, 1)})
        )
    assert exc.value.field == "granted_on"
    with pytest.raises(DomainError) as exc:
        services.ip_item_create(enterprise=ent, by=county_official, **(IP | {"used_in_year": 1999}))
    assert exc.value.field == "used_in_year"


def test_marking_an_item_used_records_what_changed(ent, county_official):
    item = services.ip_item_create(enterprise=ent, by=county_official, **IP)
    services.ip_item_update(item=item, by=county_official, used_in_year=2025)
    log = AuditLog.objects.get(action="enterprises.ip.updated")
    assert log.data["changes"] == {"used_in_year": [None, 2025]}
    services.ip_item_update(item=item, by=county_official, used_in_year=2025)  # no change: no entry
    assert AuditLog.objects.filter(action="enterprises.ip.updated").count() == 1


def test_removing_a_record_needs_a_reason_and_the_audit_keeps_it(ent, county_official):
    incident = services.incident_create(
        enterprise=ent, by=county_official, kind="quality", occurred_on=datetime.date(2025, 8, 1)
    )
    with pytest.raises(DomainError) as exc:
        services.incident_delete(incident=incident, by=county_official, reason=" ")
    assert exc.value.field == "reason" and Incident.objects.exists()
    services.incident_delete(incident=incident, by=county_official, reason="误录")
    assert not Incident.objects.exists()
    log = AuditLog.objects.get(action="enterprises.incident.deleted")
    assert log.data["reason"] == "误录" and log.data["record"]["kind"] == "quality"
    assert Incident.history.filter(history_type="-").exists()


def test_a_national_award_needs_its_rank(ent, county_official):
    with pytest.raises(DomainError) as exc:
        services.distinction_create(
            enterprise=ent,
            by=county_official,
            kind="national_award",
            title="国家科学技术进步奖二等奖",
            obtained_on=datetime.date(2023, 1, 10),
        )
    assert exc.value.field == "rank"
    award = services.distinction_create(
        enterprise=ent,
        by=county_official,
        kind="national_award",
        title="国家科学技术进步奖二等奖",
        obtained_on=datetime.date(2023, 1, 10),
        rank=2,
    )
    assert Distinction.objects.get().pk == award.pk
    # An edit is checked against the stored record, not the caller's copy: a stale copy that still says
    # "standard_lead" cannot drop the rank of what is stored as a national award.
    stale = Distinction.objects.get(pk=award.pk)
    stale.kind = "standard_lead"
    with pytest.raises(DomainError) as exc:
        services.distinction_update(distinction=stale, by=county_official, rank=None)
    assert exc.value.field == "rank" and Distinction.objects.get().rank == 2


# --- pages ----------------------------------------------------------------------------------------------


def test_the_ip_page_refuses_with_the_field_marked_and_keeps_what_was_typed(client, ent, county_official):
    services.ip_item_create(enterprise=ent, by=county_official, **IP)
    client.force_login(county_official)
    url = reverse("enterprises:record_add", args=[ent.pk, "ip"])
    response = client.post(url, IP | {"title": "重复的编号", "granted_on": "2024-05-01"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "已登记过这一编号" in body and 'value="重复的编号"' in body
    response = client.post(url, IP | {"number": "ZL2", "granted_on": "2024-05-01"})
    assert response.status_code == 302 and response["Location"].endswith("#ip")
    assert IntellectualProperty.objects.count() == 2


def test_another_countys_record_pages_are_not_there(client, ent, other_county_official):
    item = IntellectualProperty.objects.create(enterprise=ent, **IP)
    client.force_login(other_county_official)
    for url in (
        reverse("enterprises:record_add", args=[ent.pk, "incident"]),
        reverse("enterprises:record_edit", args=[ent.pk, "ip", item.pk]),
        reverse("enterprises:record_delete", args=[ent.pk, "ip", item.pk]),
        reverse("enterprises:innovation_score", args=[ent.pk, 2026]),
    ):
        assert client.get(url).status_code == 404, url


def test_the_scoring_page_shows_each_band_and_refuses_outside_it(client, ent, county_official):
    services.ip_item_create(enterprise=ent, by=county_official, **(IP | {"kind": "invention"}))
    client.force_login(county_official)
    url = reverse("enterprises:innovation_score", args=[ent.pk, 2026])
    page = client.get(url).content.decode()
    assert "本项可评7–8分" in page and "本项可评25–30分" in page and "ip_self_developed" not in page
    points = {
        "ip_advancement": 8,
        "ip_core_support": 8,
        "ip_quantity": 8,
        "ip_acquisition": 6,
        "conversion": 24,  # the band is 25–30 (5 a year)
        "rd_management": 6,
        "rd_institution": 6,
        "conversion_system": 4,
        "talent": 4,
        "net_asset_growth": 0,
        "sales_growth": 0,
    }
    response = client.post(url, points)
    assert response.status_code == 200 and "应在25–30分之间" in response.content.decode()
    assert not InnovationAssessment.objects.exists()
    response = client.post(url, points | {"conversion": 30})
    assert response.status_code == 302
    assessment = InnovationAssessment.objects.get()
    assert (assessment.application_year, assessment.scored_by) == (2026, county_official)


def test_the_readiness_question_comes_from_the_query_string(client, ent, county_official):
    client.force_login(county_official)
    url = reverse("enterprises:detail", args=[ent.pk])
    page = client.get(url, {"year": 2025, "on": "2025-07-01", "expected_sales": "6000"}).content.decode()
    assert "2025年申报（按2025-07-01判断），依据2022–2024年度数据" in page
    assert "缺少2022年年度数据" in page
    assert "2025年销售收入6000.00万元（按填写的预计数）" in page
    bad = client.get(url, {"year": 2025, "on": "2024-07-01"}).content.decode()
    assert "申报日期应在2025年内" in bad


def test_a_financial_office_reads_the_verdict_but_cannot_score(client, ent):
    from anyang_hte.core.roles import Role
    from tests.factories import UserFactory

    finance = UserFactory(username="fin_wf_ev", role=Role.COUNTY_FINANCE)
    client.force_login(finance)
    page = client.get(reverse("enterprises:detail", args=[ent.pk])).content.decode()
    assert "readiness-verdict" in page and "innovation-score-link" not in page
    assert client.get(reverse("enterprises:innovation_score", args=[ent.pk, 2026])).status_code == 403
