"""schemathesis against the API's own OpenAPI schema: every operation, with examples the schema allows
and examples it does not, must answer without a server error and with what the schema says (its status
codes, its content type, its bodies). A small ledger with two counties' firms, rewards and a round."""

import datetime
import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from anyang_hte.core.roles import SystemActor
from api.services import api_client_create
from enterprises.services import qualification_record
from tests.factories import EnterpriseFactory, FiguresFactory, jurisdiction, make_credit_code

from .conftest import ALL_SCOPES

raw = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
schema = schemathesis.openapi.from_dict(raw)
schema.app = get_wsgi_application()

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def token(db):
    """An all-scopes city client over a small ledger; the WSGI app shares the test's transaction (as the
    test client does, the request signals do not close the connection)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        for n, code in enumerate(("410502", "410581")):
            firm = EnterpriseFactory(
                credit_code=make_credit_code(8000 + n, code), jurisdiction=jurisdiction(code)
            )
            FiguresFactory(enterprise=firm, year=2025)
            qualification_record(
                enterprise=firm, kind="hte", granted_on=datetime.date(2025, 11, 20), by=SystemActor("test")
            )
        _client, secret = api_client_create(
            name="schemathesis", scopes=ALL_SCOPES, city_wide=True, by=SystemActor("test")
        )
        yield secret
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
    database=None,
)
def test_the_api_keeps_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
