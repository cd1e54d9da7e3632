import smtplib
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from anyang_hte.core import notifications as service
from anyang_hte.core import outbox
from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import EmailOutbox, Notification, User
from anyang_hte.core.roles import Role
from anyang_hte.core.tasks import send_outbox_emails
from incentives import notifications as incentives_notify
from incentives.models import FundingLine, FundingSource, Reward, RewardDecision, RewardRule
from tests.factories import QualificationFactory, UserFactory, jurisdiction

# ---- the service -------------------------------------------------------------------------------


def test_notify_creates_one_row_per_active_user_and_mails_after_commit(
    db, django_capture_on_commit_callbacks, settings
):
    settings.PORTAL_BASE_URL = "https://hte.example.cn/"
    a = UserFactory(username="n_a", email="a@example.cn")
    b = UserFactory(username="n_b", email="")  # no address: portal only
    gone = UserFactory(username="n_gone", email="gone@example.cn", is_active=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = service.notify(users=[a, b, a, gone], title="奖励申报待审核", body="请审核。", url="/x/")
        assert mail.outbox == []  # nothing before the commit
    assert len(callbacks) == 1
    assert sorted(n.user_id for n in created) == sorted([a.pk, b.pk])
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.cn"]
    assert message.subject == "[安阳高企培育平台] 奖励申报待审核"
    mine = Notification.objects.get(user=a)
    assert "请审核。" in message.body
    assert f"https://hte.example.cn/notifications/{mine.pk}/open/" in message.body
    assert mine.emailed_at is not None
    assert Notification.objects.get(user=b).emailed_at is None


def test_base_url_defaults_to_localhost(db, django_capture_on_commit_callbacks, settings):
    del settings.PORTAL_BASE_URL
    user = UserFactory(username="n_local", email="l@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        service.notify(users=[user], title="t")
    assert "http://127.0.0.1:8000/notifications/" in mail.outbox[0].body


def test_rolled_back_notify_sends_nothing(db, django_capture_on_commit_callbacks):
    user = UserFactory(username="n_rb", email="rb@example.cn")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            service.notify(users=[user], title="t")
            raise RuntimeError
    assert callbacks == [] and mail.outbox == []
    assert not Notification.objects.exists()


def test_no_users_no_rows_no_task(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert service.notify(users=[], title="t") == []
    assert callbacks == []


def test_a_sent_message_is_not_sent_again(db, django_capture_on_commit_callbacks):
    user = UserFactory(username="n_twice", email="t@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        service.notify(users=[user], title="t")
    row = EmailOutbox.objects.get()
    assert row.sent_at and row.attempts == 1 and row.next_attempt_at is None
    assert send_outbox_emails([row.pk]) == 0 and outbox.outbox_sweep() == 0
    assert len(mail.outbox) == 1


def test_a_failed_send_waits_and_the_sweeper_sends_it_once(db, django_capture_on_commit_callbacks):
    user = UserFactory(username="n_retry", email="r@example.cn")
    real_send = outbox.send_mail
    calls = []

    def flaky(subject, *args, **kwargs):
        calls.append(subject)
        if "two" in subject and calls.count(subject) == 1:
            raise smtplib.SMTPRecipientsRefused({"r@example.cn": (450, b"try later")})
        return real_send(subject, *args, **kwargs)

    with mock.patch.object(outbox, "send_mail", side_effect=flaky):
        with django_capture_on_commit_callbacks(execute=True):
            service.notify_many([service.Message(users=[user], title=t) for t in ("one", "two", "three")])
        assert [m.subject for m in mail.outbox] == ["[安阳高企培育平台] one", "[安阳高企培育平台] three"]
        two = EmailOutbox.objects.get(subject__endswith="two")
        assert two.sent_at is None and two.attempts == 1 and "SMTPRecipientsRefused" in two.last_error
        assert outbox.outbox_sweep() == 0  # not due yet: it waits a minute
        later = two.next_attempt_at - timedelta(minutes=2)
        EmailOutbox.objects.filter(pk=two.pk).update(next_attempt_at=later)
        assert outbox.outbox_sweep() == 1
        assert outbox.outbox_sweep() == 0
    assert [m.subject for m in mail.outbox][-1] == "[安阳高企培育平台] two" and len(mail.outbox) == 3
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_a_mail_server_that_is_down_does_not_undo_or_break_the_callers_change(
    db, django_capture_on_commit_callbacks
):
    user = UserFactory(username="n_down", email="d@example.cn")
    other = UserFactory(username="n_down2", email="d2@example.cn")
    with mock.patch.object(outbox, "send_mail", side_effect=smtplib.SMTPConnectError(421, "down")):
        with django_capture_on_commit_callbacks(execute=True):
            service.notify(users=[user, other], title="t")
    n = Notification.objects.get(user=user)
    assert n.emailed_at is None and mail.outbox == []  # kept in the outbox, shown in the portal
    rows = EmailOutbox.objects.order_by("pk")
    assert [r.sent_at for r in rows] == [None, None] and all(r.next_attempt_at for r in rows)
    assert [r.attempts for r in rows] == [1, 0]  # the server was down: the second was not even tried
    EmailOutbox.objects.update(next_attempt_at=timezone.now())
    assert outbox.outbox_sweep() == 2 and len(mail.outbox) == 2


def test_a_message_is_given_up_after_the_last_attempt(db, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    row = outbox.outbox_add(recipients=["x@example.cn"], subject="s", body="b")
    with mock.patch.object(outbox, "send_mail", side_effect=ValueError("bad header")):
        for _attempt in range(2):
            EmailOutbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
            assert outbox.outbox_send() == 0
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at is None and row.sent_at is None
    assert row.state == "已放弃" and "bad header" in row.last_error


def test_two_senders_never_send_the_same_row(db):
    outbox.outbox_add(recipients=["x@example.cn"], subject="s", body="b")
    first, lease = outbox._claim(None, 10)
    second, _lease = outbox._claim(None, 10)
    assert len(first) == 1 and second == []  # the first sender holds it until its lease ends
    assert outbox.outbox_send() == 0 and mail.outbox == []


def test_sent_mail_is_purged_after_a_week(db):
    kept = outbox.outbox_add(recipients=["x@example.cn"], subject="s", body="b")
    old = outbox.outbox_add(recipients=["y@example.cn"], subject="s", body="b")
    EmailOutbox.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=8))
    assert outbox.outbox_purge() == 1
    assert list(EmailOutbox.objects.values_list("pk", flat=True)) == [kept.pk]


def test_mark_read_is_the_owners_only(db):
    owner = UserFactory(username="n_owner")
    other = UserFactory(username="n_other")
    n = Notification.objects.create(user=owner, title="t")
    with pytest.raises(DomainError):
        service.notification_mark_read(notification=n, by=other)
    service.notification_mark_read(notification=n, by=owner)
    n.refresh_from_db()
    assert n.read_at is not None
    Notification.objects.create(user=owner, title="t2")
    Notification.objects.create(user=other, title="t3")
    assert service.notifications_mark_all_read(by=owner) == 1
    assert Notification.objects.filter(user=other, read_at__isnull=True).count() == 1


# ---- who is told what (incentives) -------------------------------------------------------------


def _reward(code="410502", status=Reward.Status.SUBMITTED) -> Reward:
    q = QualificationFactory(
        enterprise__jurisdiction=jurisdiction(code), enterprise__name=f"安阳测试{code}公司"
    )
    rule = RewardRule.objects.get(code="HTE_NEW")
    return Reward.objects.create(
        enterprise=q.enterprise,
        jurisdiction=q.enterprise.jurisdiction,
        rule=rule,
        qualification=q,
        amount=rule.total_amount,
        status=status,
    )


def _lines(reward, status=FundingLine.Status.APPROVED):
    return [
        FundingLine.objects.create(
            reward=reward,
            source=FundingSource.CITY,
            jurisdiction=reward.jurisdiction,
            amount=Decimal("150000"),
        ),
        FundingLine.objects.create(
            reward=reward,
            source=FundingSource.COUNTY,
            jurisdiction=reward.jurisdiction,
            amount=Decimal("150000"),
            status=status,
        ),
    ]


@pytest.fixture
def people(db):
    return {
        "reviewer": UserFactory(username="p_rev", role=Role.TECH_REVIEWER, jurisdiction=None),
        "reviewer_off": UserFactory(
            username="p_rev_off", role=Role.TECH_REVIEWER, jurisdiction=None, is_active=False
        ),
        "county": UserFactory(
            username="p_wf", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410502")
        ),
        "county_lz": UserFactory(
            username="p_lz", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction("410581")
        ),
        "city_fin": UserFactory(username="p_cfin", role=Role.CITY_FINANCE, jurisdiction=None),
        "county_fin": UserFactory(
            username="p_wffin", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction("410502")
        ),
        "county_fin_lz": UserFactory(
            username="p_lzfin", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction("410581")
        ),
    }


def _told(notifications):
    return sorted(n.user.username for n in notifications)


def test_submitted_tells_the_active_reviewers(people):
    reward = _reward()
    told = incentives_notify.notify_submitted(reward)
    assert _told(told) == ["p_rev"]
    assert reward.enterprise.name in told[0].title
    assert "30.00万元" in told[0].body


@pytest.mark.parametrize(
    ("fn", "status", "word"),
    [
        (incentives_notify.notify_returned, Reward.Status.RETURNED, "退回"),
        (incentives_notify.notify_approved, Reward.Status.APPROVED, "批准"),
        (incentives_notify.notify_rejected, Reward.Status.REJECTED, "不予奖励"),
    ],
)
def test_decisions_tell_the_rewards_county_only_with_the_latest_comment(people, fn, status, word):
    reward = _reward()
    RewardDecision.objects.create(
        reward=reward, from_status="submitted", to_status=status, by=people["reviewer"], comment="旧意见"
    )
    RewardDecision.objects.create(
        reward=reward,
        from_status="submitted",
        to_status=status,
        by=people["reviewer"],
        comment="缺少证书扫描件",
    )
    told = fn(reward)
    assert _told(told) == ["p_wf"]  # not Linzhou's official, not reviewers, not finance
    assert word in told[0].title
    assert "缺少证书扫描件" in told[0].body and "旧意见" not in told[0].body
    url = incentives_notify._url("incentives:reward_detail", reward.pk)
    assert told[0].url == url  # "" until the reward pages exist


def test_paid_tells_each_rewards_county_once_with_the_shares(people):
    wf, lz = _reward(), _reward("410581")
    wf_lines, lz_lines = _lines(wf), _lines(lz)
    told = incentives_notify.notify_paid(wf_lines + lz_lines[:1])
    assert _told(told) == ["p_lz", "p_wf"]
    by_user = {n.user.username: n for n in told}
    assert "市级财政 15.00万元" in by_user["p_wf"].body and "县区财政 15.00万元" in by_user["p_wf"].body
    assert "市级财政 15.00万元" in by_user["p_lz"].body and "县区财政" not in by_user["p_lz"].body


def test_lines_ready_go_to_city_or_county_finance(people, django_capture_on_commit_callbacks):
    wf, lz = _reward(), _reward("410581")
    lines = _lines(wf) + _lines(lz)
    User.objects.filter(username__in=["p_cfin", "p_wffin", "p_lzfin"]).update(email="fin@example.cn")
    with django_capture_on_commit_callbacks() as callbacks:
        told = incentives_notify.notify_lines_ready(FundingLine.objects.filter(pk__in=[x.pk for x in lines]))
    assert len(callbacks) == 1  # one outbox insert and one e-mail task for all messages
    assert EmailOutbox.objects.count() == 3
    by_user = {n.user.username: n for n in told}
    assert sorted(by_user) == ["p_cfin", "p_lzfin", "p_wffin"]
    assert by_user["p_cfin"].title == "2笔资金待编入拨付批次，共30.00万元"
    assert by_user["p_wffin"].title == "1笔资金待编入拨付批次，共15.00万元"
    assert wf.enterprise.name in by_user["p_wffin"].body and lz.enterprise.name not in by_user["p_wffin"].body
    assert by_user["p_lzfin"].title == "1笔资金待编入拨付批次，共15.00万元"


def test_wan_has_two_decimals():
    assert incentives_notify.wan(Decimal("150000")) == "15.00"
    assert incentives_notify.wan(Decimal("12345.67")) == "1.23"
    assert incentives_notify._url("no-such-page") == ""


# ---- pages -------------------------------------------------------------------------------------


@pytest.fixture
def inbox(county_official, other_county_official):
    mine = [
        Notification.objects.create(user=county_official, title=f"我的消息{i}", url="/ledger/")
        for i in range(3)
    ]
    theirs = Notification.objects.create(user=other_county_official, title="别人的消息")
    return mine, theirs


def test_header_shows_the_unread_count(client, county_official, inbox):
    client.force_login(county_official)
    page = client.get(reverse("enterprises:list")).content.decode()
    assert 'data-testid="notification-bell"' in page and reverse("notification_list") in page
    assert 'data-testid="unread-count">3<' in page
    Notification.objects.filter(user=county_official).update(read_at="2026-01-01T00:00:00+08:00")
    page = client.get(reverse("enterprises:list")).content.decode()
    assert 'data-testid="unread-count"' not in page and 'data-testid="whoami"' in page


def test_list_shows_only_own_notifications_newest_first(client, county_official, inbox):
    client.force_login(county_official)
    page = client.get(reverse("notification_list")).content.decode()
    assert "我的消息0" in page and "别人的消息" not in page
    assert page.index("我的消息2") < page.index("我的消息0")
    assert page.count("fw-bold") >= 3


def test_open_marks_read_and_goes_on(client, county_official, inbox):
    mine, _theirs = inbox
    client.force_login(county_official)
    response = client.get(reverse("notification_open", args=[mine[0].pk]))
    assert response.status_code == 302 and response["Location"] == "/ledger/"
    mine[0].refresh_from_db()
    assert mine[0].read_at is not None
    assert client.post(reverse("notification_open", args=[mine[1].pk]))["Location"] == "/ledger/"


def test_open_without_a_safe_link_goes_to_the_list(client, county_official):
    n = Notification.objects.create(user=county_official, title="t", url="https://evil.example.com/")
    client.force_login(county_official)
    response = client.get(reverse("notification_open", args=[n.pk]))
    assert response["Location"] == reverse("notification_list")


def test_another_users_notification_is_404(client, county_official, inbox):
    _mine, theirs = inbox
    client.force_login(county_official)
    assert client.get(reverse("notification_open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notification_open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_is_post_only_and_own_only(client, county_official, inbox):
    _mine, theirs = inbox
    client.force_login(county_official)
    assert client.get(reverse("notifications_read_all")).status_code == 405
    response = client.post(reverse("notifications_read_all"), follow=True)
    assert "已将 3 条消息标为已读" in response.content.decode()
    assert not Notification.objects.filter(user=county_official, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_list_is_paginated_by_50(client, county_official):
    Notification.objects.bulk_create(Notification(user=county_official, title=f"m{i}") for i in range(55))
    client.force_login(county_official)
    first = client.get(reverse("notification_list")).content.decode()
    assert first.count('data-testid="notification-row"') == 50
    second = client.get(reverse("notification_list"), {"page": 2}).content.decode()
    assert second.count('data-testid="notification-row"') == 5


def test_the_admin_lists_the_outbox_read_only_without_the_text(admin_client):
    waiting = outbox.outbox_add(
        recipients=["x@example.cn"], subject="企业账户开通", body="秘密链接 /set/abc/"
    )
    EmailOutbox.objects.filter(pk=waiting.pk).update(attempts=3, last_error="SMTPConnectError: down")
    listing = admin_client.get(reverse("admin:core_emailoutbox_changelist")).content.decode()
    assert "企业账户开通" in listing and "x@example.cn" in listing and "待发送" in listing
    detail = admin_client.get(reverse("admin:core_emailoutbox_change", args=[waiting.pk])).content.decode()
    assert "SMTPConnectError: down" in detail and "秘密链接" not in detail
    assert admin_client.post(reverse("admin:core_emailoutbox_changelist"), {}).status_code == 403
    assert EmailOutbox.objects.count() == 1
