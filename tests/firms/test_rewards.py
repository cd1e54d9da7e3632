"""The firm follows its money: its own rewards only, its papers uploaded through the same checks, each
share's payment date; the county still submits."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import Notification
from anyang_hte.core.roles import Role
from incentives import services
from incentives.models import FundingLine, PayoutBatch, Reward, RewardDocument
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import (
    RewardDocumentFactory,
    RewardWithLinesFactory,
    fund_generously,
    publicized,
)

PDF = b"%PDF-1.4 certificate scan"


@pytest.fixture(autouse=True)
def _funded(db):
    """专项经费 of every source, large enough that the balance check never stands in the way here
    (tests/incentives/test_appropriations.py tests the check itself)."""
    fund_generously()


def pdf(name="证书.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def wf():
    return jurisdiction("410502")


@pytest.fixture
def firm_world(db, wf):
    own = EnterpriseFactory(jurisdiction=wf, bank_name="中国银行安阳分行", bank_account="6222000011112222")
    other = EnterpriseFactory(jurisdiction=wf)
    firm = UserFactory(username="firm_own", role=Role.ENTERPRISE, jurisdiction=None, enterprise=own)
    county = UserFactory(username="county_wf", role=Role.COUNTY_OFFICIAL, jurisdiction=wf)
    return {
        "own": own,
        "other": other,
        "firm": firm,
        "county": county,
        "reward": RewardWithLinesFactory(enterprise=own, status=Reward.Status.GENERATED),
        "other_reward": RewardWithLinesFactory(enterprise=other, status=Reward.Status.GENERATED),
    }


def test_the_firm_sees_its_own_rewards_only(client, firm_world):
    client.force_login(firm_world["firm"])
    page = client.get(reverse("firms:rewards")).content.decode()
    assert firm_world["reward"].rule.name in page
    assert "30.00" in page  # 300,000 yuan as 万元 with two decimals
    assert "证书扫描件" in page and "银行账户确认书" in page  # what is still needed
    assert firm_world["other"].name not in page
    other = firm_world["other_reward"]
    upload = client.post(
        reverse("firms:reward_document_upload", args=[other.pk]), {f"r{other.pk}-kind": "bank"}
    )
    assert upload.status_code == 404
    document = RewardDocumentFactory(reward=other)
    assert (
        client.get(reverse("firms:reward_document_download", args=[other.pk, document.pk])).status_code == 404
    )


def test_the_firm_uploads_its_certificate_and_the_county_is_told(client, firm_world):
    reward = firm_world["reward"]
    client.force_login(firm_world["firm"])
    response = client.post(
        reverse("firms:reward_document_upload", args=[reward.pk]),
        {f"r{reward.pk}-kind": "certificate", f"r{reward.pk}-file": pdf()},
    )
    assert response.status_code == 302
    document = RewardDocument.objects.get(reward=reward)
    assert document.kind == "certificate" and document.uploaded_by == firm_world["firm"]
    assert Notification.objects.filter(
        user=firm_world["county"], title__contains="企业已上传奖励材料"
    ).exists()
    missing = services.missing_for_submission(reward)
    assert "证书扫描件" not in missing and "银行账户确认书" in missing
    download = client.get(reverse("firms:reward_document_download", args=[reward.pk, document.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_a_fake_pdf_is_refused_with_its_reason(client, firm_world):
    reward = firm_world["reward"]
    client.force_login(firm_world["firm"])
    response = client.post(
        reverse("firms:reward_document_upload", args=[reward.pk]),
        {f"r{reward.pk}-kind": "bank", f"r{reward.pk}-file": pdf("bank.pdf", b"MZ not a pdf")},
        follow=True,
    )
    assert "不是有效的 PDF 文件" in response.content.decode()
    assert not RewardDocument.objects.filter(reward=reward).exists()


def test_the_service_refuses_another_firm_and_a_submitted_reward(firm_world):
    with pytest.raises(DomainError, match="本企业"):
        services.reward_document_add(
            reward=firm_world["other_reward"], kind="certificate", upload=pdf(), by=firm_world["firm"]
        )
    reward = firm_world["reward"]
    Reward.objects.filter(pk=reward.pk).update(status=Reward.Status.SUBMITTED)
    reward.refresh_from_db()
    with pytest.raises(DomainError, match="待申报"):
        services.reward_document_add(reward=reward, kind="certificate", upload=pdf(), by=firm_world["firm"])
    assert not RewardDocument.objects.exists()


def test_the_firm_removes_only_what_it_uploaded(firm_world):
    reward = firm_world["reward"]
    county_document = RewardDocumentFactory(reward=reward, uploaded_by=firm_world["county"])
    with pytest.raises(DomainError, match="自己上传"):
        services.reward_document_remove(document=county_document, by=firm_world["firm"])
    own = services.reward_document_add(reward=reward, kind="bank", upload=pdf(), by=firm_world["firm"])
    services.reward_document_remove(document=own, by=firm_world["firm"])
    assert list(RewardDocument.objects.filter(reward=reward)) == [county_document]


def test_a_firm_without_its_enterprise_link_sees_no_reward(client, firm_world):
    firm_world["firm"].enterprise = None
    firm_world["firm"].save()
    client.force_login(firm_world["firm"])
    response = client.get(reverse("firms:rewards"))
    assert response.status_code == 403
    assert firm_world["reward"].rule.name not in response.content.decode()


def test_the_firm_follows_approval_and_each_share_paid(client, firm_world, wf):
    reward = firm_world["reward"]
    reviewer = UserFactory(username="rev", role=Role.TECH_REVIEWER, jurisdiction=None)
    services.reward_document_add(reward=reward, kind="certificate", upload=pdf(), by=firm_world["firm"])
    services.reward_document_add(reward=reward, kind="bank", upload=pdf("b.pdf"), by=firm_world["firm"])
    services.reward_submit(reward=reward, by=firm_world["county"])
    services.reward_approve(reward=reward, by=reviewer)
    firm = firm_world["firm"]
    assert Notification.objects.filter(user=firm, title__contains="已获批准").exists()

    city_finance = UserFactory(username="cfin", role=Role.CITY_FINANCE, jurisdiction=None)
    county_finance = UserFactory(username="wffin", role=Role.COUNTY_FINANCE, jurisdiction=wf)
    publicized([reward])  # 公示 held and ended before payment
    paid_on = datetime.date(2026, 11, 20)
    for by, source, jur in ((city_finance, "city", None), (county_finance, "county", wf)):
        batch = services.batch_create(by=by, name=f"{source} 批次", source=source, jurisdiction=jur)
        services.batch_add_lines(
            batch=batch, lines_or_ids=FundingLine.objects.filter(reward=reward, source=source), by=by
        )
        services.batch_lock(batch=batch, by=by)
        services.batch_record_payment(batch=batch, paid_on=paid_on, reference=f"PZ-{source}", by=by)
        assert PayoutBatch.objects.get(pk=batch.pk).status == "paid"

    reward.refresh_from_db()
    assert reward.status == Reward.Status.PAID
    assert Notification.objects.filter(user=firm, title__contains="资金已拨付").count() == 2
    client.force_login(firm)
    page = client.get(reverse("firms:rewards")).content.decode()
    assert page.count("2026-11-20") == 2  # both shares, each with its payment date
    assert "奖励资金已全部拨付" in page


def test_paying_many_rewards_tells_each_firm_in_a_few_queries(db, wf, django_assert_max_num_queries):
    from incentives.notifications import notify_paid

    def paid_lines(n):
        lines = []
        for i in range(n):
            enterprise = EnterpriseFactory(jurisdiction=wf)
            UserFactory(
                username=f"pay_firm_{n}_{i}", role=Role.ENTERPRISE, jurisdiction=None, enterprise=enterprise
            )
            lines += list(
                RewardWithLinesFactory(enterprise=enterprise, status=Reward.Status.APPROVED).lines.all()
            )
        return lines

    few, many = paid_lines(2), paid_lines(12)
    with django_assert_max_num_queries(12) as few_queries:
        notify_paid(few)
    with django_assert_max_num_queries(len(few_queries.captured_queries)):
        notify_paid(many)  # the same queries for six times the rewards: firm users read at once
    firms = Notification.objects.filter(title__contains="您的奖励资金已拨付")
    assert firms.count() == 14 and len({n.user_id for n in firms}) == 14
