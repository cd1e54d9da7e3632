"""A batch's reward notice (奖励通知) and payout sheet (拨付表) issued as PDFs: their text read back, who
may issue them, and the batch page's buttons and list."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import IssuedDocument
from anyang_hte.core.roles import Role
from incentives.models import FundingLine, FundingSource, PayoutBatch, RewardRule
from incentives.services import batch_document_issue
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction, make_credit_code
from tests.incentives.factories import FundingLineFactory, PayoutBatchFactory, RewardFactory
from tests.pdf_text import flat_text

pytestmark = [pytest.mark.django_db]

YEAR = timezone.localdate().year
# (jurisdiction, enterprise, rule, amount, 大写)
LINES = [
    ("410502", "安阳市鑫源科技有限公司", "HTE_NEW", "150000.00", "壹拾伍万元整"),
    ("410581", "林州市红旗渠新材料有限公司", "LITTLE_GIANT", "300000.00", "叁拾万元整"),
    ("410505", "安阳殷都精密机械有限公司", "HTE_NEW", "123456.78", "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"),
]
TOTAL, TOTAL_WORDS = "573,456.78", "伍拾柒万叁仟肆佰伍拾陆元柒角捌分"


@pytest.fixture
def city_finance():
    return UserFactory(role=Role.CITY_FINANCE, jurisdiction=None, display_name="李经办")


def make_batch(
    finance, *, source=FundingSource.CITY, juris=None, status=PayoutBatch.Status.LOCKED, lines=LINES
):
    batch = PayoutBatchFactory(
        name="2026年第一批高企奖励资金",
        source=source,
        jurisdiction=juris,
        status=status,
        created_by=finance,
        locked_at=timezone.now() if status != PayoutBatch.Status.DRAFT else None,
    )
    for n, (code, name, rule, amount, _words) in enumerate(lines):
        enterprise = EnterpriseFactory(
            name=name,
            jurisdiction=juris or jurisdiction(code),
            credit_code=make_credit_code(700 + n, code),
            bank_account="6222021234567890123",
        )
        reward = RewardFactory(
            enterprise=enterprise, rule=RewardRule.objects.get(code=rule), status="approved"
        )
        FundingLineFactory(
            reward=reward,
            source=source,
            amount=Decimal(amount),
            status=FundingLine.Status.BATCHED,
            batch=batch,
        )
    return batch


@pytest.fixture
def batch(city_finance):
    return make_batch(city_finance)


def test_the_reward_notice_lists_firms_codes_amounts_and_words(batch, city_finance):
    document = batch_document_issue(batch=batch, kind="reward_notice", by=city_finance)
    assert document.number == f"安财奖〔{YEAR}〕1号" and document.issuing_unit == "安阳市财政局"
    text = flat_text(document)
    assert "安阳市财政局" in text and document.number in text
    for _code, name, _rule, _amount, words in LINES:
        assert name in text and words in text
    for line in batch.lines.select_related("reward__enterprise"):
        assert line.reward.enterprise.credit_code in text
    assert "150,000.00" in text and "123,456.78" in text
    assert TOTAL in text and TOTAL_WORDS in text
    assert "资金来源：市级财政" in text
    assert "6222021234567890123" not in text  # never the bank account
    assert document.snapshot["total"] == "573456.78" and len(document.snapshot["lines"]) == 3
    assert document.source_id == batch.pk and document.source_label == batch.name


def test_the_payout_sheet_has_lines_total_and_signature_block(batch, city_finance):
    document = batch_document_issue(batch=batch, kind="payout_sheet", by=city_finance)
    assert document.number == f"安财拨〔{YEAR}〕1号"
    text = flat_text(document)
    for _code, name, _rule, _amount, words in LINES:
        assert name in text and words in text
    assert TOTAL in text and TOTAL_WORDS in text and "共3笔" in text
    for label in ("经办人", "审核人", "负责人", "单位盖章"):
        assert label in text
    assert "6222021234567890123" not in text and "开户银行" not in text


def test_a_county_batch_is_issued_in_the_county_finance_name(db):
    wf = jurisdiction("410502")
    finance = UserFactory(role=Role.COUNTY_FINANCE, jurisdiction=wf)
    batch = make_batch(finance, source=FundingSource.COUNTY, juris=wf, lines=LINES[:1])
    document = batch_document_issue(batch=batch, kind="reward_notice", by=finance)
    assert document.issuing_unit == "文峰区财政局"
    assert document.prefix.endswith("财奖") and document.prefix != "安财奖"
    text = flat_text(document)
    assert "文峰区财政局" in text and "县区财政（文峰区）" in text


def test_reissue_keeps_the_old_file_and_takes_a_new_number(batch, city_finance):
    first = batch_document_issue(batch=batch, kind="payout_sheet", by=city_finance)
    notice = batch_document_issue(batch=batch, kind="reward_notice", by=city_finance)
    second = batch_document_issue(batch=batch, kind="payout_sheet", by=city_finance)
    first.refresh_from_db()
    assert (first.serial, second.serial, notice.serial) == (1, 2, 1)  # each prefix its own series
    assert not first.is_latest and second.is_latest and notice.is_latest
    assert first.file.storage.exists(first.file.name) and first.sha256
    assert IssuedDocument.objects.count() == 3


@pytest.mark.parametrize("role", [Role.TECH_REVIEWER, Role.COUNTY_FINANCE, Role.COUNTY_OFFICIAL, Role.ADMIN])
def test_only_the_paying_office_issues(batch, role):
    with pytest.raises(DomainError):
        batch_document_issue(batch=batch, kind="reward_notice", by=UserFactory(role=role))
    assert not IssuedDocument.objects.exists()


def test_another_county_finance_cannot_issue_a_county_batch(db):
    wf, lz = jurisdiction("410502"), jurisdiction("410581")
    batch = make_batch(UserFactory(role=Role.COUNTY_FINANCE, jurisdiction=wf), source="county", juris=wf)
    with pytest.raises(DomainError, match="本县区"):
        batch_document_issue(
            batch=batch, kind="payout_sheet", by=UserFactory(role=Role.COUNTY_FINANCE, jurisdiction=lz)
        )


def test_a_draft_batch_is_not_issued(city_finance):
    batch = make_batch(city_finance, status=PayoutBatch.Status.DRAFT)
    with pytest.raises(DomainError, match="锁定"):
        batch_document_issue(batch=batch, kind="reward_notice", by=city_finance)


def test_the_batch_page_offers_the_buttons_and_lists_what_was_issued(client, batch, city_finance):
    client.force_login(city_finance)
    url = reverse("incentives:batch_detail", args=[batch.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="issue-reward-notice"' in page and 'data-testid="issue-payout-sheet"' in page
    response = client.post(reverse("incentives:batch_document_issue", args=[batch.pk, "payout_sheet"]))
    assert response.status_code == 302
    document = IssuedDocument.objects.get()
    page = client.get(url).content.decode()
    assert reverse("document_download", args=[document.pk]) in page and document.number in page


def test_a_draft_batch_page_says_why_there_is_no_button(client, city_finance):
    batch = make_batch(city_finance, status=PayoutBatch.Status.DRAFT)
    client.force_login(city_finance)
    page = client.get(reverse("incentives:batch_detail", args=[batch.pk])).content.decode()
    assert 'data-testid="issue-reward-notice"' not in page and 'data-testid="issue-reason"' in page


def test_another_office_posting_the_button_is_refused(client, batch):
    client.force_login(UserFactory(role=Role.COUNTY_FINANCE))
    response = client.post(reverse("incentives:batch_document_issue", args=[batch.pk, "reward_notice"]))
    assert response.status_code == 404  # not its batch: as if it did not exist
    assert not IssuedDocument.objects.exists()


def test_a_large_batch_is_rendered_by_a_worker_and_the_issuer_told(
    client, batch, city_finance, settings, django_capture_on_commit_callbacks
):
    from anyang_hte.core.models import Notification

    settings.DOCUMENT_INLINE_LINES = 2  # the batch has 3 lines; Celery runs in-process in tests
    client.force_login(city_finance)
    url = reverse("incentives:batch_document_issue", args=[batch.pk, "reward_notice"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "已转入后台生成" in response.content.decode()
    document = IssuedDocument.objects.get()
    note = Notification.objects.get(user=city_finance)
    assert document.number in note.title and note.url == reverse("document_download", args=[document.pk])
