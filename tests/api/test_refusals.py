"""Each refusal of the API: a distinct status and code, a reason, Chinese by default, English on request."""

import datetime
import json

import pytest
from django.test import override_settings
from django.utils import timezone

from api.models import ApiClient

from .conftest import Api

pytestmark = pytest.mark.django_db


def body(response) -> dict:
    return json.loads(response.content)


def test_no_token_invalid_token_and_a_wrong_scheme_are_401(city_api, firms):
    anonymous = Api("")
    response = anonymous.get("enterprises/")
    assert response.status_code == 401 and body(response)["code"] == "token_missing"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = Api("not-a-token").get("enterprises/")
    assert response.status_code == 401 and body(response)["code"] == "token_invalid"
    response = city_api.get("enterprises/", HTTP_AUTHORIZATION=f"Token {city_api.token}")
    assert response.status_code == 401 and body(response)["code"] == "token_invalid"


def test_a_revoked_token_and_an_expired_token_each_say_so(city_api, make_api, firms):
    assert city_api.get("enterprises/").status_code == 200
    ApiClient.objects.filter(pk=city_api.model.pk).update(revoked_at=timezone.now())
    response = city_api.get("enterprises/")
    assert response.status_code == 401 and body(response)["code"] == "token_revoked"
    assert "吊销" in body(response)["detail"]
    city_api.language = "en"
    response = city_api.get("enterprises/")
    assert body(response)["code"] == "token_revoked" and "revoked" in body(response)["detail"]
    other = make_api("统计局")
    ApiClient.objects.filter(pk=other.model.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = other.get("enterprises/")
    assert response.status_code == 401 and body(response)["code"] == "token_expired"
    assert "过期" in body(response)["detail"]


def test_a_scope_the_client_does_not_hold_is_403(make_api, firms):
    reader = make_api("只读", scopes=["enterprises:read"])
    assert reader.get("enterprises/").status_code == 200
    response = reader.get("rewards/")
    assert response.status_code == 403 and body(response)["code"] == "scope_missing"
    assert "rewards:read" in body(response)["detail"]
    response = reader.post("certifications/", {"items": []})
    assert response.status_code == 403 and body(response)["code"] == "scope_missing"


def test_unknown_credit_code_is_404_and_another_countys_firm_403(wf_api, firms):
    wenfeng, linzhou = firms
    assert wf_api.get(f"enterprises/{wenfeng.credit_code}/").status_code == 200
    response = wf_api.get("enterprises/91410502MA00000000/")
    assert response.status_code == 404 and body(response)["code"] == "unknown_credit_code"
    response = wf_api.get(f"enterprises/{linzhou.credit_code}/")
    assert response.status_code == 403 and body(response)["code"] == "out_of_jurisdiction"
    assert linzhou.name not in response.content.decode()


def test_bad_input_is_refused_per_field_in_chinese_by_default_and_english_on_request(city_api, firms):
    payload = {
        "items": [{"credit_code": firms[0].credit_code, "kind": "nonsense", "granted_on": "2026-13-40"}]
    }
    response = city_api.post("certifications/", payload)
    data = body(response)
    assert response.status_code == 400 and data["code"] == "invalid"
    assert set(data["errors"]) == {"items.0.kind", "items.0.granted_on", "items.0.number"}
    assert data["errors"]["items.0.number"] == ["该字段是必填项。"]
    assert response.headers["Content-Language"] == "zh-hans"
    city_api.language = "en-US,en;q=0.9"
    response = city_api.post("certifications/", payload)
    data = body(response)
    assert data["errors"]["items.0.number"] == ["This field is required."]
    assert response.headers["Content-Language"] == "en"


def test_a_body_over_the_limit_is_413(city_api):
    with override_settings(API_MAX_BODY_BYTES=200):
        response = city_api.post("official-lists/", {"kind": "hte", "rows": [{"name": "x" * 300}]})
    assert response.status_code == 413 and body(response)["code"] == "payload_too_large"


def test_malformed_json_is_400(city_api):
    response = city_api.http.post(
        "/api/v1/certifications/", "{not json", content_type="application/json", **city_api._headers({})
    )
    assert response.status_code == 400 and body(response)["code"] == "parse_error"


def test_each_client_is_throttled_on_its_own(make_api, firms):
    first, second = make_api("甲"), make_api("乙")
    with override_settings(API_THROTTLE_RATE="2/minute"):
        assert first.get("enterprises/").status_code == 200
        assert first.get("enterprises/").status_code == 200
        response = first.get("enterprises/")
        assert response.status_code == 429 and body(response)["code"] == "throttled"
        assert int(response.headers["Retry-After"]) > 0
        assert second.get("enterprises/").status_code == 200
