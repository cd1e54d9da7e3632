"""公示 before payment (issue 13, item 3): publishing a batch or an approval round, the refusals, the
objections and their outcomes, and the payment guard on every payment door."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import Role
from anyang_hte.core.workdays import WorkingCalendar
from incentives.models import (
    FundingLine,
    Payment,
    PayoutBatch,
    Publicity,
    PublicityEntry,
    PublicityObjection,
    Reward,
    RewardDecision,
)
from incentives.services import payment_runs, payouts
from incentives.services import publicity as svc
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import RewardWithLinesFactory, fund_generously, publicized

WF = "410502"
L = FundingLine.Status
O = PublicityObjection.Status  # noqa: E741
# A Monday with no holiday in the week after it (2026-03-02): the period is Tue 3 … Mon 9 March.
PUBLISHED_ON = datetime.date(2026, 3, 2)
ENDS_ON = datetime.date(2026, 3, 9)


@pytest.fixture(autouse=True)
def _funded(db, settings):
    fund_generously()
    settings.PUBLICITY_NOTICE_WORKING_DAYS = 5


@pytest.fixture
def today(monkeypatch):
    """The portal's today, moved by the test (the services read ``anyang_hte.core.dates.today``)."""
    from anyang_hte.core import dates

    box = {"day": PUBLISHED_ON}
    monkeypatch.setattr(dates, "today", lambda: box["day"])

    def move(day):
        box["day"] = day

    move.day = lambda: box["day"]
    return move


@pytest.fixture
def finance(db):
    return UserFactory(username="pub_city_fin", role=Role.CITY_FINANCE, jurisdiction=None)


def approved(**kwargs) -> Reward:
    return RewardWithLinesFactory(
        enterprise=EnterpriseFactory(jurisdiction=jurisdiction(WF), **kwargs),
        status=Reward.Status.APPROVED,
        approved_at=datetime.datetime(2026, 3, 1, 2, tzinfo=datetime.UTC),
    )


def city_line(reward) -> FundingLine:
    return reward.lines.get(source="city")


def locked_batch(by, *rewards) -> PayoutBatch:
    batch = payouts.batch_create(by=by, name="2026年第一批市级奖励资金", source="city")
    payouts.batch_add_lines(batch=batch, lines_or_ids=[city_line(r) for r in rewards], by=by)
    return payouts.batch_lock(batch=batch, by=by)


def draft_batch(by, *rewards) -> PayoutBatch:
    batch = payouts.batch_create(by=by, name="2026年第二批市级奖励资金", source="city")
    payouts.batch_add_lines(batch=batch, lines_or_ids=[city_line(r) for r in rewards], by=by)
    return batch


class TestPublish:
    def test_a_batch_is_published_for_five_working_days(self, reviewer, finance, today):
        first, second = approved(name="安阳甲科技有限公司"), approved(name="安阳乙科技有限公司")
        batch = locked_batch(finance, first, second)
        publicity = svc.publicity_publish_batch(batch=batch, by=reviewer)
        assert (publicity.starts_on, publicity.ends_on, publicity.working_days) == (
            datetime.date(2026, 3, 3),
            ENDS_ON,
            5,
        )
        assert publicity.kind == Publicity.Kind.BATCH and publicity.batch == batch
        assert publicity.contact_unit == "安阳市科学技术局" and publicity.contact_phone
        rows = list(
            publicity.entries.values_list("enterprise_name", "jurisdiction_name", "rule_name", "amount")
        )
        assert rows == [  # in the county's order, then by name
            ("安阳乙科技有限公司", "文峰区", second.rule.name, Decimal("300000.00")),
            ("安阳甲科技有限公司", "文峰区", first.rule.name, Decimal("300000.00")),
        ]
        assert publicity.published_on == PUBLISHED_ON
        entry = AuditLog.objects.get(action="incentives.publicity.published")
        assert entry.data["ends_on"] == "2026-03-09" and entry.user == reviewer

    def test_the_period_counts_working_days_and_holidays(self, reviewer, finance, today):
        # published on a Friday: Mon … Fri of the next week, holidays skipped as the calendar says
        today(datetime.date(2026, 3, 6))
        batch = locked_batch(finance, approved())
        publicity = svc.publicity_publish_batch(batch=batch, by=reviewer)
        calendar = WorkingCalendar.load()
        assert calendar.between(datetime.date(2026, 3, 6), publicity.ends_on) == 5
        assert calendar.is_working(publicity.starts_on) and publicity.starts_on > datetime.date(2026, 3, 6)

    def test_the_setting_sets_the_period(self, reviewer, finance, today, settings):
        settings.PUBLICITY_NOTICE_WORKING_DAYS = 10
        publicity = svc.publicity_publish_batch(batch=locked_batch(finance, approved()), by=reviewer)
        assert publicity.working_days == 10 and publicity.ends_on == datetime.date(2026, 3, 16)

    def test_an_approval_round_takes_the_unpublished_rewards_approved_in_the_range(self, reviewer, today):
        inside, other = approved(), approved()
        Reward.objects.filter(pk=other.pk).update(
            approved_at=datetime.datetime(2026, 2, 1, 2, tzinfo=datetime.UTC)
        )
        already = approved()
        publicized([already])
        publicity = svc.publicity_publish_round(
            approved_from=datetime.date(2026, 3, 1), approved_to=datetime.date(2026, 3, 2), by=reviewer
        )
        assert list(publicity.entries.values_list("reward_id", flat=True)) == [inside.pk]
        assert publicity.kind == Publicity.Kind.ROUND and "2026-03-01" in publicity.title
        with pytest.raises(DomainError, match="没有尚未公示的") as exc:
            svc.publicity_publish_round(
                approved_from=datetime.date(2026, 3, 1), approved_to=datetime.date(2026, 3, 2), by=reviewer
            )
        assert exc.value.field == "approved_from"

    def test_refusals(self, reviewer, finance, county_official, today):
        submitted = RewardWithLinesFactory(status=Reward.Status.SUBMITTED)
        day = datetime.date(2026, 3, 1)
        with pytest.raises(DomainError, match="不是“已批准”状态"):
            svc.publicity_publish_round(approved_from=day, approved_to=day, rewards=[submitted], by=reviewer)
        published = approved()
        publicized([published])
        with pytest.raises(DomainError, match="已经公示过"):
            svc.publicity_publish_round(approved_from=day, approved_to=day, rewards=[published], by=reviewer)
        with pytest.raises(DomainError, match="只有市科技局审核员"):
            svc.publicity_publish_round(approved_from=day, approved_to=day, rewards=[approved()], by=finance)
        with pytest.raises(DomainError, match="只有市科技局审核员"):
            svc.publicity_publish_round(
                approved_from=day, approved_to=day, rewards=[approved()], by=county_official
            )
        with pytest.raises(DomainError, match="不能早于") as exc:
            svc.publicity_publish_round(
                approved_from=day, approved_to=day - datetime.timedelta(days=1), by=reviewer
            )
        assert exc.value.field == "approved_to"
        with pytest.raises(DomainError, match="联系电话") as exc:
            svc.publicity_publish_round(
                approved_from=day, approved_to=day, rewards=[approved()], contact_phone=" ", by=reviewer
            )
        assert exc.value.field == "contact_phone"
        batch = locked_batch(finance, published)
        with pytest.raises(DomainError, match="均已公示过"):
            svc.publicity_publish_batch(batch=batch, by=reviewer)
        assert Publicity.objects.count() == 1  # the helper's only

    def test_a_reward_is_published_once_even_behind_the_service(self, reviewer, today):
        reward = approved()
        publicity = publicized([reward])
        with pytest.raises(IntegrityError), transaction.atomic():
            PublicityEntry.objects.create(
                publicity=publicity,
                reward=reward,
                enterprise_name="x",
                jurisdiction_name="x",
                rule_name="x",
                amount=1,
                position=9,
            )

    def test_the_second_share_of_a_reward_is_not_published_again(self, reviewer, finance, today):
        wf_finance = UserFactory(
            username="pub_wf_fin", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction(WF)
        )
        reward, other = approved(), approved()
        svc.publicity_publish_batch(batch=locked_batch(finance, reward), by=reviewer)
        county = payouts.batch_create(by=wf_finance, name="文峰区", source="county")
        payouts.batch_add_matching(batch=county, by=wf_finance)
        publicity = svc.publicity_publish_batch(batch=county, by=reviewer)
        assert list(publicity.entries.values_list("reward_id", flat=True)) == [other.pk]


class TestPaymentGuard:
    def test_never_published_is_refused(self, finance, today):
        reward = approved()
        batch = locked_batch(finance, reward)
        today(datetime.date(2026, 3, 20))
        with pytest.raises(DomainError, match="尚未公示"):
            payouts.payment_record(line=city_line(reward), paid_on=today.day(), reference="A", by=finance)
        with pytest.raises(DomainError, match="尚未公示"):
            payouts.batch_record_payment(batch=batch, paid_on=today.day(), reference="A", by=finance)
        with pytest.raises(DomainError, match="尚未公示"):
            payment_runs.payment_run_start(batch=batch, paid_on=today.day(), reference="A", by=finance)
        assert not Payment.objects.exists()

    def test_refused_before_the_period_ends_and_allowed_after(self, reviewer, finance, today):
        first, second = approved(), approved()
        batch = locked_batch(finance, first, second)
        svc.publicity_publish_batch(batch=batch, by=reviewer)
        today(ENDS_ON)  # the last day of the period: still running
        with pytest.raises(DomainError, match="公示期至 2026-03-09 结束，2026-03-10 起方可拨付") as exc:
            payouts.payment_record(line=city_line(first), paid_on=ENDS_ON, reference="A", by=finance)
        assert exc.value.field == "paid_on"
        with pytest.raises(DomainError, match="另有 1 笔"):
            payouts.batch_record_payment(batch=batch, paid_on=ENDS_ON, reference="A", by=finance)
        today(datetime.date(2026, 3, 10))
        # a date inside the period is refused even after it has ended
        with pytest.raises(DomainError, match="2026-03-10 起方可拨付"):
            payouts.batch_record_payment(batch=batch, paid_on=ENDS_ON, reference="A", by=finance)
        assert payouts.batch_record_payment(batch=batch, paid_on=today.day(), reference="A", by=finance) == 2

    def test_an_open_objection_holds_the_line_and_dismissed_it_goes_on(self, reviewer, finance, today):
        reward = approved()
        batch = locked_batch(finance, reward)
        publicity = svc.publicity_publish_batch(batch=batch, by=reviewer)
        today(datetime.date(2026, 3, 4))
        objection = svc.objection_record(
            entry=publicity.entries.get(),
            received_on=datetime.date(2026, 3, 4),
            objector="王某",
            content="该企业研发人员比例不实",
            by=reviewer,
        )
        today(datetime.date(2026, 3, 12))  # the period is over, the objection is not
        with pytest.raises(DomainError, match="未处理的公示异议（2026-03-04 收到）"):
            payouts.payment_record(line=city_line(reward), paid_on=today.day(), reference="A", by=finance)
        svc.objection_resolve(objection=objection, upheld=False, reason="经核查，人员比例属实", by=reviewer)
        objection.refresh_from_db()
        assert (objection.status, objection.resolved_by) == (O.DISMISSED, reviewer)
        payouts.payment_record(line=city_line(reward), paid_on=today.day(), reference="A", by=finance)
        assert city_line(reward).status == L.PAID
        assert AuditLog.objects.filter(action="incentives.publicity.objection_dismissed").exists()


class TestObjections:
    def test_upheld_rejects_the_reward_with_the_reason(self, reviewer, finance, today):
        reward = approved()
        batch = draft_batch(finance, reward)
        publicity = svc.publicity_publish_batch(batch=batch, by=reviewer)
        entry = publicity.entries.get()
        first = svc.objection_record(entry=entry, received_on=PUBLISHED_ON, content="重复申报", by=reviewer)
        second = svc.objection_record(entry=entry, received_on=PUBLISHED_ON, content="同上", by=reviewer)
        svc.objection_resolve(objection=first, upheld=True, reason="经核查该企业已享受同类奖励", by=reviewer)
        reward.refresh_from_db()
        assert reward.status == Reward.Status.REJECTED
        decision = RewardDecision.objects.filter(reward=reward).latest("pk")
        assert (decision.from_status, decision.to_status) == ("approved", "rejected")
        assert "经核查该企业已享受同类奖励" in decision.comment
        assert set(reward.lines.values_list("status", "batch")) == {(L.CANCELLED, None)}  # left the draft
        second.refresh_from_db()
        assert second.status == O.UPHELD and "一并成立" in second.resolution
        with pytest.raises(DomainError, match="已处理"):
            svc.objection_resolve(objection=first, upheld=False, reason="x", by=reviewer)
        with pytest.raises(DomainError, match="无需登记异议"):
            svc.objection_record(entry=entry, received_on=PUBLISHED_ON, content="再次", by=reviewer)

    def test_upheld_on_a_locked_batch_cancels_the_line_in_it(self, reviewer, finance, today):
        reward, other = approved(), approved()
        batch = locked_batch(finance, reward, other)
        publicity = svc.publicity_publish_batch(batch=batch, by=reviewer)
        entry = publicity.entries.get(reward=reward)
        objection = svc.objection_record(entry=entry, received_on=PUBLISHED_ON, content="不符合", by=reviewer)
        svc.objection_resolve(objection=objection, upheld=True, reason="不符合条件", by=reviewer)
        line = city_line(reward)
        assert (line.status, line.batch_id) == (L.CANCELLED, batch.pk)
        assert AuditLog.objects.filter(
            action="incentives.batch.line_cancelled", object_id=str(batch.pk)
        ).exists()
        today(datetime.date(2026, 3, 10))
        assert payouts.batch_record_payment(batch=batch, paid_on=today.day(), reference="A", by=finance) == 1
        assert PayoutBatch.objects.get(pk=batch.pk).status == PayoutBatch.Status.PAID

    def test_refusals(self, reviewer, finance, county_official, today):
        reward = approved()
        batch = locked_batch(finance, reward)
        entry = svc.publicity_publish_batch(batch=batch, by=reviewer).entries.get()
        with pytest.raises(DomainError, match="异议内容") as exc:
            svc.objection_record(entry=entry, received_on=PUBLISHED_ON, content=" ", by=reviewer)
        assert exc.value.field == "content"
        with pytest.raises(DomainError, match="不能早于公示发布日期") as exc:
            svc.objection_record(
                entry=entry, received_on=PUBLISHED_ON - datetime.timedelta(days=1), content="x", by=reviewer
            )
        assert exc.value.field == "received_on"
        with pytest.raises(DomainError, match="不能晚于今天"):
            svc.objection_record(
                entry=entry, received_on=PUBLISHED_ON + datetime.timedelta(days=1), content="x", by=reviewer
            )
        for by in (finance, county_official):
            with pytest.raises(DomainError, match="只有市科技局审核员"):
                svc.objection_record(entry=entry, received_on=PUBLISHED_ON, content="x", by=by)
        objection = svc.objection_record(entry=entry, received_on=PUBLISHED_ON, content="x", by=reviewer)
        with pytest.raises(DomainError, match="处理理由") as exc:
            svc.objection_resolve(objection=objection, upheld=True, reason="", by=reviewer)
        assert exc.value.field == "reason"
        svc.objection_resolve(objection=objection, upheld=False, reason="不成立", by=reviewer)
        today(datetime.date(2026, 3, 10))
        payouts.batch_record_payment(batch=batch, paid_on=today.day(), reference="A", by=finance)
        # after the period: still heard until payment; once paid, refused with the way forward
        with pytest.raises(DomainError, match="追回程序"):
            svc.objection_record(entry=entry, received_on=today.day(), content="晚到的异议", by=reviewer)

    def test_an_objection_after_the_period_is_heard_until_payment(self, reviewer, finance, today):
        reward = approved()
        entry = svc.publicity_publish_batch(batch=locked_batch(finance, reward), by=reviewer).entries.get()
        today(datetime.date(2026, 3, 11))
        objection = svc.objection_record(entry=entry, received_on=today.day(), content="迟到", by=reviewer)
        assert AuditLog.objects.get(action="incentives.publicity.objection_recorded").data["after_period"]
        with pytest.raises(DomainError, match="未处理的公示异议"):
            payouts.payment_record(line=city_line(reward), paid_on=today.day(), reference="A", by=finance)
        assert objection.status == O.OPEN

    def test_the_database_refuses_a_resolution_without_its_reason(self, reviewer, today):
        entry = publicized([approved()]).entries.get()
        with pytest.raises(IntegrityError), transaction.atomic():
            PublicityObjection.objects.create(
                entry=entry, received_on=PUBLISHED_ON, content="x", recorded_by=reviewer, status=O.UPHELD
            )
