"""The reward list's totals row: the count and the sum of every matching reward, whatever page is shown
and however far past the count cap the list goes; on PostgreSQL an index-only scan."""

import re
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incentives.models import Reward
from incentives.selectors import reward_totals
from incentives.views import reward_table_for
from tests.factories import EnterpriseFactory, jurisdiction
from tests.incentives.factories import RewardFactory

URL = reverse("incentives:reward_list")

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's; SQLite (the embedded default)"
)


@pytest.fixture
def rewards(db):
    """Seven rewards in 文峰区 (four submitted), three in 林州市, amounts that differ."""
    made = []
    for i in range(10):
        county = jurisdiction("410502" if i < 7 else "410581")
        made.append(
            RewardFactory(
                enterprise=EnterpriseFactory(jurisdiction=county),
                amount=Decimal("100000.00") + Decimal(i) * Decimal("1234.56"),
                status=Reward.Status.SUBMITTED if i < 4 else Reward.Status.GENERATED,
            )
        )
    return made


def _totals(body: str) -> tuple[int, str]:
    footer = body[body.index('data-testid="reward-totals"') :]
    n = re.search(r"合计 ([\d,]+) 笔", footer).group(1)
    amount = re.search(r"<strong>([^<]+)</strong>", footer).group(1)
    return int(n.replace(",", "")), amount


def _wan(total: Decimal) -> str:
    return f"{(total / Decimal(10000)).quantize(Decimal('0.01')):,}"


@pytest.mark.parametrize(
    ("params", "who", "picked"),
    [
        ({}, "reviewer", lambda r: True),
        ({"status": "submitted"}, "reviewer", lambda r: r.status == Reward.Status.SUBMITTED),
        ({}, "county_official", lambda r: r.jurisdiction.code == "410502"),
        ({"page": "2"}, "reviewer", lambda r: True),
    ],
)
def test_the_totals_are_every_matching_reward_past_the_cap_and_the_page(
    client, request, rewards, settings, params, who, picked
):
    settings.LIST_COUNT_CAP, settings.LIST_PAGE_SIZE = 3, 2  # the list counts "more than 3"
    client.force_login(request.getfixturevalue(who))
    response = client.get(URL, params)
    assert response.status_code == 200
    matching = [r for r in rewards if picked(r)]
    assert len(matching) > 3
    assert _totals(response.content.decode()) == (len(matching), _wan(sum(r.amount for r in matching)))


def test_a_page_past_the_end_still_totals_every_matching_reward(client, reviewer, rewards, settings):
    settings.LIST_COUNT_CAP, settings.LIST_PAGE_SIZE = 100, 4
    client.force_login(reviewer)
    body = client.get(URL, {"page": "99"}).content.decode()
    assert "第 99 页超出可显示范围" in body
    assert _totals(body) == (10, _wan(sum(r.amount for r in rewards)))


def _filtered(user, params):
    request = RequestFactory().get(URL, params)
    request.user = user
    flt, _table, _queue = reward_table_for(request, paginate=False)
    return flt.qs


@postgresql_only
@pytest.mark.parametrize(
    ("who", "params", "scan"),
    [
        # an index that carries the amount (reward_juris_status_amount; on a tiny test table the planner
        # may as well take another covering one: the point is that the table itself is not read)
        ("reviewer", {}, "Index Only Scan using reward_"),
        ("county_official", {}, "Index Only Scan using reward_"),
        ("county_official", {"status": "generated"}, "Index Only Scan using reward_"),
        # a few rows of one status: the queue's own index finds them (the covering one would do too)
        ("reviewer", {"status": "submitted"}, "Index"),
    ],
)
def test_the_totals_are_an_index_only_scan(transactional_db, request, rewards, who, params, scan):
    """The totals' SQL, explained on a vacuumed table (as autovacuum keeps it; outside a transaction, so
    this test commits) with sequential and bitmap scans off, the test table being tiny: the index that
    carries the amount answers it alone, without reading a row."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE incentives_reward")
    qs = _filtered(request.getfixturevalue(who), params)
    with CaptureQueriesContext(connection) as queries:
        totals = reward_totals(qs)
    assert totals["n"] == qs.count()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN " + queries.captured_queries[-1]["sql"])
            text = "\n".join(row[0] for row in cursor.fetchall())
    assert scan in text, text
    assert "Seq Scan" not in text, text
