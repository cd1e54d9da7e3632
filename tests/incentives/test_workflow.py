"""The reward workflow: who moves a reward where, with what evidence, and what revocation does."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog, EmailOutbox, Notification
from anyang_hte.core.roles import Role
from enterprises import services as ent_services
from incentives import services
from incentives.models import (
    FundingLine,
    Payment,
    PayoutBatch,
    Recovery,
    Reward,
    RewardDecision,
    RewardDocument,
)
from incentives.permissions import waiting_for
from incentives.workflow import TRANSITIONS, ensure_transition
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction

from .factories import PaymentFactory, PayoutBatchFactory, RewardWithLinesFactory, fund_generously

pytestmark = pytest.mark.django_db

S = Reward.Status
L = FundingLine.Status
D = datetime.date
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@pytest.fixture(autouse=True)
def _funded(db):
    """专项经费 of every source, large enough that the balance check never stands in the way here
    (tests/incentives/test_appropriations.py tests the check itself)."""
    fund_generously()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def reviewer2(db):
    return UserFactory(username="reviewer2", role=Role.TECH_REVIEWER, jurisdiction=None)


@pytest.fixture
def admin(db):
    return UserFactory(username="admin_user", role=Role.ADMIN, jurisdiction=None)


def upload(name="证书.pdf", content=PDF):
    return SimpleUploadedFile(name, content)


def new_reward(county, *, bank=True) -> Reward:
    ent = EnterpriseFactory(
        jurisdiction=county.jurisdiction,
        bank_name="中国银行安阳分行" if bank else "",
        bank_account="6217000012345678" if bank else "",
    )
    q = ent_services.qualification_record(enterprise=ent, kind="hte", granted_on=D(2024, 11, 30), by=county)
    return q.rewards.get()


def ready_reward(county) -> Reward:
    reward = new_reward(county)
    services.reward_document_add(reward=reward, kind="certificate", upload=upload(), by=county)
    services.reward_document_add(reward=reward, kind="bank", upload=upload("开户确认.png", PNG), by=county)
    return reward


def submitted_reward(county) -> Reward:
    return services.reward_submit(reward=ready_reward(county), by=county)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def actions(reward):
    return list(
        AuditLog.objects.filter(object_id=str(reward.pk), action__startswith="incentives.reward.")
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- the legal moves ------------------------------------------------------------------------------

ILLEGAL = [(now, to) for now in S.values for to in S.values if to not in TRANSITIONS[now]]
LEGAL = [(now, to) for now in S.values for to in sorted(TRANSITIONS[now])]


@pytest.mark.parametrize(("now", "to"), ILLEGAL)
def test_every_illegal_move_is_refused(now, to):
    with pytest.raises(DomainError, match="不能变更为"):
        ensure_transition(Reward(status=now), to=to)


@pytest.mark.parametrize(("now", "to"), LEGAL)
def test_every_legal_move_is_allowed(now, to):
    ensure_transition(Reward(status=now), to=to)


@pytest.mark.parametrize("status", sorted(set(S.values) - {S.GENERATED, S.RETURNED}))
def test_submit_refused_outside_generated_and_returned(status, county_official):
    reward = RewardWithLinesFactory(status=status, enterprise__bank_name="中行", enterprise__bank_account="1")
    # The plain line of where the reward stands (the page shows the same line instead of the button).
    with pytest.raises(DomainError, match=re.escape(waiting_for(reward))):
        services.reward_submit(reward=reward, by=county_official)
    assert fresh(reward).status == status


@pytest.mark.parametrize("status", sorted(set(S.values) - {S.SUBMITTED}))
@pytest.mark.parametrize("action", ["approve", "return", "reject"])
def test_review_refused_unless_submitted(action, status, county_official, reviewer):
    reward = RewardWithLinesFactory(status=status, submitted_by=county_official)
    call = getattr(services, f"reward_{action}")
    kwargs = {} if action == "approve" else {"reason": "材料不全"}
    with pytest.raises(DomainError, match=re.escape(waiting_for(reward))):
        call(reward=reward, by=reviewer, **kwargs)
    assert fresh(reward).status == status
    assert not RewardDecision.objects.filter(reward=reward).exists()


# --- the journey ------------------------------------------------------------------------------------


def test_submit_return_resubmit_approve(county_official, reviewer, django_capture_on_commit_callbacks):
    reviewer.email = "reviewer@kjj.anyang.gov.cn"
    reviewer.save()
    reward = ready_reward(county_official)
    with django_capture_on_commit_callbacks(execute=True):
        services.reward_submit(reward=reward, by=county_official, comment="请审核")
    reward = fresh(reward)
    assert reward.status == S.SUBMITTED
    assert reward.submitted_by == county_official and reward.submitted_at is not None
    assert Notification.objects.filter(user=reviewer, title__contains=reward.enterprise.name).exists()
    assert [m.to for m in mail.outbox] == [[reviewer.email]]

    with pytest.raises(DomainError, match="请说明原因"):
        services.reward_return(reward=reward, by=reviewer, reason="  ")
    services.reward_return(reward=reward, by=reviewer, reason="银行确认书未盖章")
    assert fresh(reward).status == S.RETURNED
    assert Notification.objects.filter(user=county_official, body__contains="银行确认书未盖章").exists()

    services.reward_submit(reward=reward, by=county_official)
    county_official.email = "wf@kjj.anyang.gov.cn"  # told of the approval, by e-mail too
    county_official.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.reward_approve(reward=reward, by=reviewer, comment="同意")
    assert callbacks  # e-mails go out only after commit
    assert EmailOutbox.objects.filter(recipients=[county_official.email], sent_at__isnull=True).exists()
    reward = fresh(reward)
    assert reward.status == S.APPROVED
    assert reward.approved_by == reviewer and reward.approved_at is not None
    assert set(reward.lines.values_list("status", flat=True)) == {L.APPROVED}

    decisions = list(reward.decisions.values_list("from_status", "to_status", "role", "comment"))
    assert decisions == [
        (S.GENERATED, S.SUBMITTED, Role.COUNTY_OFFICIAL, "请审核"),
        (S.SUBMITTED, S.RETURNED, Role.TECH_REVIEWER, "银行确认书未盖章"),
        (S.RETURNED, S.SUBMITTED, Role.COUNTY_OFFICIAL, ""),
        (S.SUBMITTED, S.APPROVED, Role.TECH_REVIEWER, "同意"),
    ]
    assert actions(reward) == [
        "incentives.reward.generated",
        "incentives.reward.document_added",
        "incentives.reward.document_added",
        "incentives.reward.submitted",
        "incentives.reward.returned",
        "incentives.reward.submitted",
        "incentives.reward.approved",
    ]


def test_reject_needs_a_reason_and_cancels_the_lines(county_official, reviewer):
    reward = submitted_reward(county_official)
    with pytest.raises(DomainError, match="请说明原因"):
        services.reward_reject(reward=reward, by=reviewer, reason="")
    services.reward_reject(reward=reward, by=reviewer, reason="不符合首次认定条件")
    reward = fresh(reward)
    assert reward.status == S.REJECTED
    assert set(reward.lines.values_list("status", flat=True)) == {L.CANCELLED}
    assert reward.decisions.last().comment == "不符合首次认定条件"


# --- who may act ------------------------------------------------------------------------------------


def test_four_eyes_in_the_service(county_official):
    # A county official later made a reviewer: still may not approve what they submitted.
    reward = submitted_reward(county_official)
    county_official.role, county_official.jurisdiction = Role.TECH_REVIEWER, None
    county_official.save()
    with pytest.raises(DomainError, match="不能批准本人提交的申报"):
        services.reward_approve(reward=reward, by=county_official)
    assert fresh(reward).status == S.SUBMITTED


def test_four_eyes_in_the_database(county_official):
    reward = submitted_reward(county_official)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reward.objects.filter(pk=reward.pk).update(status=S.APPROVED, approved_by=F("submitted_by"))
    assert fresh(reward).approved_by is None


@pytest.mark.parametrize("role", [Role.COUNTY_OFFICIAL, Role.COUNTY_FINANCE, Role.CITY_FINANCE, Role.ADMIN])
def test_only_reviewers_approve(role, county_official, reviewer):
    reward = submitted_reward(county_official)
    other = UserFactory(role=role, jurisdiction=jurisdiction() if role.startswith("county") else None)
    for act in (services.reward_approve, services.reward_return, services.reward_reject):
        kwargs = {} if act is services.reward_approve else {"reason": "理由"}
        with pytest.raises(DomainError, match="只有市科技局审核员"):
            act(reward=reward, by=other, **kwargs)
    services.reward_approve(reward=reward, by=reviewer)
    assert fresh(reward).status == S.APPROVED


def test_only_the_rewards_county_submits(county_official, other_county_official, reviewer, admin):
    reward = ready_reward(county_official)
    with pytest.raises(DomainError, match="只能申报本县区"):
        services.reward_submit(reward=reward, by=other_county_official)
    for user in (reviewer, admin, UserFactory(role=Role.COUNTY_FINANCE)):
        with pytest.raises(DomainError, match="只有县区科技部门"):
            services.reward_submit(reward=reward, by=user)
    assert fresh(reward).status == S.GENERATED


# --- evidence before submission ------------------------------------------------------------------


def test_submit_names_the_missing_documents_and_bank_details(county_official):
    reward = new_reward(county_official, bank=False)
    with pytest.raises(DomainError) as err:
        services.reward_submit(reward=reward, by=county_official)
    for missing in ("证书扫描件", "银行账户确认书", "企业开户银行", "企业银行账号"):
        assert missing in err.value.message
    services.reward_document_add(reward=reward, kind="certificate", upload=upload(), by=county_official)
    services.reward_document_add(reward=reward, kind="bank", upload=upload(), by=county_official)
    with pytest.raises(DomainError) as err:
        services.reward_submit(reward=reward, by=county_official)
    assert "证书扫描件" not in err.value.message and "银行账户确认书" not in err.value.message
    assert "企业银行账号" in err.value.message
    reward.enterprise.bank_name, reward.enterprise.bank_account = "建设银行", "4100123"
    reward.enterprise.save()
    services.reward_submit(reward=reward, by=county_official)
    assert fresh(reward).status == S.SUBMITTED


def test_an_other_document_does_not_replace_the_required_ones(county_official):
    reward = new_reward(county_official)
    services.reward_document_add(reward=reward, kind="certificate", upload=upload(), by=county_official)
    services.reward_document_add(reward=reward, kind="other", upload=upload(), by=county_official)
    with pytest.raises(DomainError, match="银行账户确认书"):
        services.reward_submit(reward=reward, by=county_official)


# --- document checks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"), [("证书.pdf", PDF), ("SCAN.JPG", JPEG), ("扫描件.jpeg", JPEG), ("确认书.png", PNG)]
)
def test_pdf_jpeg_png_accepted_under_a_generated_name(name, content, county_official):
    reward = new_reward(county_official)
    doc = services.reward_document_add(
        reward=reward, kind="certificate", upload=upload(name, content), by=county_official
    )
    assert doc.original_name == name
    assert doc.size == len(content)
    assert doc.uploaded_by == county_official
    stored = doc.file.name.rsplit("/", 1)[-1]
    assert doc.file.name.startswith(f"rewards/{reward.pk}/")
    assert len(stored.split(".")[0]) == 32 and name.rsplit(".", 1)[0] not in stored
    with doc.file.open("rb") as fh:
        assert fh.read() == content


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("证书.docx", PDF, "文件类型不支持"),
        ("证书.exe", b"MZ\x90\x00", "文件类型不支持"),
        ("证书", PDF, "文件类型不支持"),
        ("证书.pdf", b"<html>not a pdf</html>", "不是有效的 PDF"),
        ("证书.png", PDF, "不是有效的 PNG"),
        ("证书.jpg", PNG, "不是有效的 JPEG"),
        ("证书.pdf", b"", "空文件"),
    ],
)
def test_bad_uploads_refused_with_a_reason(name, content, message, county_official):
    reward = new_reward(county_official)
    with pytest.raises(DomainError, match=message):
        services.reward_document_add(
            reward=reward, kind="certificate", upload=upload(name, content), by=county_official
        )
    assert not RewardDocument.objects.exists()


def test_too_big_refused(settings, county_official):
    settings.REWARD_DOCUMENT_MAX_BYTES = 1024
    reward = new_reward(county_official)
    services.reward_document_add(
        reward=reward, kind="certificate", upload=upload(content=PDF.ljust(1024, b" ")), by=county_official
    )
    with pytest.raises(DomainError, match="超过了 1.0"):
        services.reward_document_add(
            reward=reward,
            kind="certificate",
            upload=upload(content=PDF.ljust(1025, b" ")),
            by=county_official,
        )
    assert RewardDocument.objects.count() == 1


def test_a_path_in_the_client_name_is_dropped(county_official):
    reward = new_reward(county_official)
    doc = services.reward_document_add(
        reward=reward, kind="bank", upload=upload("..\\..\\etc\\确认书.pdf"), by=county_official
    )
    assert doc.original_name == "确认书.pdf"
    assert ".." not in doc.file.name


def test_documents_editable_only_by_the_county_while_editable(
    county_official, other_county_official, reviewer, django_capture_on_commit_callbacks
):
    reward = ready_reward(county_official)
    doc = reward.documents.first()
    with pytest.raises(DomainError, match="只能申报本县区"):
        services.reward_document_add(reward=reward, kind="other", upload=upload(), by=other_county_official)
    with pytest.raises(DomainError, match="只有县区科技部门"):
        services.reward_document_remove(document=doc, by=reviewer)
    with pytest.raises(DomainError, match="未知的材料类型"):
        services.reward_document_add(reward=reward, kind="contract", upload=upload(), by=county_official)
    services.reward_submit(reward=reward, by=county_official)
    with pytest.raises(DomainError, match="修改申报材料"):
        services.reward_document_add(reward=reward, kind="other", upload=upload(), by=county_official)
    with pytest.raises(DomainError, match="修改申报材料"):
        services.reward_document_remove(document=doc, by=county_official)
    services.reward_return(reward=reward, by=reviewer, reason="请重新上传")
    storage, name = doc.file.storage, doc.file.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.reward_document_remove(document=doc, by=county_official)
    assert not RewardDocument.objects.filter(pk=doc.pk).exists()
    assert "incentives.reward.document_removed" in actions(reward)
    assert storage.exists(name)  # the file goes only once the removal is committed
    for callback in callbacks:
        callback()
    assert not storage.exists(name)


# --- revocation ---------------------------------------------------------------------------------


def revoke(reward, by):
    return ent_services.qualification_revoke(
        qualification=reward.qualification, revoked_on=D(2025, 6, 1), reason="弄虚作假", by=by
    )


def test_revocation_before_payment_cancels_the_reward(county_official, reviewer):
    reward = submitted_reward(county_official)
    revoke(reward, reviewer)
    reward = fresh(reward)
    assert reward.status == S.CANCELLED
    assert set(reward.lines.values_list("status", flat=True)) == {L.CANCELLED}
    last = reward.decisions.last()
    assert (last.from_status, last.to_status) == (S.SUBMITTED, S.CANCELLED)
    assert "弄虚作假" in last.comment
    assert "incentives.reward.cancelled" in actions(reward)
    assert not Recovery.objects.exists()


def test_revocation_takes_lines_out_of_a_draft_batch_and_cancels_them_in_a_locked_one(county_official):
    reward = RewardWithLinesFactory(status=S.APPROVED, enterprise__jurisdiction=county_official.jurisdiction)
    city, county = reward.lines.order_by("source")  # city, county
    draft = PayoutBatchFactory(status=PayoutBatch.Status.DRAFT)
    locked = PayoutBatchFactory(
        source="county", jurisdiction=reward.jurisdiction, status=PayoutBatch.Status.LOCKED
    )
    FundingLine.objects.filter(pk=city.pk).update(status=L.BATCHED, batch=draft)
    FundingLine.objects.filter(pk=county.pk).update(status=L.BATCHED, batch=locked)
    revoke(reward, county_official)
    city, county = fresh(city), fresh(county)
    assert (city.status, city.batch) == (L.CANCELLED, None)
    assert (county.status, county.batch) == (L.CANCELLED, locked)  # stays on the locked sheet, cancelled
    assert fresh(reward).status == S.CANCELLED
    assert AuditLog.objects.filter(
        action="incentives.batch.line_cancelled", object_id=str(locked.pk)
    ).exists()
    assert locked.lines.exclude(status=L.CANCELLED).count() == 0


def test_revocation_after_payment_opens_a_recovery_and_leaves_the_payment(county_official, reviewer):
    reward = RewardWithLinesFactory(status=S.APPROVED, enterprise__jurisdiction=county_official.jurisdiction)
    city, county = reward.lines.order_by("source")
    batch = PayoutBatchFactory(status=PayoutBatch.Status.LOCKED)
    FundingLine.objects.filter(pk=city.pk).update(status=L.PAID, batch=batch)
    payment = PaymentFactory(line=fresh(city))
    before = Payment.objects.filter(pk=payment.pk).values().get()

    revoke(reward, reviewer)

    recovery = Recovery.objects.get()
    assert recovery.payment == payment
    assert recovery.amount == payment.amount == Decimal("150000.00")
    assert recovery.status == Recovery.Status.OPEN
    assert "弄虚作假" in recovery.reason
    assert recovery.opened_by == reviewer
    assert Payment.objects.filter(pk=payment.pk).values().get() == before
    assert fresh(city).status == L.PAID
    assert fresh(county).status == L.CANCELLED
    assert fresh(reward).status == S.APPROVED  # a paid record is never edited
    assert AuditLog.objects.filter(action="incentives.recovery.opened", object_id=str(recovery.pk)).exists()
    assert "incentives.reward.qualification_revoked" in actions(reward)


def test_revocation_of_a_fully_paid_reward_recovers_every_payment(county_official):
    reward = RewardWithLinesFactory(status=S.PAID, enterprise__jurisdiction=county_official.jurisdiction)
    batch = PayoutBatchFactory(status=PayoutBatch.Status.PAID)
    for line in reward.lines.all():
        FundingLine.objects.filter(pk=line.pk).update(status=L.PAID, batch=batch)
        PaymentFactory(line=fresh(line))
    revoke(reward, county_official)
    assert Recovery.objects.count() == 2
    assert sum(r.amount for r in Recovery.objects.all()) == Decimal("300000.00")
    assert fresh(reward).status == S.PAID


def test_mark_paid_when_every_live_line_is_paid(county_official):
    reward = RewardWithLinesFactory(status=S.APPROVED, enterprise__jurisdiction=county_official.jurisdiction)
    city, county = reward.lines.order_by("source")
    batch = PayoutBatchFactory(status=PayoutBatch.Status.LOCKED)
    FundingLine.objects.filter(pk=city.pk).update(status=L.PAID, batch=batch)
    finance = UserFactory(username="fin_mark", role=Role.CITY_FINANCE, jurisdiction=None)
    assert services.reward_mark_paid_if_complete(reward=reward, by=finance).status == S.APPROVED
    FundingLine.objects.filter(pk=county.pk).update(status=L.PAID, batch=batch)
    assert services.reward_mark_paid_if_complete(reward=reward, by=finance).status == S.PAID
    assert fresh(reward).status == S.PAID
    assert reward.decisions.get().to_status == S.PAID
    assert services.reward_mark_paid_if_complete(reward=reward, by=finance).status == S.PAID  # idempotent
    assert reward.decisions.count() == 1
