import pytest
from django.core.cache import cache
from django.test import Client

from anyang_hte.core.roles import SystemActor
from api.services import api_client_create
from tests.factories import EnterpriseFactory, jurisdiction, make_credit_code

ALL_SCOPES = [
    "enterprises:read",
    "figures:read",
    "qualifications:read",
    "rewards:read",
    "indicators:read",
    "rounds:read",
    "certifications:write",
    "figures:submit",
    "official_lists:write",
]
COUNTY_SCOPES = [s for s in ALL_SCOPES if s != "official_lists:write"]


class Api:
    """A client of /api/v1/ holding one token (and the language it asks for)."""

    def __init__(self, token: str, language: str = ""):
        self.token, self.language, self.http = token, language, Client()

    def _headers(self, extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        if self.language:
            headers["HTTP_ACCEPT_LANGUAGE"] = self.language
        return headers | extra

    def get(self, path, data=None, **extra):
        return self.http.get(f"/api/v1/{path}", data, **self._headers(extra))

    def post(self, path, payload, **extra):
        return self.http.post(
            f"/api/v1/{path}", payload, content_type="application/json", **self._headers(extra)
        )


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_api(db):
    def make(name="省科技厅", *, scopes=None, code=None, days=365, language=""):
        client, token = api_client_create(
            name=name,
            scopes=scopes or (ALL_SCOPES if code is None else COUNTY_SCOPES),
            city_wide=code is None,
            jurisdiction=jurisdiction(code) if code else None,
            days=days,
            by=SystemActor("test"),
        )
        api = Api(token, language)
        api.model = client
        return api

    return make


@pytest.fixture
def city_api(make_api):
    return make_api()


@pytest.fixture
def wf_api(make_api):
    """A client of 文峰区 (410502)."""
    return make_api("文峰区税务", code="410502")


@pytest.fixture
def firms(db):
    """One firm in 文峰区 and one in 林州市."""
    return (
        EnterpriseFactory(
            name="文峰测试科技有限公司", credit_code=make_credit_code(7001), jurisdiction=jurisdiction()
        ),
        EnterpriseFactory(
            name="林州测试科技有限公司",
            credit_code=make_credit_code(7002, "410581"),
            jurisdiction=jurisdiction("410581"),
        ),
    )
