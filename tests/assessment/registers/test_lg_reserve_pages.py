"""The Little Giant reserve's pages through the test client.

The list (scoped, filtered, exported with formulas neutralised, a bounded number of queries), an entry's
page offering only the moves that are legal now for the viewer, the move pages as confirmation steps
whose forms keep what was typed when the service refuses, and another county's entry or enterprise as
a 404. Every URL for every role is in ``test_registers.py``'s matrix and ``tests/core``'s.
"""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessment.registers.models import LittleGiantReserveEntry
from assessment.registers.services import lg_reserve_propose, lg_reserve_withdraw
from tests.factories import UserFactory, jurisdiction

from .lg_reserve_helpers import LZ, THIS_YEAR, WF, make_entry, make_firm
from .test_views import crumbs

pytestmark = [pytest.mark.django_db]

S = LittleGiantReserveEntry.Status
LIST = reverse("registers:lg_reserve")


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def listed(page: str) -> set[int]:
    """The enterprises in the list's rows (their ``data-enterprise``)."""
    import re

    return {int(pk) for pk in re.findall(r'data-testid="reserve-row" data-enterprise="(\d+)"', page)} | {
        int(pk) for pk in re.findall(r'data-enterprise="(\d+)" data-testid="reserve-row"', page)
    }


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def firms(db):
    return {
        "wf": make_firm(
            WF, name="文峰候选科技有限公司", sales=Decimal("10000000.00"), rd=Decimal("299999.99")
        ),
        "wf_ok": make_firm(WF, name="文峰达标科技有限公司"),
        "lz": make_firm(LZ, name="林州候选科技有限公司", field="new_materials"),
    }


def test_county_sees_its_own_candidates_with_each_figure(client, county_official, firms):
    client.force_login(county_official)
    page = body(client.get(LIST))
    assert listed(page) == {firms["wf_ok"].pk}  # 2.9999999 % is not a candidate; 林州 is not theirs
    assert "文峰达标科技有限公司" in page and "林州候选科技有限公司" not in page
    assert "3.00%" in page and "30.00 / 1,000.00" in page  # 万元 R&D / revenue under the share
    assert f"{THIS_YEAR - 1}年研发费用/营业收入（万元）" in page
    assert 'name="jurisdiction"' not in page  # a county is offered no other county
    assert reverse("registers:lg_reserve_propose", args=[firms["wf_ok"].pk]) in page
    assert reverse("registers:lg_reserve_pick") in page
    assert crumbs(page) == [("科技小巨人备案", None)]


def test_city_wide_roles_see_every_county_with_filters(client, reviewer, firms):
    client.force_login(reviewer)
    page = body(client.get(LIST))
    assert listed(page) == {firms["wf_ok"].pk, firms["lz"].pk}
    assert 'name="jurisdiction"' in page
    assert "/propose/" not in page  # the bureau decides, it does not propose
    only_lz = body(client.get(LIST, {"jurisdiction": jurisdiction(LZ).pk}))
    assert listed(only_lz) == {firms["lz"].pk}
    materials = body(client.get(LIST, {"tech_field": "new_materials"}))
    assert listed(materials) == {firms["lz"].pk}


def test_the_status_filter_and_counts(client, reviewer, county_official, firms):
    make_entry(firms["wf_ok"], by=county_official)
    client.force_login(reviewer)
    page = body(client.get(LIST))
    assert 'data-status="proposed"' in page and "已推荐待确认" in page
    assert listed(body(client.get(LIST, {"status": S.PROPOSED}))) == {firms["wf_ok"].pk}
    assert listed(body(client.get(LIST, {"status": "none"}))) == {firms["lz"].pk}
    assert listed(body(client.get(LIST, {"status": S.CONFIRMED}))) == set()
    # An entry links to its page, where the bureau acts.
    entry = LittleGiantReserveEntry.objects.get()
    assert reverse("registers:lg_reserve_entry", args=[entry.pk]) in page


def test_a_past_year_is_shown_without_proposals(client, county_official, firms):
    client.force_login(county_official)
    page = body(client.get(LIST, {"year": THIS_YEAR - 1}))
    assert listed(page) == set()  # this year's registrations do not make last year's candidates
    assert f"{THIS_YEAR - 1}年科技小巨人备案" in page and reverse("registers:lg_reserve_pick") not in page
    assert listed(body(client.get(LIST, {"year": "1999"}))) == {firms["wf_ok"].pk}  # out of range: this year


def test_export_follows_scope_and_filters_and_neutralises_formulas(client, county_official, reviewer, firms):
    formula = make_firm(WF, name="=HYPERLINK(1)")
    make_entry(formula, by=county_official, note="@SUM(A1)")
    client.force_login(county_official)
    rows = csv_rows(client.get(reverse("registers:lg_reserve_export", args=["csv"])))
    assert rows[0][:3] == ["序号", "企业名称", "统一社会信用代码"]
    by_name = {r[1]: r for r in rows[1:]}
    assert set(by_name) == {"'=HYPERLINK(1)", "文峰达标科技有限公司"}
    ok = by_name["文峰达标科技有限公司"]
    assert ok[6:12] == ["10000000.00", "300000.00", "3.00", "0", "1", "是"]
    assert ok[13] == "符合条件，未推荐"
    assert by_name["'=HYPERLINK(1)"][13] == "已推荐待确认" and by_name["'=HYPERLINK(1)"][14] == "'@SUM(A1)"

    client.force_login(reviewer)
    response = client.get(
        reverse("registers:lg_reserve_export", args=["xlsx"]), {"jurisdiction": jurisdiction(LZ).pk}
    )
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [ws.cell(row=r, column=2).value for r in range(3, ws.max_row + 1)]
    assert names == ["林州候选科技有限公司"]
    assert ws.cell(row=3, column=9).value == Decimal("3.00") or ws.cell(row=3, column=9).value == 3
    assert client.get(reverse("registers:lg_reserve_export", args=["pdf"])).status_code == 404


def test_list_queries_do_not_grow_with_rows(client, reviewer, county_official, django_assert_max_num_queries):
    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    client.force_login(reviewer)
    make_entry(make_firm(WF), by=county_official)
    few = count_queries()
    for n in range(25):
        firm = make_firm(WF if n % 2 else LZ, ip2=n % 3)
        if n % 5 == 0:
            make_entry(firm, by=county_official, was_candidate=bool(n % 3), exception_reason="理由")
    assert count_queries() == few
    with django_assert_max_num_queries(
        10
    ):  # + the session's renewal (idle timeout) and the second factor's device: two per request
        assert client.get(LIST).status_code == 200


# --- an entry and its moves --------------------------------------------------------------------


def moves_on(page: str) -> set[str]:
    import re

    return set(re.findall(r'data-move="(\w+)"', page))


def test_each_viewer_is_offered_only_the_legal_moves(client, county_official, reviewer, firms):
    entry = lg_reserve_propose(enterprise=firms["wf_ok"], year=THIS_YEAR, by=county_official)
    url = reverse("registers:lg_reserve_entry", args=[entry.pk])
    county_finance = UserFactory(username="lg_cfin", role="county_finance", jurisdiction=jurisdiction(WF))
    for user, expected in (
        (county_official, {"withdraw"}),
        (reviewer, {"confirm", "decline"}),
        (county_finance, set()),
    ):
        client.force_login(user)
        assert moves_on(body(client.get(url))) == expected, user.role

    entry.status = S.CONFIRMED
    entry.save()
    for user, expected in ((county_official, set()), (reviewer, {"remove"})):
        client.force_login(user)
        assert moves_on(body(client.get(url))) == expected, user.role

    entry.status = S.WITHDRAWN
    entry.save()
    client.force_login(county_official)
    page = body(client.get(url))
    assert moves_on(page) == {"propose"}
    assert reverse("registers:lg_reserve_propose", args=[firms["wf_ok"].pk]) in page
    assert crumbs(page) == [("科技小巨人备案", LIST), (f"{THIS_YEAR}年 · 文峰达标科技有限公司", None)]


def test_another_countys_entry_and_enterprise_are_404(client, other_county_official, county_official, firms):
    entry = make_entry(firms["wf_ok"], by=county_official)
    client.force_login(other_county_official)
    for url in (
        reverse("registers:lg_reserve_entry", args=[entry.pk]),
        reverse("registers:lg_reserve_withdraw", args=[entry.pk]),
        reverse("registers:lg_reserve_propose", args=[firms["wf_ok"].pk]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x", "note": "x"}).status_code == 404, url
    assert LittleGiantReserveEntry.objects.get().status == S.PROPOSED


def test_a_county_proposes_a_candidate_through_the_page(client, county_official, reviewer, firms):
    client.force_login(county_official)
    url = reverse("registers:lg_reserve_propose", args=[firms["wf_ok"].pk])
    page = body(client.get(url))
    assert "exception_reason" not in page and "该企业符合" in page
    assert crumbs(page) == [
        ("科技小巨人备案", LIST),
        (f"推荐列入{THIS_YEAR}年科技小巨人备案：文峰达标科技有限公司", None),
    ]
    response = client.post(url, {"note": "主营工业传感器"})
    entry = LittleGiantReserveEntry.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "registers:lg_reserve_entry", args=[entry.pk]
    )
    assert (entry.status, entry.note, entry.proposed_by) == (S.PROPOSED, "主营工业传感器", county_official)
    # Proposed already: the page says so instead of offering the form again.
    page = body(client.get(url))
    assert 'data-testid="blocked"' in page and "当前状态为“已推荐待确认”，不能推荐。" in page


def test_a_non_candidate_needs_a_reason_and_keeps_what_was_typed(client, county_official, reviewer, firms):
    client.force_login(county_official)
    url = reverse("registers:lg_reserve_propose", args=[firms["wf"].pk])
    page = body(client.get(url))
    assert "不符合备案条件" in page and "研发费用占营业收入2.99%，低于3%" in page
    assert 'name="exception_reason"' in page
    page = body(client.post(url, {"note": "县里重点扶持的企业"}))
    assert "县里重点扶持的企业" in page and not LittleGiantReserveEntry.objects.exists()
    client.post(
        url, {"note": "县里重点扶持的企业", "exception_reason": "研发费用辅助账正在调整，实际投入已超过3%"}
    )
    entry = LittleGiantReserveEntry.objects.get()
    assert not entry.was_candidate and entry.exception_reason.startswith("研发费用辅助账")

    # The bureau sees the reason on the entry, on the list and on its confirmation page.
    client.force_login(reviewer)
    assert "研发费用辅助账正在调整" in body(
        client.get(reverse("registers:lg_reserve_entry", args=[entry.pk]))
    )
    assert "例外推荐" in body(client.get(LIST))
    confirm = body(client.get(reverse("registers:lg_reserve_confirm", args=[entry.pk])))
    assert "研发费用辅助账正在调整" in confirm and "此操作不能撤销" in confirm


def test_the_other_enterprise_page_finds_one_in_the_own_ledger(client, county_official, firms):
    other = make_firm(WF, name="安阳市台账内科技有限公司", registered=False)
    client.force_login(county_official)
    url = reverse("registers:lg_reserve_pick")
    response = client.post(url, {"enterprise": other.credit_code.lower()})
    assert response["Location"] == reverse("registers:lg_reserve_propose", args=[other.pk])
    response = client.post(url, {"enterprise": "安阳市台账内科技有限公司"})
    assert response["Location"] == reverse("registers:lg_reserve_propose", args=[other.pk])
    page = body(client.post(url, {"enterprise": "林州候选科技有限公司"}))
    assert "本县区台账中没有这家企业：林州候选科技有限公司" in page and 'value="林州候选科技有限公司"' in page


def test_the_bureau_confirms_and_removes_through_the_pages(client, county_official, reviewer, firms):
    entry = make_entry(firms["wf_ok"], by=county_official)
    client.force_login(reviewer)
    confirm = reverse("registers:lg_reserve_confirm", args=[entry.pk])
    page = body(client.get(confirm))
    assert "确认后该企业列入" in page and 'data-testid="submit"' in page
    assert client.post(confirm, {"reason": ""}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == S.CONFIRMED
    # Confirmed: the confirmation page now says why it cannot be used.
    assert "当前状态为“已确认备案”，不能确认备案。" in body(client.get(confirm))
    entry_page = reverse("registers:lg_reserve_entry", args=[entry.pk])
    assert "台账中已登记市科技小巨人备案资质" in body(client.get(entry_page))

    remove = reverse("registers:lg_reserve_remove", args=[entry.pk])
    page = body(client.post(remove, {"reason": ""}))  # a reason is required
    assert "这个字段是必填项" in page or "必填" in page
    assert client.post(remove, {"reason": "企业已注销"}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == S.REMOVED
    assert list(entry.decisions.values_list("comment", flat=True)) == ["", "", "企业已注销"]
    assert "撤销" in body(client.get(entry_page)) and entry.qualification.revoked_on is not None


def test_a_refused_decline_keeps_the_typed_reason(client, county_official, reviewer, firms):
    entry = lg_reserve_propose(enterprise=firms["wf_ok"], year=THIS_YEAR, by=county_official)
    client.force_login(reviewer)
    decline = reverse("registers:lg_reserve_decline", args=[entry.pk])
    body(client.get(decline))  # the bureau opens the page ...
    lg_reserve_withdraw(entry=entry, by=county_official)  # ... meanwhile the county withdraws
    page = body(client.post(decline, {"reason": "经核实研发投入不足"}))
    assert "当前状态为“已撤回”，不能不予确认。" in page and "经核实研发投入不足" in page
    entry.refresh_from_db()
    assert entry.status == S.WITHDRAWN


def test_move_pages_are_for_their_actors(client, county_official, reviewer, firms):
    entry = make_entry(firms["wf_ok"], by=county_official)
    client.force_login(county_official)
    assert client.get(reverse("registers:lg_reserve_confirm", args=[entry.pk])).status_code == 403
    assert client.get(reverse("registers:lg_reserve_withdraw", args=[entry.pk])).status_code == 200
    client.force_login(reviewer)  # holds the register right, but proposing is the county's
    assert client.get(reverse("registers:lg_reserve_withdraw", args=[entry.pk])).status_code == 403
    assert client.get(reverse("registers:lg_reserve_propose", args=[firms["lz"].pk])).status_code == 403
    assert client.get(reverse("registers:lg_reserve_pick")).status_code == 403


def test_the_registers_navigation_has_the_reserve(client, reviewer):
    client.force_login(reviewer)
    page = body(client.get(reverse("registers:carrier_list")))
    assert f'href="{LIST}"' in page and "科技小巨人备案" in page
