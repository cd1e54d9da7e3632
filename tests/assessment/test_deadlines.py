"""Overdue items: the flags and filters in the queues, the dashboard's counts and links, the scope, and
the daily reminder (once a day per owner, never after the item is done)."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from anyang_hte.core.dates import today as portal_today
from anyang_hte.core.models import DeadlineReminder, Notification
from anyang_hte.core.roles import Role, SystemActor
from assessment.services import deadline_reminders_send
from enterprises.models import FirmSubmission, SubmissionKind
from incentives import services as incentives
from incentives.models import FundingLine, PayoutBatch, Reward
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import RewardDocumentFactory, RewardWithLinesFactory, fund_generously

pytestmark = pytest.mark.django_db
WF, LZ = "410502", "410581"
LONG_AGO = datetime.timedelta(days=60)  # over any limit, whatever holidays lie between


def _reward(code, status, *, ago=LONG_AGO, name=None):
    enterprise = EnterpriseFactory(
        jurisdiction=jurisdiction(code),
        bank_name="中国银行",
        bank_account="6217000012345678",
        **({"name": name} if name else {}),
    )
    at = timezone.now() - ago
    fields = {"submitted_at": at} if status != Reward.Status.GENERATED else {}
    if status == Reward.Status.APPROVED:
        fields |= {"approved_at": at}
    reward = RewardWithLinesFactory(enterprise=enterprise, status=status, **fields)
    Reward.objects.filter(pk=reward.pk).update(created_at=at)
    return reward


def _submission(code, *, ago=LONG_AGO):
    return FirmSubmission.objects.create(
        enterprise=EnterpriseFactory(jurisdiction=jurisdiction(code)),
        kind=SubmissionKind.PROFILE,
        status=FirmSubmission.Status.SUBMITTED,
        submitted_at=timezone.now() - ago,
    )


@pytest.fixture
def finance_city(db):
    return UserFactory(username="finance_city", role=Role.CITY_FINANCE, jurisdiction=None, email="fc@x.cn")


@pytest.fixture
def finance_wf(db):
    return UserFactory(username="finance_wf", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction(WF))


# --- the queues --------------------------------------------------------------------------------


def test_the_review_queue_flags_and_filters_overdue_rewards(client, reviewer):
    late = _reward(WF, Reward.Status.SUBMITTED, name="超期待审企业")
    fresh = _reward(WF, Reward.Status.SUBMITTED, ago=datetime.timedelta(0), name="新近提交企业")
    client.force_login(reviewer)
    page = client.get(reverse("incentives:reward_list"), {"status": "submitted"}).content.decode()
    assert "已超期" in page and "个工作日" in page and "剩余 10 个工作日" in page
    assert late.enterprise.name in page and fresh.enterprise.name in page
    only = client.get(reverse("incentives:reward_list"), {"status": "submitted", "overdue": "review"})
    text = only.content.decode()
    assert late.enterprise.name in text and fresh.enterprise.name not in text
    assert "只看超期" in text  # the filter is offered


def test_the_overdue_filter_takes_each_step_by_its_own_clock(client, reviewer):
    generated = _reward(WF, Reward.Status.GENERATED, name="未申报企业")
    approved = _reward(WF, Reward.Status.APPROVED, name="未拨付企业")
    submitted = _reward(WF, Reward.Status.SUBMITTED, name="未审核企业")
    client.force_login(reviewer)

    def names(value):
        page = client.get(reverse("incentives:reward_list"), {"overdue": value}).content.decode()
        return {r.enterprise.name for r in (generated, approved, submitted) if r.enterprise.name in page}

    assert names("submit") == {"未申报企业"}
    assert names("payment") == {"未拨付企业"}
    assert names("any") == {"未申报企业", "未拨付企业", "未审核企业"}


def test_a_returned_reward_counts_from_its_return(client, reviewer, county_official):
    reward = _reward(WF, Reward.Status.SUBMITTED, name="退回企业")
    incentives.reward_return(reward=reward, by=reviewer, reason="缺少银行账户确认书")
    client.force_login(county_official)
    page = client.get(reverse("incentives:reward_list"), {"overdue": "submit"}).content.decode()
    assert "退回企业" not in page  # returned today: 20 working days to resubmit
    assert "剩余 20 个工作日" in client.get(reverse("incentives:reward_list")).content.decode()


def test_the_finance_line_queue_flags_filters_and_batches_only_overdue_lines(client, finance_city):
    fund_generously()  # the 专项经费 recorded: batching is held to it
    late = _reward(WF, Reward.Status.APPROVED, name="超期拨付企业")
    fresh = _reward(WF, Reward.Status.APPROVED, ago=datetime.timedelta(days=2), name="新近批准企业")
    client.force_login(finance_city)
    page = client.get(reverse("incentives:line_list")).content.decode()
    assert "已超期" in page and "天" in page and "剩余 28 天" in page
    only = client.get(reverse("incentives:line_list"), {"overdue": "1"}).content.decode()
    assert late.enterprise.name in only and fresh.enterprise.name not in only
    client.post(reverse("incentives:batch_create"), {"name": "超期批次", "overdue": "1"})
    batch = PayoutBatch.objects.get(name="超期批次")
    assert list(batch.lines.values_list("reward_id", flat=True)) == [late.pk]


def test_the_county_submission_queue_flags_and_filters_its_own_overdue_submissions(
    client, county_official, other_county_official
):
    late, fresh = _submission(WF), _submission(WF, ago=datetime.timedelta(0))
    other = _submission(LZ)
    client.force_login(county_official)
    url = reverse("enterprises:submissions")
    page = client.get(url, {"status": "submitted"}).content.decode()
    assert "已超期" in page and "剩余 5 个工作日" in page
    only = client.get(url, {"status": "submitted", "overdue": "1"}).content.decode()
    assert late.enterprise.name in only and fresh.enterprise.name not in only
    assert other.enterprise.name not in only  # another county's submission is not this queue's
    client.force_login(other_county_official)
    assert late.enterprise.name not in client.get(url, {"overdue": "1"}).content.decode()


# --- the dashboard -----------------------------------------------------------------------------


def test_the_dashboard_counts_overdue_items_per_kind_and_county_with_links(client, reviewer):
    _reward(WF, Reward.Status.SUBMITTED)
    _reward(WF, Reward.Status.SUBMITTED)
    _reward(LZ, Reward.Status.GENERATED)
    _reward(LZ, Reward.Status.SUBMITTED, ago=datetime.timedelta(0))  # not overdue
    _submission(LZ)
    client.force_login(reviewer)
    page = client.get(reverse("assessment:dashboard")).content.decode()
    wf, lz = jurisdiction(WF), jurisdiction(LZ)
    review_url = (
        reverse("incentives:reward_list") + f"?status=submitted&amp;overdue=review&amp;jurisdiction={wf.pk}"
    )
    assert f'href="{review_url}" data-testid="overdue-{WF}-review">2</a>' in page
    submit_url = reverse("incentives:reward_list") + f"?overdue=submit&amp;jurisdiction={lz.pk}"
    assert f'href="{submit_url}" data-testid="overdue-{LZ}-submit">1</a>' in page
    # the reviewer cannot open the county's submission queue: the number without a link
    assert f'data-testid="overdue-{LZ}-confirm" class="text-danger">1</span>' in page
    assert 'data-testid="overdue-total-review">2</a>' in page
    # the link opens exactly the counted rewards
    listed = client.get(
        reverse("incentives:reward_list"), {"status": "submitted", "overdue": "review", "jurisdiction": wf.pk}
    )
    assert listed.context["totals"]["n"] == 2


def test_a_county_sees_only_its_own_overdue_items(client, county_official):
    _reward(WF, Reward.Status.GENERATED)
    _reward(LZ, Reward.Status.GENERATED)
    _reward(LZ, Reward.Status.GENERATED)
    _submission(WF)
    client.force_login(county_official)
    page = client.get(reverse("assessment:jurisdiction", args=[WF])).content.decode()
    assert f'data-testid="overdue-{WF}-submit">1</a>' in page
    assert f"overdue-{LZ}" not in page
    confirm = reverse("enterprises:submissions") + "?status=submitted&amp;overdue=1"
    assert f'href="{confirm}" data-testid="overdue-{WF}-confirm">1</a>' in page
    listed = client.get(reverse("incentives:reward_list"), {"overdue": "submit"})
    assert listed.context["totals"]["n"] == 1


# --- the daily reminder ------------------------------------------------------------------------


def _titles(user):
    """The reminders ``user`` got (not the workflow's own messages)."""
    return list(
        Notification.objects.filter(user=user, title__startswith="超期提醒").values_list("title", flat=True)
    )


def test_each_owner_is_reminded_once_a_day_until_done(
    reviewer,
    county_official,
    other_county_official,
    finance_city,
    finance_wf,
    django_capture_on_commit_callbacks,
):
    reviewer.email = "r@x.cn"
    reviewer.save()
    submitted = _reward(WF, Reward.Status.SUBMITTED, name="待审企业甲")
    approved = _reward(WF, Reward.Status.APPROVED, name="待拨企业乙")
    _submission(WF)
    system = SystemActor("test")
    today = portal_today()
    mail.outbox.clear()

    # review → the reviewers; submission → 文峰区 officials; payment → city finance and 文峰区 finance
    with django_capture_on_commit_callbacks(execute=True):
        assert deadline_reminders_send(by=system, today=today) == 4
    assert _titles(reviewer) == ["超期提醒：1 项审核超期"]
    assert _titles(county_official) == ["超期提醒：1 项填报确认超期"]
    assert _titles(finance_city) == _titles(finance_wf) == ["超期提醒：1 项拨付超期"]
    assert _titles(other_county_official) == []
    body = Notification.objects.get(user=reviewer).body
    assert "待审企业甲" in body and "已超期" in body
    assert any(m.to == ["r@x.cn"] for m in mail.outbox)
    assert DeadlineReminder.objects.filter(day=today).count() == 4

    # the same day again: nothing
    assert deadline_reminders_send(by=system, today=today) == 0
    assert len(_titles(reviewer)) == 1

    # the next day: again, until done; the reviewer decides, then is no longer reminded
    tomorrow = today + datetime.timedelta(days=1)
    for kind in ("certificate", "bank"):  # its papers complete, so the reviewer may approve it
        RewardDocumentFactory(reward=submitted, kind=kind, uploaded_by=reviewer)
    fund_generously()  # and its 专项经费 recorded
    incentives.reward_approve(reward=submitted, by=reviewer, comment="")
    assert deadline_reminders_send(by=system, today=tomorrow) == 3
    assert len(_titles(reviewer)) == 1
    assert len(_titles(county_official)) == len(_titles(finance_wf)) == 2
    # its lines leave the finance offices' hands (here cancelled): they are no longer reminded of it
    FundingLine.objects.filter(reward=approved).update(status=FundingLine.Status.CANCELLED)
    Reward.objects.filter(pk=approved.pk).update(status=Reward.Status.CANCELLED)
    assert deadline_reminders_send(by=system, today=tomorrow + datetime.timedelta(days=1)) == 1
    assert len(_titles(finance_city)) == len(_titles(finance_wf)) == 2
    assert len(_titles(county_official)) == 3  # the firm's submission still waits for 文峰区


def test_the_command_sends_the_reminders(reviewer, capsys):
    _reward(WF, Reward.Status.SUBMITTED)
    call_command("send_deadline_reminders")
    assert "sent 1 reminders" in capsys.readouterr().out
    call_command("send_deadline_reminders")
    assert "sent 0 reminders" in capsys.readouterr().out
    assert _titles(reviewer) == ["超期提醒：1 项审核超期"]


def test_nothing_overdue_nobody_is_reminded(reviewer):
    _reward(WF, Reward.Status.SUBMITTED, ago=datetime.timedelta(0))
    assert deadline_reminders_send(by=SystemActor("test")) == 0
    assert not Notification.objects.exists()


def test_the_demo_makes_one_item_of_each_kind_overdue(reviewer):
    from assessment.deadlines import overdue_table
    from assessment.demo import seed_demo_deadlines

    _reward(WF, Reward.Status.SUBMITTED, ago=datetime.timedelta(0))
    _reward(WF, Reward.Status.APPROVED, ago=datetime.timedelta(0))
    _submission(WF, ago=datetime.timedelta(0))
    assert seed_demo_deadlines() == 3
    row = next(r for r in overdue_table(reviewer)["rows"] if r["jurisdiction"].code == WF)
    assert {c["kind"].key: c["n"] for c in row["cells"]} == {
        "submit": 0,
        "review": 1,
        "payment": 1,
        "confirm": 1,
    }


def test_a_count_past_the_cap_says_more_than_the_cap(client, reviewer, monkeypatch):
    """However many items are overdue, a county's count of a kind reads at most the cap + 1 of them and
    shows "cap+"; the row, the kind's city total and the grand total say "+" too, the footer says why, and
    the number still links to the queue that lists every item."""
    from assessment import deadlines as overdue

    monkeypatch.setattr(overdue, "OVERDUE_COUNT_CAP", 2)
    for _ in range(3):
        _reward(WF, Reward.Status.SUBMITTED)
    _reward(WF, Reward.Status.GENERATED)
    _reward(LZ, Reward.Status.SUBMITTED)
    table = overdue.overdue_table(reviewer)
    wf = next(r for r in table["rows"] if r["jurisdiction"].code == WF)
    lz = next(r for r in table["rows"] if r["jurisdiction"].code == LZ)
    review = [c for c in wf["cells"] if c["kind"].key == "review"][0]
    assert (review["n"], review["more"]) == (2, True)
    submit = [c for c in wf["cells"] if c["kind"].key == "submit"][0]
    assert (submit["n"], submit["more"]) == (1, False)
    assert (wf["total"], wf["more"]) == (3, True)
    assert (lz["total"], lz["more"]) == (1, False)
    total_review = [t for t in table["totals"] if t["kind"].key == "review"][0]
    assert (total_review["n"], total_review["more"]) == (3, True)

    client.force_login(reviewer)
    page = client.get(reverse("assessment:dashboard")).content.decode()
    assert f'data-testid="overdue-{WF}-review">2+</a>' in page
    assert 'data-testid="overdue-total-review">3+</a>' in page
    assert "带“+”的数字表示超过 2 件" in page
    listed = client.get(
        reverse("incentives:reward_list"),
        {"status": "submitted", "overdue": "review", "jurisdiction": jurisdiction(WF).pk},
    )
    assert listed.context["totals"]["n"] == 3  # the queue behind the number lists all of them
