"""The official-list pages: upload → preview (nothing written) → confirm (exactly what was shown) or
cancel; malformed credit codes warned about; a stale preview refused; the rows' follow-up after import."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from anyang_hte.core.models import AuditLog
from enterprises.models import Enterprise, Qualification
from incentives.models import FundingLine, OfficialList, OfficialListRow, Reward
from tests.factories import EnterpriseFactory, QualificationFactory, jurisdiction, make_credit_code

from .test_official_lists import CODE_A, CODE_NEW, GRANTED, TITLE, list_rows, xlsx

pytestmark = pytest.mark.django_db

UPLOAD = reverse("incentives:official_list_upload")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def enterprises():
    by_code = EnterpriseFactory(name="安阳市甲科技有限公司", credit_code=CODE_A)
    by_name = EnterpriseFactory(
        name="安阳市华远（河南）新材料有限公司",
        credit_code=make_credit_code(504),
        jurisdiction=jurisdiction("410581"),
    )
    return by_code, by_name


def everything():
    return (
        OfficialList.objects.count(),
        OfficialListRow.objects.count(),
        Qualification.objects.count(),
        Reward.objects.count(),
        FundingLine.objects.count(),
        AuditLog.objects.count(),
    )


def upload(client, data: bytes, *, kind="hte", granted_on=GRANTED, name="名单.xlsx", title=""):
    return client.post(
        UPLOAD,
        {
            "kind": kind,
            "granted_on": granted_on.isoformat(),
            "title": title,
            "file": SimpleUploadedFile(name, data),
        },
    )


def stashed(tmp_path):
    return sorted(p.name for p in (tmp_path / "imports" / "official_lists").glob("*"))


@pytest.fixture
def previewed(client, reviewer, enterprises):
    """The reviewer has uploaded the list and is on its preview."""
    client.force_login(reviewer)
    response = upload(client, xlsx(list_rows()))
    assert response.status_code == 302
    return response["Location"]


def digest_of(page) -> str:
    return page.context["plan"].digest


def test_upload_leads_to_a_preview_and_writes_nothing(client, reviewer, enterprises, tmp_path):
    client.force_login(reviewer)
    before = everything()

    response = upload(client, xlsx(list_rows()))

    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert response["Location"] == reverse("incentives:official_list_preview", args=[token])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert everything() == before  # nothing written before confirm
    assert len(stashed(tmp_path)) == 1


def test_the_preview_shows_matches_money_and_totals(client, previewed, enterprises):
    by_code, by_name = enterprises
    page = client.get(previewed)
    body = page.content.decode()

    assert TITLE in body and "2025-11-30" in body and "高新技术企业认定名单" in body
    rows = {r.number: r for r in page.context["plan"].rows}
    assert [rows[n].outcome for n in (4, 5, 6, 7)] == ["new", "new", "unmatched", "unmatched"]
    assert by_code.name in body and by_name.name in body
    assert "按信用代码" in body and "按企业名称" in body
    assert "新认定高新技术企业奖励" in body
    assert "15.00" in body  # each share: 150,000 yuan in 万元
    totals = body[body.index('data-testid="preview-totals"') :]
    assert "合计 4 行" in totals
    assert "匹配新登记 2 · 已登记 0 · 未匹配 2" in totals
    assert "奖励 2 笔" in totals
    assert "60.00" in totals and "600,000.00 元" in totals  # 万元 and exact yuan
    assert totals.count("300,000.00 元") == 2  # the city's and the counties' shares
    assert 'name="digest"' in body and "确认导入" in body


def test_the_preview_shows_already_recorded_grants(client, reviewer, enterprises):
    _by_code, by_name = enterprises
    QualificationFactory(enterprise=by_name, kind="hte", granted_on=GRANTED)
    client.force_login(reviewer)
    page = client.get(upload(client, xlsx(list_rows()))["Location"])
    body = page.content.decode()
    assert "已登记，无变化" in body
    assert "匹配新登记 1 · 已登记 1 · 未匹配 2" in body
    assert page.context["plan"].amount == Decimal("300000.00")


def test_malformed_codes_are_warned_about_on_the_preview(client, reviewer, enterprises):
    by_code, _by_name = enterprises
    short = CODE_A[:17]
    rows = [
        [1, "安阳市甲科技有限公司", short, None, None],  # a code one character short, a known name
        [2, "外地某公司", CODE_A[:10] + "O" + CODE_A[11:], None, None],  # a letter O, an unknown name
    ]
    client.force_login(reviewer)
    page = client.get(upload(client, xlsx(rows))["Location"])
    body = page.content.decode()

    warnings = body[body.index('data-testid="list-warnings"') :]
    assert f"第4行：统一社会信用代码“{short}”为17位，应为18位。" in warnings
    assert "第5行：统一社会信用代码" in warnings and "“O”" in warnings
    first, second = page.context["plan"].rows
    assert (first.outcome, first.enterprise, first.matched_by) == ("new", by_code, "name")
    assert second.outcome == "unmatched"
    assert body.count('data-testid="row-warning"') == 2

    client.post(page.request["PATH_INFO"], {"digest": digest_of(page)})
    row = OfficialListRow.objects.get(row_number=4)
    assert row.enterprise == by_code and "为17位，应为18位" in row.warning
    detail = client.get(reverse("incentives:official_list_detail", args=[row.official_list_id]))
    assert "为17位，应为18位" in detail.content.decode()


def test_confirm_imports_what_the_preview_showed(client, previewed, enterprises, tmp_path):
    page = client.get(previewed)

    response = client.post(previewed, {"digest": digest_of(page)}, follow=True)

    official = OfficialList.objects.get()
    assert response.redirect_chain[-1][0] == reverse("incentives:official_list_detail", args=[official.pk])
    assert "导入完成：匹配 2 家，未匹配 2 家，新登记资质 2 项，新生成奖励 2 笔。" in response.content.decode()
    assert (official.matched, official.unmatched, official.new_qualifications, official.new_rewards) == (
        2,
        2,
        2,
        2,
    )
    assert sorted(Reward.objects.values_list("amount", flat=True)) == [Decimal("300000.00")] * 2
    assert stashed(tmp_path) == []  # the kept file is gone
    assert client.get(previewed).status_code == 404  # and the preview with it


def test_cancel_discards_the_upload(client, previewed, enterprises, tmp_path):
    token = previewed.rstrip("/").rsplit("/", 1)[-1]
    before = everything()

    response = client.post(reverse("incentives:official_list_cancel", args=[token]), follow=True)

    assert response.redirect_chain[-1][0] == UPLOAD
    assert "已取消导入，未写入任何数据。" in response.content.decode()
    assert everything() == before and stashed(tmp_path) == []
    assert client.get(previewed).status_code == 404
    assert client.post(previewed, {"digest": "x"}).status_code == 404


def test_a_stale_preview_is_refused_and_the_new_one_shown(client, previewed, enterprises):
    old = client.get(previewed)
    # meanwhile the county enters the enterprise of row 7 in the ledger: it would now be matched
    EnterpriseFactory(name="安阳新星光电有限公司", credit_code=CODE_NEW, jurisdiction=jurisdiction("410522"))
    before = everything()

    response = client.post(previewed, {"digest": digest_of(old)}, follow=True)

    assert everything() == before  # nothing written
    assert response.redirect_chain[-1][0] == previewed
    body = response.content.decode()
    assert "名单或台账在预览之后有了变化" in body and "请查看新的预览后再确认" in body
    new = response.context["plan"]
    assert {r.number: r.outcome for r in new.rows}[7] == "new"
    assert new.digest != digest_of(old)

    client.post(previewed, {"digest": new.digest})
    assert OfficialList.objects.get().new_qualifications == 3
    assert Reward.objects.filter(jurisdiction=jurisdiction("410522")).count() == 1


def test_confirm_without_the_previews_digest_is_refused(client, previewed, enterprises):
    before = everything()
    response = client.post(previewed, follow=True)
    assert "预览之后有了变化" in response.content.decode()
    assert everything() == before


def test_a_file_that_cannot_be_read_stays_on_the_form(client, reviewer, enterprises, tmp_path):
    client.force_login(reviewer)
    response = upload(client, xlsx([[1, "x"]], header=["序号", "名字"]), title="第一批")
    assert response.status_code == 200
    body = response.content.decode()
    assert "没有找到表头" in body and "未能读取" in body
    form = response.context["form"]
    assert form.data["title"] == "第一批" and form.data["kind"] == "hte"
    assert stashed(tmp_path) == [] and not OfficialList.objects.exists()


def test_a_future_date_is_refused_on_the_form(client, reviewer, enterprises):
    client.force_login(reviewer)
    tomorrow = timezone.localdate() + datetime.timedelta(days=2)
    response = upload(client, xlsx(list_rows()), granted_on=tomorrow)
    assert response.status_code == 200
    assert "认定日期不能晚于今天" in response.content.decode()
    assert response.context["form"].errors["granted_on"]


def test_a_list_imported_before_offers_no_confirm(client, reviewer, enterprises):
    client.force_login(reviewer)
    data = xlsx(list_rows())
    first = client.get(upload(client, data)["Location"])
    client.post(first.request["PATH_INFO"], {"digest": digest_of(first)})

    again = client.get(upload(client, data)["Location"])

    body = again.content.decode()
    assert 'data-testid="list-already-imported"' in body and "再次导入不会有任何变更" in body
    assert 'name="digest"' not in body


def test_county_official_cannot_reach_the_preview(client, county_official, previewed):
    client.force_login(county_official)
    assert client.get(UPLOAD).status_code == 403
    assert client.get(previewed).status_code == 403


def test_another_sessions_token_is_not_found(client, previewed, reviewer):
    client.logout()
    client.force_login(reviewer)  # a new session: the token is not among its uploads
    assert client.get(previewed).status_code == 404


def test_unmatched_rows_can_be_linked_created_or_ignored_after_import(client, previewed, enterprises):
    page = client.get(previewed)
    client.post(previewed, {"digest": digest_of(page)})
    official = OfficialList.objects.get()
    rows = {r.row_number: r for r in official.rows.all()}

    def act(row, action, data):
        url = reverse("incentives:official_list_row_action", args=[official.pk, row.pk, action])
        return client.post(url, data, follow=True).content.decode()

    assert "已处理第 6 行" in act(rows[6], "ignore", {"reason": "郑州市企业"})
    body = act(rows[7], "create", {"jurisdiction": jurisdiction("410522").pk, "credit_code": CODE_NEW})
    assert "已处理第 7 行" in body
    assert Enterprise.objects.get(credit_code=CODE_NEW).name == "安阳新星光电有限公司"
    official.refresh_from_db()
    assert (official.matched, official.unmatched, official.new_qualifications) == (3, 0, 3)
