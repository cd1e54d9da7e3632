"""The reward, batch and official-list pages in daily use: only legal moves are offered (with a line
saying why not), a refused form keeps what was typed and marks the field, irreversible moves ask first,
the review queue shows how long each reward has waited, and the lists export as shown with a 合计 row."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from anyang_hte.core.roles import Role
from incentives.models import FundingLine, OfficialList, OfficialListRow, PayoutBatch, Reward
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction

from .factories import PayoutBatchFactory, RewardDocumentFactory, RewardWithLinesFactory, publicized

pytestmark = pytest.mark.django_db
S = Reward.Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def wf():
    return jurisdiction("410502")


def reward_in(status, *, by=None, papers=True, **enterprise):
    enterprise.setdefault("bank_name", "中国银行")
    enterprise.setdefault("bank_account", "6217000012345678")
    reward = RewardWithLinesFactory(
        enterprise=EnterpriseFactory(jurisdiction=wf(), **enterprise), status=status, submitted_by=by
    )
    if papers:
        RewardDocumentFactory(reward=reward, kind="certificate")
        RewardDocumentFactory(reward=reward, kind="bank")
    return reward


def page(client, reward) -> str:
    return client.get(reverse("incentives:reward_detail", args=[reward.pk])).content.decode()


# --- 1. only legal actions are offered --------------------------------------------------------------

COUNTY_LINES = {
    S.SUBMITTED: "已提交，等待市科技局审核",
    S.APPROVED: "已批准，等待财政拨付",
    S.REJECTED: "已决定不予奖励",
    S.PAID: "已全部拨付",
    S.CANCELLED: "奖励已取消",
}


@pytest.mark.parametrize("status", sorted(COUNTY_LINES))
def test_the_county_sees_no_submit_button_once_submitted(client, county_official, status):
    reward = reward_in(status, by=county_official)
    client.force_login(county_official)
    body = page(client, reward)
    assert "提交市科技局审核</button>" not in body
    assert 'data-testid="no-action"' in body and COUNTY_LINES[status] in body
    # Nor the document upload: the papers are fixed, and the page says why.
    upload = reverse("incentives:document_upload", args=[reward.pk])
    assert f'action="{upload}"' not in body
    assert 'data-testid="documents-fixed"' in body


@pytest.mark.parametrize("status", [S.GENERATED, S.RETURNED])
def test_the_county_may_submit_while_generated_or_returned(client, county_official, status):
    reward = reward_in(status)
    client.force_login(county_official)
    body = page(client, reward)
    assert "提交市科技局审核</button>" in body and 'data-testid="no-action"' not in body


REVIEWER_LINES = {
    S.GENERATED: "待申报：等待县区科技部门",
    S.RETURNED: "已退回：等待县区修改后重新提交",
    S.APPROVED: "已批准，等待财政拨付",
    S.PAID: "已全部拨付",
}


@pytest.mark.parametrize("status", sorted(REVIEWER_LINES))
def test_the_reviewer_sees_the_review_form_only_on_submitted_rewards(
    client, county_official, reviewer, status
):
    client.force_login(reviewer)
    body = page(client, reward_in(status, by=county_official))
    assert 'data-testid="review-form"' not in body
    assert REVIEWER_LINES[status] in body
    assert 'data-testid="review-form"' in page(client, reward_in(S.SUBMITTED, by=county_official))


def test_finance_reads_where_the_reward_stands(client, county_official):
    client.force_login(UserFactory(username="fin_r", role=Role.CITY_FINANCE, jurisdiction=None))
    body = page(client, reward_in(S.SUBMITTED, by=county_official))
    assert "已提交，等待市科技局审核" in body and "只有市科技局审核员" not in body


def test_a_draft_batch_without_lines_offers_no_lock_and_says_why(client):
    finance = UserFactory(username="fin_b", role=Role.CITY_FINANCE, jurisdiction=None)
    batch = PayoutBatchFactory(created_by=finance)
    client.force_login(finance)
    body = client.get(reverse("incentives:batch_detail", args=[batch.pk])).content.decode()
    assert 'data-testid="batch-lock"' not in body and "编入后才能锁定" in body
    assert 'data-testid="payment-form"' not in body


def _batch_with_line(finance, status):
    batch = PayoutBatchFactory(created_by=finance, status=status)
    reward = RewardWithLinesFactory(enterprise=EnterpriseFactory(jurisdiction=wf()), status=S.APPROVED)
    line = reward.lines.get(source="city")
    line.status, line.batch = FundingLine.Status.BATCHED, batch
    line.save()
    publicized([reward])  # its 公示 has ended: the page offers payment
    return batch


def test_lock_and_pay_offered_only_when_legal_and_each_asks_first(client):
    finance = UserFactory(username="fin_c", role=Role.CITY_FINANCE, jurisdiction=None)
    client.force_login(finance)
    draft = _batch_with_line(finance, PayoutBatch.Status.DRAFT)
    body = client.get(reverse("incentives:batch_detail", args=[draft.pk])).content.decode()
    assert 'data-testid="batch-lock"' in body and 'data-testid="payment-form"' not in body
    assert "也不能解锁。确定锁定？" in body  # the confirm() question
    locked = _batch_with_line(finance, PayoutBatch.Status.LOCKED)
    body = client.get(reverse("incentives:batch_detail", args=[locked.pk])).content.decode()
    assert 'data-testid="batch-lock"' not in body and 'data-testid="payment-form"' in body
    assert "确定已按本批次拨付？" in body
    paid = PayoutBatchFactory(created_by=finance, status=PayoutBatch.Status.PAID)
    body = client.get(reverse("incentives:batch_detail", args=[paid.pk])).content.decode()
    assert 'data-testid="payment-form"' not in body and 'data-testid="batch-lock"' not in body


def test_reject_asks_first(client, county_official, reviewer):
    client.force_login(reviewer)
    body = page(client, reward_in(S.SUBMITTED, by=county_official))
    assert 'data-confirm-when="action=reject"' in body  # static/js/portal.js asks, only for a rejection
    assert "不予奖励后不能撤销" in body


# --- 4. refusals keep what was typed ---------------------------------------------------------------


def test_return_without_a_reason_keeps_the_choice_and_marks_the_field(client, county_official, reviewer):
    reward = reward_in(S.SUBMITTED, by=county_official)
    client.force_login(reviewer)
    response = client.post(reverse("incentives:reward_review", args=[reward.pk]), {"action": "return"})
    assert response.status_code == 200
    form = response.context["review_form"]
    assert form["action"].value() == "return" and "comment" in form.errors
    body = response.content.decode()
    assert re.search(r'value="return"\s+required id="id_action_1" checked', body)  # the choice kept
    assert "is-invalid" in body and "退回或不予奖励时必须填写理由" in body
    reward.refresh_from_db()
    assert reward.status == S.SUBMITTED


def test_a_refused_approval_keeps_the_comment(client, county_official, reviewer):
    reward = reward_in(S.SUBMITTED, by=county_official, papers=False)
    client.force_login(reviewer)
    response = client.post(
        reverse("incentives:reward_review", args=[reward.pk]), {"action": "approve", "comment": "同意拨付"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "同意拨付</textarea>" in body and "申报材料不全，不能批准" in body


def test_a_refused_submission_keeps_the_comment(client, county_official):
    reward = reward_in(S.GENERATED, papers=False)
    client.force_login(county_official)
    response = client.post(reverse("incentives:reward_submit", args=[reward.pk]), {"comment": "请尽快审核"})
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        "请尽快审核</textarea>" in body
        and 'data-testid="submit-refusal"' in body
        and "申报前请先补充" in body
    )


def test_a_refused_upload_keeps_the_type_and_marks_the_file(client, county_official):
    from django.core.files.uploadedfile import SimpleUploadedFile

    reward = reward_in(S.GENERATED, papers=False)
    client.force_login(county_official)
    response = client.post(
        reverse("incentives:document_upload", args=[reward.pk]),
        {"kind": "bank", "file": SimpleUploadedFile("a.exe", b"MZ\x90\x00")},
    )
    assert response.status_code == 200
    form = response.context["document_form"]
    assert form["kind"].value() == "bank" and "file" in form.errors


def test_a_payment_dated_tomorrow_keeps_the_voucher_and_marks_the_date(client):
    finance = UserFactory(username="fin_p", role=Role.CITY_FINANCE, jurisdiction=None)
    batch = _batch_with_line(finance, PayoutBatch.Status.LOCKED)
    client.force_login(finance)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        reverse("incentives:batch_action", args=[batch.pk, "pay"]),
        {"paid_on": tomorrow.isoformat(), "reference": "PZ-2026-0099"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="PZ-2026-0099"' in body and tomorrow.isoformat() in body
    assert "拨付日期不能晚于今天" in body and "paid_on" in response.context["payment_form"].errors
    assert not FundingLine.objects.filter(batch=batch, status=FundingLine.Status.PAID).exists()


def test_a_batch_without_a_name_keeps_the_list_and_marks_the_name(client):
    finance = UserFactory(username="fin_n", role=Role.CITY_FINANCE, jurisdiction=None)
    RewardWithLinesFactory(enterprise=EnterpriseFactory(jurisdiction=wf()), status=S.APPROVED)
    client.force_login(finance)
    response = client.post(reverse("incentives:batch_create") + "?source=city", {"name": "  "})
    assert response.status_code == 200
    body = response.content.decode()
    assert "is-invalid" in body and 'id="batch-name-error"' in body
    assert not PayoutBatch.objects.exists()


def test_a_refused_official_list_row_keeps_what_was_typed(client, reviewer):
    official = OfficialList.objects.create(
        kind="hte", granted_on=datetime.date(2025, 11, 30), filename="l.xlsx", checksum="2" * 64
    )
    row = OfficialListRow.objects.create(
        official_list=official, row_number=3, name="某公司", status="unmatched"
    )
    client.force_login(reviewer)
    url = reverse("incentives:official_list_row_action", args=[official.pk, row.pk, "link"])
    response = client.post(url, {"credit_code": "91410500MA00000001"})
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        'value="91410500MA00000001"' in body and "is-invalid" in body and "台账中没有统一社会信用代码" in body
    )
    url = reverse("incentives:official_list_row_action", args=[official.pk, row.pk, "ignore"])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and "reason" in response.context["failed_form"].errors
    url = reverse("incentives:official_list_row_action", args=[official.pk, row.pk, "create"])
    response = client.post(url, {"jurisdiction": str(wf().pk), "credit_code": "ABC"})
    body = response.content.decode()
    assert response.status_code == 200 and 'value="ABC"' in body
    assert f'<option value="{wf().pk}" selected>' in body
    row.refresh_from_db()
    assert row.status == "unmatched"


# --- 5. the review queue shows when each reward was submitted and how long it has waited ----------


def test_the_queue_shows_submission_date_and_days_waiting(client, county_official, reviewer):
    older = reward_in(S.SUBMITTED, by=county_official, name="早提交科技公司")
    newer = reward_in(S.SUBMITTED, by=county_official, name="晚提交科技公司")
    now = timezone.now()
    Reward.objects.filter(pk=older.pk).update(submitted_at=now - datetime.timedelta(days=12))
    Reward.objects.filter(pk=newer.pk).update(submitted_at=now - datetime.timedelta(days=2))
    client.force_login(reviewer)
    response = client.get(reverse("incentives:reward_list"), {"status": "submitted"})
    body = response.content.decode()
    assert "提交日期" in body and "等待天数" in body
    assert (timezone.localdate() - datetime.timedelta(days=12)).isoformat() in body
    assert body.index("早提交科技公司") < body.index("晚提交科技公司")  # the longest waiting first
    rows = {r.record.pk: r for r in response.context["table"].rows}
    assert rows[older.pk].get_cell("waiting") == 12 and rows[newer.pk].get_cell("waiting") == 2


# --- 6. exports next to the reward list, the review queue and the funding lines -------------------


def _sheet(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_the_queue_exports_in_the_order_shown_with_a_totals_row(client, county_official, reviewer):
    older = reward_in(S.SUBMITTED, by=county_official, name='=HYPERLINK("x")早公司')
    newer = reward_in(S.SUBMITTED, by=county_official, name="晚公司")
    reward_in(S.APPROVED, name="已批准公司")
    RewardWithLinesFactory(
        enterprise=EnterpriseFactory(jurisdiction=jurisdiction("410581")), status=S.SUBMITTED
    )
    now = timezone.now()
    Reward.objects.filter(pk=older.pk).update(submitted_at=now - datetime.timedelta(days=5))
    Reward.objects.filter(pk=newer.pk).update(submitted_at=now - datetime.timedelta(days=1))
    client.force_login(county_official)  # scoped: the other county's reward is not in it
    body = client.get(reverse("incentives:reward_list"), {"status": "submitted"}).content.decode()
    assert reverse("incentives:reward_export", args=["xlsx"]) + "?status=submitted" in body
    sheet = _sheet(client.get(reverse("incentives:reward_export", args=["xlsx"]), {"status": "submitted"}))
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [row[1] for row in rows[:-1]] == ["'" + older.enterprise.name, "晚公司"]
    assert rows[0][10] == 5 and rows[1][10] == 1
    assert rows[-1][0] == "合计（2 笔）" and rows[-1][6] == Decimal("600000.00")
    # Sorted on the screen by enterprise name, descending: the export follows.
    sheet = _sheet(
        client.get(
            reverse("incentives:reward_export", args=["xlsx"]), {"status": "submitted", "sort": "-enterprise"}
        )
    )
    names = [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)][:-1]
    assert names == sorted(names, reverse=True)
    csv_body = b"".join(
        client.get(reverse("incentives:reward_export", args=["csv"])).streaming_content
    ).decode("utf-8-sig")
    assert "已批准公司" in csv_body and "合计（3 笔）" in csv_body and "900000.00" in csv_body
    assert client.get(reverse("incentives:reward_export", args=["pdf"])).status_code == 404


def test_the_funding_lines_export_with_a_totals_row(client):
    finance = UserFactory(username="fin_x", role=Role.COUNTY_FINANCE, jurisdiction=wf())
    for name in ("甲公司", "乙公司"):
        RewardWithLinesFactory(enterprise=EnterpriseFactory(jurisdiction=wf(), name=name), status=S.APPROVED)
    RewardWithLinesFactory(
        enterprise=EnterpriseFactory(jurisdiction=jurisdiction("410581")), status=S.APPROVED
    )
    client.force_login(finance)
    body = client.get(reverse("incentives:line_list")).content.decode()
    assert reverse("incentives:line_export", args=["xlsx"]) in body
    sheet = _sheet(client.get(reverse("incentives:line_export", args=["xlsx"]), {"sort": "enterprise"}))
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [row[1] for row in rows[:-1]] == sorted(["甲公司", "乙公司"])  # own county's share only
    assert {row[5] for row in rows[:-1]} == {"县区财政"}
    assert rows[-1][0] == "合计（2 笔）" and rows[-1][7] == Decimal("300000.00")
    client.force_login(UserFactory(username="rev_x", role=Role.TECH_REVIEWER, jurisdiction=None))
    assert client.get(reverse("incentives:line_export", args=["csv"])).status_code == 403
