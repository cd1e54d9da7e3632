"""The round's pages through the client: scoped lists, only legal actions offered, the firm's page."""

import pytest
from django.urls import reverse

from applications.models import RoundEntry
from tests.factories import EnterpriseFactory, jurisdiction

from .conftest import LZ, WF, make_entry, make_round

pytestmark = pytest.mark.django_db
S = RoundEntry.Status


def test_bureau_opens_a_round_and_a_bad_date_order_keeps_what_was_typed(client, reviewer):
    client.force_login(reviewer)
    assert "开设申报批次" in client.get(reverse("applications:round_list")).content.decode()
    bad = {
        "year": 2031,
        "intention_deadline": "2031-06-01",
        "recommendation_deadline": "2031-05-01",
        "review_deadline": "2031-07-01",
    }
    page = client.post(reverse("applications:round_open"), bad).content.decode()
    assert "不能早于申报意向截止日期" in page and "2031-06-01" in page
    ok = client.post(reverse("applications:round_open"), {**bad, "intention_deadline": "2031-04-01"})
    assert ok.status_code == 302 and ok["Location"] == reverse("applications:round", args=[2031])


def test_county_sees_its_own_entries_and_404_on_another_countys(client, county_official):
    r = make_round()
    mine = make_entry(r, S.INTENTION, WF)
    theirs = make_entry(r, S.INTENTION, LZ)
    client.force_login(county_official)
    page = client.get(reverse("applications:round", args=[r.year])).content.decode()
    assert mine.enterprise.name in page and theirs.enterprise.name not in page
    assert client.get(reverse("applications:entry", args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse("applications:entry_move", args=[theirs.pk]), {"action": "recommend"}).status_code
        == 404
    )
    detail = client.get(reverse("applications:entry", args=[mine.pk])).content.decode()
    assert 'data-testid="county-form"' in detail and 'data-testid="pass-form"' not in detail
    assert 'data-testid="verdict-criteria"' in detail


def test_reviewer_sees_all_and_is_offered_only_legal_moves(client, reviewer):
    r = make_round()
    intention = make_entry(r, S.INTENTION, WF)
    recommended = make_entry(r, S.RECOMMENDED, LZ)
    client.force_login(reviewer)
    page = client.get(reverse("applications:round", args=[r.year])).content.decode()
    assert intention.enterprise.name in page and recommended.enterprise.name in page
    assert "合计 2 家" in page
    waiting = client.get(reverse("applications:entry", args=[intention.pk])).content.decode()
    assert 'data-testid="pass-form"' not in waiting and 'data-testid="county-form"' not in waiting
    ready = client.get(reverse("applications:entry", args=[recommended.pk])).content.decode()
    assert 'data-testid="pass-form"' in ready and 'data-testid="return-form"' in ready
    response = client.post(
        reverse("applications:entry_move", args=[recommended.pk]),
        {"action": "return", "reason_ip": "专利与主营产品无关"},
        follow=True,
    )
    assert "已退回" in response.content.decode()
    history = client.get(reverse("applications:entry", args=[recommended.pk])).content.decode()
    assert "专利与主营产品无关" in history and "初审退回" in history


def test_past_deadline_says_why_no_action(client, county_official):
    r = make_round(ahead=(-30, -1, 30))
    entry = make_entry(r, S.INTENTION, WF)
    client.force_login(county_official)
    page = client.get(reverse("applications:entry", args=[entry.pk])).content.decode()
    assert 'data-testid="county-form"' not in page and r.recommendation_deadline.isoformat() in page


def test_filters_narrow_the_entries(client, reviewer):
    r = make_round()
    make_entry(r, S.HELD, WF, reason="暂缓原因")
    passed = make_entry(r, S.PASSED, LZ)
    client.force_login(reviewer)
    page = client.get(reverse("applications:round", args=[r.year]), {"stage": "passed"}).content.decode()
    assert passed.enterprise.name in page and "暂缓原因" not in page
    page = client.get(reverse("applications:round", args=[r.year]), {"jurisdiction": WF}).content.decode()
    assert passed.enterprise.name not in page and "暂缓原因" in page


def test_county_declares_on_behalf_from_the_round_page(client, county_official):
    r = make_round()
    ent = EnterpriseFactory(jurisdiction=jurisdiction(WF))
    other = EnterpriseFactory(jurisdiction=jurisdiction(LZ))
    client.force_login(county_official)
    page = client.get(reverse("applications:round", args=[r.year])).content.decode()
    assert ent.name in page and other.name not in page
    refused = client.post(reverse("applications:round_declare", args=[r.year]), {"enterprise": other.pk})
    assert refused.status_code == 302 and not RoundEntry.objects.exists()
    client.post(reverse("applications:round_declare", args=[r.year]), {"enterprise": ent.pk})
    assert RoundEntry.objects.get().on_behalf


def test_firm_page_declare_and_see_reasons(client, ent, firm):
    client.force_login(firm)
    page = client.get(reverse("firms:round")).content.decode()
    assert "目前没有开放的高企申报批次" in page
    r = make_round()
    page = client.get(reverse("firms:round")).content.decode()
    assert 'data-testid="firm-declare"' in page and r.intention_deadline.isoformat() in page
    client.post(reverse("firms:round_declare"))
    entry = RoundEntry.objects.get(enterprise=ent)
    assert not entry.on_behalf
    RoundEntry.objects.filter(pk=entry.pk).update(status=S.HELD, reason="研发费用辅助账未建立")
    page = client.get(reverse("firms:round")).content.decode()
    assert "研发费用辅助账未建立" in page and 'data-testid="firm-withdraw"' in page
    client.post(reverse("firms:round_withdraw"), {"reason": "明年再报"})
    assert RoundEntry.objects.get(pk=entry.pk).status == S.WITHDRAWN


def test_firm_past_deadline_says_why(client, ent, firm):
    r = make_round(ahead=(-1, 10, 20))
    client.force_login(firm)
    page = client.get(reverse("firms:round")).content.decode()
    assert 'data-testid="firm-declare"' not in page and r.intention_deadline.isoformat() in page
    assert "已过期限" in page


def test_firm_user_cannot_reach_the_round_pages(client, firm):
    r = make_round()
    client.force_login(firm)
    assert client.get(reverse("applications:round", args=[r.year])).status_code == 403
    assert client.post(reverse("applications:round_declare", args=[r.year])).status_code == 403


def test_nav_entry_for_round_viewers(client, county_official, firm):
    client.force_login(county_official)
    assert (
        reverse("applications:round_list") in client.get(reverse("applications:round_list")).content.decode()
    )


def test_the_round_exports_its_entries_as_filtered_and_scoped(client, db):
    import io

    from django.utils import timezone
    from openpyxl import load_workbook

    from applications.models import ApplicationRound, RoundEntry
    from tests.factories import EnterpriseFactory, UserFactory, jurisdiction

    day = timezone.localdate()
    round_ = ApplicationRound.objects.create(
        year=day.year,
        intention_deadline=day,
        recommendation_deadline=day,
        review_deadline=day,
        opened_at=timezone.now(),
    )
    wf, lz = jurisdiction("410502"), jurisdiction("410581")
    own = EnterpriseFactory(jurisdiction=wf, name='=HYPERLINK("x")文峰公司')
    held = EnterpriseFactory(jurisdiction=wf, name="文峰暂缓公司")
    other = EnterpriseFactory(jurisdiction=lz, name="林州公司")
    for enterprise, status in ((own, "intention"), (held, "held"), (other, "intention")):
        RoundEntry.objects.create(
            round=round_, enterprise=enterprise, status=status, declared_at=timezone.now(), reason="暂缓原因"
        )
    client.force_login(UserFactory(username="x_county", role="county_official", jurisdiction=wf))
    url = reverse("applications:round_export", args=[round_.year, "xlsx"])
    sheet = load_workbook(io.BytesIO(b"".join(client.get(url).streaming_content))).active
    names = [row[2] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert sorted(names) == sorted(["'" + own.name, held.name])  # own county only, formula neutralised
    filtered = client.get(url, {"status": "held"})
    sheet = load_workbook(io.BytesIO(b"".join(filtered.streaming_content))).active
    assert [row[2] for row in sheet.iter_rows(min_row=3, values_only=True)] == [held.name]
    csv_body = b"".join(
        client.get(reverse("applications:round_export", args=[round_.year, "csv"])).streaming_content
    ).decode("utf-8-sig")
    assert held.credit_code in csv_body and other.credit_code not in csv_body
    assert client.get(reverse("applications:round_export", args=[round_.year, "pdf"])).status_code == 404
