"""The read endpoints: what each returns, through the same scope as the pages (a county client reads its
own county only), with cursor pagination."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from anyang_hte.core.dates import today
from anyang_hte.core.roles import SystemActor
from applications.models import ApplicationRound, RoundEntry
from assessment.models import IndicatorSnapshot
from enterprises.services import qualification_record
from incentives.models import Reward
from tests.factories import EnterpriseFactory, FiguresFactory, jurisdiction

pytestmark = pytest.mark.django_db


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return json.loads(response.content)["results"]


@pytest.fixture
def ledger(firms):
    wenfeng, linzhou = firms
    for firm in firms:
        FiguresFactory(enterprise=firm, year=2025)
        qualification_record(
            enterprise=firm,
            kind="hte",
            granted_on=datetime.date(2025, 11, 20),
            number=f"GR{firm.pk}",
            by=SystemActor("test"),
        )
    now = timezone.now()
    for code in ("410502", "410581", "city"):
        IndicatorSnapshot.objects.create(scope=code, year=2025, indicator="hte_new", value=1, computed_at=now)
    day = today()
    round_ = ApplicationRound.objects.create(
        year=2026,
        intention_deadline=day,
        recommendation_deadline=day,
        review_deadline=day,
        opened_at=now,
    )
    for firm in firms:
        RoundEntry.objects.create(round=round_, enterprise=firm, declared_at=now)
    return firms


def test_a_county_client_reads_its_own_county_only(wf_api, ledger):
    wenfeng, _linzhou = ledger
    for path in ("enterprises/", "figures/", "qualifications/", "rewards/", "round-entries/"):
        found = rows(wf_api.get(path))
        assert found, path
        assert {r.get("credit_code") for r in found} == {wenfeng.credit_code}, path
    assert {r["scope"] for r in rows(wf_api.get("indicators/"))} == {"410502"}
    # Filtering for another county gives nothing, not its rows.
    assert rows(wf_api.get("enterprises/", {"jurisdiction": "410581"})) == []


def test_the_city_client_reads_every_county(city_api, ledger):
    assert len(rows(city_api.get("enterprises/"))) == 2
    assert len(rows(city_api.get("rewards/"))) == 2
    assert {r["scope"] for r in rows(city_api.get("indicators/"))} == {"410502", "410581", "city"}
    assert len(rows(city_api.get("round-entries/", {"year": 2026}))) == 2


def test_an_enterprise_carries_its_stage_and_readiness_and_no_bank_data(city_api, ledger):
    wenfeng, _ = ledger
    type(wenfeng).objects.filter(pk=wenfeng.pk).update(bank_account="6222020000000000", hte_ready=True)
    response = city_api.get(f"enterprises/{wenfeng.credit_code.lower()}/")
    data = json.loads(response.content)
    assert data["stage"] == "hte" and data["stage_label"]
    assert data["readiness"]["hte"] == "ready" and data["readiness"]["hte_label"] == "符合"
    assert data["jurisdiction"] == {"code": "410502", "name": "文峰区"}
    assert "6222020000000000" not in response.content.decode() and "bank" not in response.content.decode()


def test_rewards_carry_their_lines_in_exact_yuan(city_api, ledger):
    reward = rows(city_api.get("rewards/", {"jurisdiction": "410502"}))[0]
    assert reward["amount"] == "300000.00" and reward["rule"] == "HTE_NEW"
    assert sorted((line["source"], line["amount"]) for line in reward["lines"]) == [
        ("city", "150000.00"),
        ("county", "150000.00"),
    ]
    assert Reward.objects.get(pk=reward["id"]).enterprise.credit_code == reward["credit_code"]


def test_figures_are_exact_yuan(city_api, ledger):
    found = rows(city_api.get("figures/", {"credit_code": ledger[0].credit_code, "year": 2025}))
    assert len(found) == 1 and Decimal(found[0]["sales_revenue"]) == Decimal("30000000.00")


def test_lists_page_with_a_cursor(city_api, db):
    for _ in range(5):
        EnterpriseFactory(jurisdiction=jurisdiction())
    first = json.loads(city_api.get("enterprises/", {"page_size": 2}).content)
    assert len(first["results"]) == 2 and first["next"]
    seen = [r["credit_code"] for r in first["results"]]
    url = first["next"]
    while url:
        page = json.loads(city_api.http.get(url, **city_api._headers({})).content)
        seen += [r["credit_code"] for r in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 5


def test_a_bad_filter_value_is_refused_per_field(city_api, db):
    response = city_api.get("enterprises/", {"stage": "nonsense", "hte_ready": "maybe"})
    data = json.loads(response.content)
    assert response.status_code == 400 and "stage" in data["errors"]
