"""The writes: through the services, all or nothing, idempotent where the issue asks, audited with the
client's name."""

import datetime
import json

import pytest

from anyang_hte.core.dates import today
from anyang_hte.core.models import AuditLog
from enterprises.models import FirmSubmission, Qualification
from enterprises.services.submissions import submission_accept
from enterprises.submission_diff import diff
from incentives.models import OfficialList, Reward
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GRANTED = today() - datetime.timedelta(days=10)


def body(response) -> dict:
    return json.loads(response.content)


def cert(firm, number="GR202641000001", **extra):
    return {
        "credit_code": firm.credit_code,
        "kind": "hte",
        "granted_on": GRANTED.isoformat(),
        "number": number,
    } | extra


def test_recording_a_certification_twice_changes_nothing_the_second_time(city_api, firms):
    payload = {"items": [cert(firms[0]), cert(firms[1], "GR202641000002")]}
    first = city_api.post("certifications/", payload)
    assert first.status_code == 201 and body(first)["created"] == 2
    assert Reward.objects.count() == 2  # the reward engine ran, as for the page and the import
    again = city_api.post("certifications/", payload)
    assert again.status_code == 200
    assert body(again)["created"] == 0 and body(again)["unchanged"] == 2
    assert {r["status"] for r in body(again)["results"]} == {"unchanged"}
    assert Qualification.objects.count() == 2 and Reward.objects.count() == 2
    entry = AuditLog.objects.filter(action="enterprises.qualification.recorded").first()
    assert entry.user is None and entry.data["api_client"] == "省科技厅"


def test_a_different_certificate_number_for_the_same_grant_is_a_conflict(city_api, firms):
    assert city_api.post("certifications/", {"items": [cert(firms[0])]}).status_code == 201
    response = city_api.post("certifications/", {"items": [cert(firms[0], "GR-OTHER")]})
    assert response.status_code == 409 and body(response)["code"] == "conflict"
    assert Qualification.objects.get().number == "GR202641000001"


def test_one_bad_item_writes_nothing(city_api, firms):
    payload = {"items": [cert(firms[0]), cert(firms[1], credit_code="91410502MA00000000")]}
    response = city_api.post("certifications/", payload)
    assert response.status_code == 404 and body(response)["code"] == "unknown_credit_code"
    assert not Qualification.objects.exists() and not Reward.objects.exists()
    future = (today() + datetime.timedelta(days=3)).isoformat()
    response = city_api.post(
        "certifications/", {"items": [cert(firms[0]), cert(firms[1], granted_on=future)]}
    )
    assert response.status_code == 400 and body(response)["code"] == "refused"
    assert list(body(response)["errors"]) == ["items.1.granted_on"]
    assert not Qualification.objects.exists()


def test_a_county_client_cannot_certify_another_countys_firm(wf_api, firms):
    response = wf_api.post("certifications/", {"items": [cert(firms[1])]})
    assert response.status_code == 403 and body(response)["code"] == "out_of_jurisdiction"
    assert not Qualification.objects.exists()


def figures(**overrides):
    return {
        "year": today().year - 1,
        "sales_revenue": "30000000.00",
        "total_income": "31000000",
        "rd_expense": "1800000.55",
        "rd_expense_domestic": "1800000",
        "staff_count": "100",
        "st_staff_count": "20.5",
    } | overrides


def test_figures_arrive_as_a_submission_the_county_confirms(wf_api, firms):
    wenfeng, linzhou = firms
    response = wf_api.post(f"enterprises/{wenfeng.credit_code}/figures/", figures())
    assert response.status_code == 201, response.content
    submission = FirmSubmission.objects.get(pk=body(response)["submission"])
    assert submission.status == FirmSubmission.Status.SUBMITTED and submission.enterprise == wenfeng
    assert AuditLog.objects.filter(
        action="enterprises.submission.delivered", data__api_client="文峰区税务"
    ).exists()
    official = UserFactory(role="county_official")
    submission_accept(submission=submission, by=official, seen=diff(submission).seen)
    figures_row = wenfeng.figures.get(year=submission.year)
    assert str(figures_row.sales_revenue) == "30000000.00"
    assert str(figures_row.rd_expense) == "1800000.55"  # to the fen, through the 万元 of the submission
    response = wf_api.post(f"enterprises/{linzhou.credit_code}/figures/", figures())
    assert response.status_code == 403 and body(response)["code"] == "out_of_jurisdiction"


def test_bad_figures_are_refused_per_field_and_nothing_is_stored(wf_api, firms):
    response = wf_api.post(
        f"enterprises/{firms[0].credit_code}/figures/", figures(staff_count="10", st_staff_count="20")
    )
    assert response.status_code == 400 and "st_staff_count" in body(response)["errors"]
    response = wf_api.post(f"enterprises/{firms[0].credit_code}/figures/", figures(year="next"))
    assert response.status_code == 400 and "year" in body(response)["errors"]
    assert not FirmSubmission.objects.exists()


def test_an_official_list_dry_run_writes_nothing_then_the_list_is_imported_once(city_api, firms):
    payload = {
        "kind": "hte",
        "granted_on": GRANTED.isoformat(),
        "title": "2026年第一批高新技术企业名单",
        "dry_run": True,
        "rows": [
            {"name": firms[0].name, "credit_code": firms[0].credit_code.lower(), "certificate_number": "GR1"},
            {"name": "外地某公司", "credit_code": "", "certificate_number": "GR2"},
        ],
    }
    dry = city_api.post("official-lists/", payload)
    assert dry.status_code == 200 and body(dry)["dry_run"] is True
    assert body(dry)["matched"] == 1 and body(dry)["unmatched"] == 1 and body(dry)["new_rewards"] == 1
    assert not OfficialList.objects.exists() and not Qualification.objects.exists()
    real = city_api.post("official-lists/", payload | {"dry_run": False})
    assert real.status_code == 201 and body(real)["new_qualifications"] == 1
    again = city_api.post("official-lists/", payload | {"dry_run": False})
    assert again.status_code == 200 and body(again)["already_imported"] is True
    assert OfficialList.objects.count() == 1 and Qualification.objects.count() == 1


def test_an_official_list_needs_a_city_client(make_api, firms):
    county = make_api("县区", code="410502", scopes=["enterprises:read"])
    response = county.post(
        "official-lists/", {"kind": "hte", "granted_on": GRANTED.isoformat(), "rows": [{}]}
    )
    assert response.status_code == 403 and body(response)["code"] == "scope_missing"
