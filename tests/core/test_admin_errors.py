"""Production's error e-mails: a 500 and a failed task reach the administrators; no session cookie leaks."""

import importlib
import sys

import pytest
from celery import shared_task
from django.core import mail
from django.test import Client
from django.urls import path
from django.utils.log import configure_logging

import anyang_hte.urls
from anyang_hte.core.roles import Role
from tests.conftest import PortalClient
from tests.factories import UserFactory

PRODUCTION = "anyang_hte.settings.production"


def boom(request):
    raise RuntimeError("something broke in a page")


# This module is the URL conf of its tests: the portal's pages plus one that fails.
urlpatterns = [path("boom/", boom), *anyang_hte.urls.urlpatterns]


@shared_task
def failing_task(enterprise_id):
    raise ValueError(f"enterprise {enterprise_id} could not be processed")


@pytest.fixture
def production_logging(settings, monkeypatch):
    """The production settings module's ADMINS, e-mail settings and LOGGING, with its environment."""
    monkeypatch.setenv("SECRET_KEY", "p" * 50)
    monkeypatch.setenv("ALLOWED_HOSTS", "testserver")
    monkeypatch.setenv("PORTAL_ADMINS", "张三 <zhangsan@kjj.anyang.gov.cn>, 李四 <lisi@kjj.anyang.gov.cn>")
    monkeypatch.setenv("SERVER_EMAIL", "portal-errors@hte.anyang.gov.cn")
    sys.modules.pop(PRODUCTION, None)
    production = importlib.import_module(PRODUCTION)
    sys.modules.pop(PRODUCTION, None)
    for name in ("ADMINS", "SERVER_EMAIL", "EMAIL_SUBJECT_PREFIX"):
        setattr(settings, name, getattr(production, name))
    settings.ROOT_URLCONF = __name__
    configure_logging(settings.LOGGING_CONFIG, production.LOGGING)
    yield production
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


def test_admins_come_from_the_environment(production_logging):
    assert production_logging.ADMINS == [
        ("张三", "zhangsan@kjj.anyang.gov.cn"),
        ("李四", "lisi@kjj.anyang.gov.cn"),
    ]
    assert production_logging.SERVER_EMAIL == "portal-errors@hte.anyang.gov.cn"


@pytest.mark.django_db
def test_a_500_mails_the_administrators_without_the_session_cookie(production_logging):
    client = PortalClient(raise_request_exception=False)  # force_login passes the second factor too
    client.force_login(UserFactory(role=Role.TECH_REVIEWER, jurisdiction=None))
    client.get("/healthz")
    session_id = client.cookies["sessionid"].value
    client.cookies["csrftoken"] = "c" * 32
    client.cookies["remember-cookie_1"] = "r" * 40  # a two-factor "remember this browser" cookie
    response = client.get("/boom/?page=2")
    assert response.status_code == 500
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["zhangsan@kjj.anyang.gov.cn", "lisi@kjj.anyang.gov.cn"]
    assert message.from_email == "portal-errors@hte.anyang.gov.cn"
    assert message.subject.startswith("[安阳高企平台] ERROR")
    assert "Internal Server Error: /boom/" in message.subject
    assert "RuntimeError" in message.body and "something broke in a page" in message.body
    assert not message.alternatives  # no HTML page with the request and settings
    assert session_id not in message.body
    assert "c" * 32 not in message.body  # the CSRF secret
    assert "r" * 40 not in message.body
    assert "sessionid" in message.body  # the cookie is named, its value hidden


@pytest.mark.django_db
def test_a_failing_health_check_sends_no_mail(production_logging, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a worker is expected, and none has beaten
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert mail.outbox == []


def test_a_failed_task_mails_the_administrators(production_logging):
    result = failing_task.apply(args=[42], throw=False)
    assert result.failed()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("[安阳高企平台] ERROR")
    assert "enterprise 42 could not be processed" in mail.outbox[0].body


def test_not_found_pages_send_no_mail(production_logging, client, db):
    client.force_login(UserFactory(role=Role.TECH_REVIEWER, jurisdiction=None))
    assert client.get("/no-such-page/").status_code == 404
    assert mail.outbox == []


def test_a_refused_host_header_sends_no_mail(production_logging, settings, db):
    settings.ALLOWED_HOSTS = ["hte.example"]
    response = Client(raise_request_exception=False).get("/healthz", HTTP_HOST="10.0.0.9")
    assert response.status_code == 400  # a port scan or a probe by IP address
    assert mail.outbox == []
