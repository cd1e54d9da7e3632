"""Bulk approval in the review queue: each reward checked on its own by ``reward_approve``."""

import pytest
from django.urls import reverse

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import Role
from incentives import services
from incentives.models import FundingLine, Reward
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction

from .factories import RewardDocumentFactory, RewardWithLinesFactory, fund_generously

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _funds(db):
    fund_generously()  # money recorded: these tests are about the papers and the four eyes


S = Reward.Status


def submitted(by, *, papers=True, name=None, bank="6217000012345678"):
    enterprise = EnterpriseFactory(
        jurisdiction=jurisdiction("410502"),
        bank_name="中国银行",
        bank_account=bank,
        **({"name": name} if name else {}),
    )
    reward = RewardWithLinesFactory(enterprise=enterprise, status=S.SUBMITTED, submitted_by=by)
    if papers:
        RewardDocumentFactory(reward=reward, kind="certificate")
        RewardDocumentFactory(reward=reward, kind="bank")
    return reward


@pytest.fixture
def office(county_official):
    return county_official


def test_each_reward_is_checked_on_its_own(office, reviewer):
    good = submitted(office)
    no_papers = submitted(office, papers=False)
    no_bank = submitted(office, bank="")
    own = submitted(reviewer)  # the reviewer submitted this one (a former county official, say)
    approved = RewardWithLinesFactory(status=S.APPROVED, submitted_by=office)

    results = services.rewards_approve(
        rewards=[own, no_bank, good, approved, no_papers], by=reviewer, comment="同意"
    )

    by_reward = {r.reward.pk: r for r in results}
    assert [r.reward.pk for r in results] == sorted(by_reward)  # one result each, in a stable order
    assert by_reward[good.pk].approved and by_reward[good.pk].reason == ""
    assert (
        "证书扫描件" in by_reward[no_papers.pk].reason and "银行账户确认书" in by_reward[no_papers.pk].reason
    )
    assert "企业银行账号" in by_reward[no_bank.pk].reason
    assert by_reward[own.pk].reason == "不能批准本人提交的申报。"
    assert by_reward[approved.pk].reason == "已批准，等待财政拨付。"
    # The refused ones are untouched (their savepoints rolled back); the good one is approved in full.
    for reward in (no_papers, no_bank, own):
        reward.refresh_from_db()
        assert reward.status == S.SUBMITTED and not reward.decisions.exists()
        assert set(reward.lines.values_list("status", flat=True)) == {FundingLine.Status.PENDING}
    good.refresh_from_db()
    assert good.status == S.APPROVED and good.approved_by == reviewer
    assert set(good.lines.values_list("status", flat=True)) == {FundingLine.Status.APPROVED}
    assert good.decisions.get().comment == "同意"
    assert AuditLog.objects.filter(action="incentives.reward.approved").count() == 1


def test_the_same_checks_as_one_by_one(office, reviewer):
    """A single approval refuses what the bulk refuses: the papers are checked at approval too."""
    reward = submitted(office, papers=False)
    with pytest.raises(DomainError, match="申报材料不全，不能批准"):
        services.reward_approve(reward=reward, by=reviewer)


def test_nothing_ticked_or_no_right(office, reviewer):
    with pytest.raises(DomainError, match="请先勾选"):
        services.rewards_approve(rewards=[], by=reviewer)
    reward = submitted(office)
    with pytest.raises(DomainError, match="只有市科技局审核员"):
        services.rewards_approve(rewards=[reward], by=office)
    reward.refresh_from_db()
    assert reward.status == S.SUBMITTED


# --- the page ---------------------------------------------------------------------------------------


def test_the_queue_ticks_only_what_the_reviewer_may_approve(client, office, reviewer):
    mine = submitted(reviewer, name="本人提交科技公司")
    theirs = submitted(office, name="县区提交科技公司")
    client.force_login(reviewer)
    body = client.get(reverse("incentives:reward_list"), {"status": "submitted"}).content.decode()
    assert f'data-testid="select-{theirs.pk}"' in body and f'data-testid="select-{mine.pk}"' not in body
    assert 'id="bulk-approve"' in body
    # Not in the queue, or not a reviewer: no bulk form.
    assert 'id="bulk-approve"' not in client.get(reverse("incentives:reward_list")).content.decode()
    client.force_login(office)
    body = client.get(reverse("incentives:reward_list"), {"status": "submitted"}).content.decode()
    assert 'id="bulk-approve"' not in body and 'data-testid="select-' not in body


def test_bulk_approve_shows_each_result(client, office, reviewer):
    good = submitted(office, name="甲科技有限公司")
    bad = submitted(office, papers=False, name="乙科技有限公司")
    client.force_login(reviewer)
    response = client.post(
        reverse("incentives:reward_bulk_approve"), {"rewards": [good.pk, bad.pk], "comment": "材料齐全"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "已批准 1 笔，未批准 1 笔" in body
    assert "甲科技有限公司" in body and "乙科技有限公司" in body
    assert "申报材料不全，不能批准：缺少证书扫描件、银行账户确认书" in body
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, bad.status) == (S.APPROVED, S.SUBMITTED)


def test_bulk_approve_refuses_others_and_nothing_ticked(client, office, reviewer):
    reward = submitted(office)
    client.force_login(office)
    assert client.post(reverse("incentives:reward_bulk_approve"), {"rewards": [reward.pk]}).status_code == 403
    client.force_login(reviewer)
    response = client.post(reverse("incentives:reward_bulk_approve"), {"rewards": []}, follow=True)
    assert "请先勾选要批准的奖励" in response.content.decode()
    other = UserFactory(username="fin", role=Role.CITY_FINANCE, jurisdiction=None)
    client.force_login(other)
    assert client.post(reverse("incentives:reward_bulk_approve"), {"rewards": [reward.pk]}).status_code == 403
    reward.refresh_from_db()
    assert reward.status == S.SUBMITTED
