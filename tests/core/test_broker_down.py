"""The broker (Redis) is down: starting a job is refused at once, nothing waits "pending", and e-mail
waits in the outbox until the broker is back, then goes out exactly once.

The Celery app is pointed at a closed port with in-process execution off (as in production), and put
back afterwards. The tests are transactional so that the services' commits, and their after-commit
publishing, happen inside the request as they do in production.
"""

import time

import pytest
from django.core import mail
from django.urls import reverse

from anyang_hte.celery import app as celery_app
from anyang_hte.core import jobs, outbox
from anyang_hte.core.models import EmailOutbox, ExportJob, Notification
from anyang_hte.core.roles import Role
from assessment.models import RollupRun
from incentives.models import Reward
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import RewardDocumentFactory, RewardWithLinesFactory

MESSAGE = "后台任务服务暂不可用，请稍后再试"
CLOSED_PORT = "redis://127.0.0.1:1/0"
FAST = 3.0  # seconds


def _reset_pools():
    """The next publish looks the connection pools up again for the broker now configured."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("task_always_eager", "broker_url")}
    conf.task_always_eager, conf.broker_url = False, CLOSED_PORT
    _reset_pools()
    try:
        yield
    finally:
        conf.update(saved)
        _reset_pools()


@pytest.fixture
def broker_back():
    """Undo ``broker_down`` in the middle of a test: in-process Celery again."""

    def back():
        celery_app.conf.task_always_eager = True
        _reset_pools()

    return back


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_publish_refuses_fast_with_the_message(transactional_db, broker_down):
    from anyang_hte.core.tasks import purge_exports

    started = time.monotonic()
    with pytest.raises(jobs.BrokerUnavailable) as refused:
        jobs.publish(purge_exports)
    assert time.monotonic() - started < FAST
    assert refused.value.message == MESSAGE


def test_starting_a_rollup_is_refused_at_once_and_leaves_no_pending_run(
    client, transactional_db, broker_down
):
    manager = UserFactory(username="bd_reviewer", role=Role.TECH_REVIEWER, jurisdiction=None)
    client.force_login(manager)
    response, seconds = _timed(
        lambda: client.post(reverse("assessment:rollup_start"), {"year": 2024}, follow=True)
    )
    assert seconds < FAST, seconds
    assert response.status_code == 200 and MESSAGE in response.content.decode()
    assert not RollupRun.objects.filter(status__in=["pending", "running"]).exists()
    # the attempt is kept, failed with the reason (and so are those the dashboard queued for the years
    # it shows without snapshots: the page still rendered)
    run = RollupRun.objects.filter(year=2024).order_by("pk").first()
    assert run.status == RollupRun.Status.FAILED and run.error == MESSAGE
    assert set(RollupRun.objects.values_list("status", flat=True)) == {RollupRun.Status.FAILED}
    # the htmx button gets the message in its status box
    response = client.post(reverse("assessment:rollup_start"), {"year": 2024}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and MESSAGE in response.content.decode()
    assert not RollupRun.objects.filter(status__in=["pending", "running"]).exists()


def test_starting_a_big_export_is_refused_at_once(client, transactional_db, broker_down, settings, _media):
    settings.EXPORT_INLINE_ROWS = 1
    county = UserFactory(username="bd_county", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410502"))
    for _ in range(3):
        EnterpriseFactory(jurisdiction=county.jurisdiction)
    client.force_login(county)
    url = reverse("enterprises:export", args=["xlsx"])
    response, seconds = _timed(lambda: client.post(url))
    assert seconds < FAST, seconds
    assert response.status_code == 200
    body = response.content.decode()
    assert MESSAGE in body and "开始生成" in body  # the same page, to try again later
    assert not ExportJob.objects.filter(status__in=["pending", "running"]).exists()
    assert ExportJob.objects.get().status == ExportJob.Status.FAILED


def test_a_submitted_reward_waits_in_the_outbox_and_is_mailed_once_the_broker_is_back(
    client, transactional_db, broker_down, broker_back, _media
):
    county = UserFactory(username="bd_wf", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410502"))
    reviewer = UserFactory(
        username="bd_rev", role=Role.TECH_REVIEWER, jurisdiction=None, email="reviewer@example.cn"
    )
    reward = RewardWithLinesFactory(
        enterprise=EnterpriseFactory(
            jurisdiction=county.jurisdiction, bank_name="中国银行", bank_account="6217000012345678"
        ),
        status=Reward.Status.GENERATED,
    )
    RewardDocumentFactory(reward=reward, kind="certificate")
    RewardDocumentFactory(reward=reward, kind="bank")
    client.force_login(county)

    url = reverse("incentives:reward_submit", args=[reward.pk])
    response, seconds = _timed(lambda: client.post(url, {"comment": "请审核"}))
    assert seconds < FAST, seconds
    assert response.status_code == 302  # submitted; the broker being down is not the county's problem
    reward.refresh_from_db()
    assert reward.status == Reward.Status.SUBMITTED
    told = Notification.objects.get(user=reviewer)
    waiting = EmailOutbox.objects.get()
    assert waiting.recipients == ["reviewer@example.cn"] and waiting.notification_id == told.pk
    assert waiting.sent_at is None and waiting.next_attempt_at is not None and mail.outbox == []
    assert told.emailed_at is None

    broker_back()
    assert outbox.outbox_sweep() == 1  # the sweeper (beat, every minute) sends what is due
    assert outbox.outbox_sweep() == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["reviewer@example.cn"]
    assert reward.enterprise.name in mail.outbox[0].subject
    waiting.refresh_from_db()
    told.refresh_from_db()
    assert waiting.sent_at and told.emailed_at


def test_an_invitation_waits_in_the_outbox_too(transactional_db, broker_down, broker_back):
    from firms import services as firm_services

    county = UserFactory(username="bd_inv", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410502"))
    enterprise = EnterpriseFactory(jurisdiction=county.jurisdiction)
    (link, seconds) = _timed(
        lambda: firm_services.firm_invite(
            enterprise=enterprise, username="bd_firm", email="f@example.cn", by=county
        )
    )
    assert seconds < FAST and link.user.username == "bd_firm"
    waiting = EmailOutbox.objects.get()
    assert waiting.recipients == ["f@example.cn"] and link.absolute_url in waiting.body and mail.outbox == []
    broker_back()
    assert outbox.outbox_sweep() == 1 and len(mail.outbox) == 1
    assert link.absolute_url in mail.outbox[0].body


def test_a_large_import_is_refused_at_once_and_its_preview_survives_a_refused_confirm(
    client, transactional_db, broker_down, broker_back, settings, _media
):
    from anyang_hte.core.models import ImportJob
    from tests.enterprises.test_import_jobs import firms, template_file

    settings.IMPORT_JOB_MIN_ROWS = 5
    county = UserFactory(username="imp_down", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410502"))
    client.force_login(county)
    response, took = _timed(
        lambda: client.post(
            reverse("enterprises:import"),
            {"file": template_file(firms(6)), "jurisdiction": county.jurisdiction_id},
            follow=True,
        )
    )
    assert took < FAST
    assert MESSAGE in response.content.decode()
    assert not ImportJob.objects.filter(status=ImportJob.Status.PENDING).exists()

    # the broker is back: the upload becomes a job and its preview is done; then it goes away again
    broker_back()
    client.post(
        reverse("enterprises:import"),
        {"file": template_file(firms(6)), "jurisdiction": county.jurisdiction_id},
    )
    job = ImportJob.objects.get(status=ImportJob.Status.DONE)
    assert job.result["can_apply"]
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = False, CLOSED_PORT
    _reset_pools()
    response, took = _timed(lambda: client.post(reverse("import_job_apply", args=[job.pk]), follow=True))
    assert took < FAST and MESSAGE in response.content.decode()
    job.refresh_from_db()
    assert (job.phase, job.status) == (ImportJob.Phase.PREVIEW, ImportJob.Status.DONE)  # confirm again later
