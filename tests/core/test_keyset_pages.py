"""Deep pages: past the count cap a list pages by position, and a page number past the end is said."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.urls import reverse

from anyang_hte.core import keyset
from enterprises.models import Enterprise
from incentives.models import Reward
from tests.factories import EnterpriseFactory, jurisdiction
from tests.incentives.factories import RewardFactory

LEDGER = reverse("enterprises:list")
REWARDS = reverse("incentives:reward_list")


def _row_ids(body: str, detail: str) -> list[int]:
    """The ids the table links to, in the order shown (each once)."""
    pattern = re.escape(reverse(detail, args=[987654321])).replace("987654321", r"(\d+)")
    table = body[body.index("<table") : body.index("</table>")]
    ids: list[int] = []
    for pk in re.findall(pattern, table):
        if int(pk) not in ids:
            ids.append(int(pk))
    return ids


def _link(body: str, testid: str) -> str | None:
    match = re.search(r'href="([^"]*)" data-testid="' + testid + '"', body)
    return html.unescape(match.group(1)) if match else None


def _mode(body: str) -> str:
    return re.search(r'data-testid="paging-mode" data-mode="(\w+)"', body).group(1)


@pytest.fixture
def ledger(db):
    """Twelve enterprises in two counties, names repeated so the id has to break ties."""
    wenfeng, linzhou = jurisdiction("410502"), jurisdiction("410581")
    rows = []
    for i in range(12):
        rows.append(
            EnterpriseFactory(
                name=f"安阳{'甲乙丙'[i % 3]}科技有限公司", jurisdiction=(wenfeng, linzhou)[i % 2]
            )
        )
    return rows


def _walk(client, url: str, detail: str, *, first: str = "") -> tuple[list[int], list[str]]:
    """Numbered pages 1..last, then "继续浏览" and "下一页" to the end: the ids seen and the pages' modes."""
    seen, modes, page = [], [], 1
    while True:
        response = client.get(f"{url}?{first}page={page}")
        body = response.content.decode()
        assert response.status_code == 200
        seen += _row_ids(body, detail)
        modes.append(_mode(body))
        cont = _link(body, "keyset-continue")
        if cont:
            break
        if f"page={page + 1}" not in body:
            return seen, modes
        page += 1
    link = url + cont
    while link:
        body = client.get(link).content.decode()
        modes.append(_mode(body))
        assert "不编页码，也不显示总数" in body
        seen += _row_ids(body, detail)
        nxt = _link(body, "keyset-next")
        link = url + nxt if nxt else None
    return seen, modes


def test_next_from_the_last_numbered_page_visits_every_remaining_row_once_in_order(
    client, reviewer, ledger, settings
):
    client.force_login(reviewer)
    settings.LIST_COUNT_CAP = 1000
    whole = _row_ids(client.get(LEDGER + "?per_page=200").content.decode(), "enterprises:detail")
    assert sorted(whole) == sorted(e.pk for e in ledger)

    settings.LIST_COUNT_CAP, settings.LIST_PAGE_SIZE = 6, 3
    seen, modes = _walk(client, LEDGER, "enterprises:detail")
    assert seen == whole  # every row exactly once, in the list's own order
    assert modes[:2] == ["numbered", "numbered"] and set(modes[2:]) == {"keyset"}


def test_a_sorted_ledger_pages_deep_in_that_order(client, reviewer, ledger, settings):
    client.force_login(reviewer)
    settings.LIST_COUNT_CAP = 1000
    whole = _row_ids(client.get(LEDGER + "?sort=-name&per_page=200").content.decode(), "enterprises:detail")
    settings.LIST_COUNT_CAP, settings.LIST_PAGE_SIZE = 4, 2
    seen, _modes = _walk(client, LEDGER, "enterprises:detail", first="sort=-name&")
    assert seen == whole


def test_previous_goes_back_a_page(client, reviewer, ledger, settings):
    client.force_login(reviewer)
    settings.LIST_COUNT_CAP, settings.LIST_PAGE_SIZE = 3, 3
    first = _row_ids(client.get(LEDGER).content.decode(), "enterprises:detail")
    body = client.get(LEDGER + _link(client.get(LEDGER).content.decode(), "keyset-continue")).content.decode()
    second = _row_ids(body, "enterprises:detail")
    body3 = client.get(LEDGER + _link(body, "keyset-next")).content.decode()
    third = _row_ids(body3, "enterprises:detail")
    back = client.get(LEDGER + _link(body3, "keyset-previous")).content.decode()
    assert _row_ids(back, "enterprises:detail") == second
    back_again = client.get(LEDGER + _link(back, "keyset-previous")).content.decode()
    assert _row_ids(back_again, "enterprises:detail") == first
    assert len({*first, *second, *third}) == 9


def test_a_page_past_the_end_says_so_and_shows_no_other_page(client, reviewer, ledger, settings):
    client.force_login(reviewer)
    settings.LIST_COUNT_CAP, settings.LIST_PAGE_SIZE = 6, 3
    response = client.get(LEDGER + "?page=2000")
    body = response.content.decode()
    assert response.status_code == 200
    assert _mode(body) == "beyond"
    assert "第 2000 页超出可显示范围：按页码只能翻到第 2 页。" in body
    assert _row_ids(body, "enterprises:detail") == []  # not page 2's rows presented as page 2000
    assert "page=2" in body
    # its "继续浏览" starts right after the last numbered page
    page2 = _row_ids(client.get(LEDGER + "?page=2").content.decode(), "enterprises:detail")
    after = client.get(LEDGER + _link(body, "keyset-continue")).content.decode()
    settings.LIST_COUNT_CAP = 1000
    whole = _row_ids(client.get(LEDGER + "?per_page=200").content.decode(), "enterprises:detail")
    assert _row_ids(after, "enterprises:detail") == whole[6:9]
    assert whole[3:6] == page2


def test_a_page_past_the_end_of_a_short_list_says_so(official_client_county, settings):
    settings.LIST_PAGE_SIZE = 25
    body = official_client_county.get(LEDGER + "?page=9").content.decode()
    assert "第 9 页超出可显示范围：按页码只能翻到第 1 页。" in body
    assert 'data-testid="keyset-continue"' not in body  # nothing past the cap to browse


@pytest.fixture
def official_client_county(client, county_official, ledger):
    client.force_login(county_official)
    return client


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "", "eyJhIjoxfQ:1abc:xyz", None],
)
def test_a_forged_or_garbled_cursor_is_refused_with_a_message(client, reviewer, ledger, settings, cursor):
    client.force_login(reviewer)
    settings.LIST_COUNT_CAP, settings.LIST_PAGE_SIZE = 3, 3
    if cursor is None:  # a real cursor with one character changed
        real = _link(client.get(LEDGER).content.decode(), "keyset-continue").split("after=")[1]
        cursor = real[:-3] + ("A" if real[-3] != "A" else "B") + real[-2:]
    if cursor == "":  # a real cursor for another list
        real = _link(client.get(LEDGER).content.decode(), "keyset-continue").split("after=")[1]
        response = client.get(REWARDS + "?after=" + real)
        assert response.status_code == 400 and "翻页位置无效" in response.content.decode()
        return
    response = client.get(LEDGER + "?after=" + cursor)
    body = response.content.decode()
    assert response.status_code == 400
    assert _mode(body) == "refused"
    assert "翻页位置无效" in body
    assert _row_ids(body, "enterprises:detail") == []


def test_a_county_officials_deep_pages_hold_only_their_county(client, county_official, ledger, settings):
    client.force_login(county_official)
    settings.LIST_COUNT_CAP, settings.LIST_PAGE_SIZE = 2, 1
    seen, modes = _walk(client, LEDGER, "enterprises:detail")
    mine = [e.pk for e in ledger if e.jurisdiction_id == county_official.jurisdiction_id]
    assert sorted(seen) == sorted(mine) and len(seen) == len(set(seen))
    assert "keyset" in modes


def test_the_reward_queue_pages_deep_in_waiting_order(client, reviewer, settings):
    client.force_login(reviewer)
    start = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)
    for i in range(9):
        RewardFactory(status=Reward.Status.SUBMITTED, submitted_at=start + datetime.timedelta(hours=i // 2))
    settings.LIST_COUNT_CAP = 1000
    whole = _row_ids(client.get(REWARDS + "?status=submitted").content.decode(), "incentives:reward_detail")
    assert len(whole) == 9
    settings.LIST_COUNT_CAP, settings.LIST_PAGE_SIZE = 4, 2
    seen, modes = _walk(client, REWARDS, "incentives:reward_detail", first="status=submitted&")
    assert seen == whole
    assert "keyset" in modes


@pytest.mark.parametrize("order", [("planned_year", "id"), ("-planned_year", "id"), ("-tsme_score", "-name")])
def test_keyset_walks_nullable_columns_in_the_databases_order(db, order):
    for i in range(10):
        EnterpriseFactory(planned_year=None if i % 3 == 0 else 2025 + i % 2, tsme_score=None if i % 4 else 70)
    qs = Enterprise.objects.order_by(*order)
    keys = keyset.ordering_keys(qs)
    qs = keyset.stable(qs, keys)
    expected = list(qs.values_list("pk", flat=True))
    first = qs.first()
    seen = [first.pk]
    while True:
        cursor = keyset.make_cursor(qs, keys, Enterprise.objects.get(pk=seen[-1]), scope="t")
        values = keyset.read_cursor(cursor, keys, scope="t")
        nxt = keyset.keyset_filter(qs, keys, values, forward=True).first()
        if nxt is None:
            break
        seen.append(nxt.pk)
    assert seen == expected


def test_ordering_keys_come_from_the_querysets_order():
    keys = keyset.ordering_keys(Enterprise.objects.order_by("jurisdiction_id", "name", "id"))
    assert [k.path for k in keys] == ["jurisdiction_id", "name", "id"]
    keys = keyset.ordering_keys(Enterprise.objects.order_by("jurisdiction", "-name"))
    assert [(k.path, k.descending) for k in keys] == [
        ("jurisdiction__sort_order", False),
        ("jurisdiction__code", False),
        ("name", True),
        ("id", False),
    ]
    from django.db.models import Count

    assert keyset.ordering_keys(Enterprise.objects.annotate(n=Count("milestones")).order_by("n")) is None


def test_a_same_direction_order_is_one_row_comparison(db, ledger):
    """(jurisdiction_id, name, id) > (…): what an index on those columns serves as one range scan."""
    qs = Enterprise.objects.order_by("jurisdiction_id", "name", "id")
    keys = keyset.ordering_keys(qs)
    start = qs[4]
    values = keyset.read_cursor(keyset.make_cursor(qs, keys, start, scope="t"), keys, scope="t")
    after = keyset.keyset_filter(qs, keys, values, forward=True)
    before = keyset.keyset_filter(qs, keys, values, forward=False)
    if connection.features.supports_tuple_lookups:  # PostgreSQL; SQLite gets the same rows from ORs
        sql = str(after.query)
        assert " OR " not in sql and ") > (" in sql
    assert list(after) == list(qs)[5:]
    assert list(keyset.reverse_order(before, keys))[::-1] == list(qs)[:4]


def test_a_cap_the_page_size_does_not_divide_loses_no_row(client, reviewer, ledger, settings):
    client.force_login(reviewer)
    settings.LIST_COUNT_CAP = 1000
    whole = _row_ids(client.get(LEDGER + "?per_page=200").content.decode(), "enterprises:detail")
    settings.LIST_COUNT_CAP, settings.LIST_PAGE_SIZE = 5, 3  # numbered pages: rows 1–3, 4–5
    seen, _modes = _walk(client, LEDGER, "enterprises:detail")
    assert seen == whole
    body = client.get(LEDGER + "?page=7").content.decode()
    after = client.get(LEDGER + _link(body, "keyset-continue")).content.decode()
    assert _row_ids(after, "enterprises:detail") == whole[5:8]


def test_changing_the_sort_while_browsing_deep_starts_that_order_from_its_first_page(
    client, reviewer, ledger, settings
):
    client.force_login(reviewer)
    settings.LIST_COUNT_CAP, settings.LIST_PAGE_SIZE = 3, 3
    real = _link(client.get(LEDGER).content.decode(), "keyset-continue").split("after=")[1]
    response = client.get(LEDGER + "?sort=-name&after=" + real)  # the column header keeps ?after=
    body = response.content.decode()
    assert response.status_code == 200 and _mode(body) == "numbered"
    assert "排序已改变，已从新排序的第一页开始显示。" in body
    first = _row_ids(client.get(LEDGER + "?sort=-name").content.decode(), "enterprises:detail")
    assert _row_ids(body, "enterprises:detail") == first


def test_an_order_by_a_computed_value_keeps_its_numbered_pages_and_says_why_no_more(db, ledger, rf, settings):
    import django_tables2 as tables
    from django.db.models import Count

    from anyang_hte.core.pages import paginate_table

    class Counted(tables.Table):
        name = tables.Column()

    settings.LIST_COUNT_CAP, settings.LIST_PAGE_SIZE = 3, 3
    qs = Enterprise.objects.annotate(n=Count("milestones")).order_by("-n", "name")
    table = paginate_table(rf.get("/x/", {"page": "1"}), Counted(qs))
    assert table.paging.mode == "numbered" and not table.paging.sortable_deep
    assert table.paging.paginator.capped and table.paging.continue_url == ""
    table = paginate_table(rf.get("/x/", {"after": "anything"}), Counted(qs))
    assert table.paging.mode == "numbered" and table.paging.status == 200
    assert "已从第一页开始显示" in table.paging.message
    assert len(list(table.paginated_rows)) == 3
