"""Certified from the province's list (the official-list import records the qualification, the reward and
now the round's outcome), and the round in numbers per county with the reasons for failure."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from applications.models import RoundEntry
from applications.selectors import round_numbers
from incentives.models import Reward
from incentives.services import official_list_import
from tests.factories import EnterpriseFactory, jurisdiction, make_credit_code, rolled_up

from .conftest import LZ, WF, make_entry, make_round

pytestmark = pytest.mark.django_db
S = RoundEntry.Status


def _list(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "企业名称", "统一社会信用代码", "证书编号"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_importing_the_provinces_list_certifies_the_passed_entry(reviewer):
    current = make_round(ahead=(-60, -30, -1))
    passed = make_entry(current, S.PASSED, enterprise=EnterpriseFactory(credit_code=make_credit_code(601)))
    recommended = make_entry(
        current, S.RECOMMENDED, enterprise=EnterpriseFactory(credit_code=make_credit_code(602))
    )
    data = _list(
        [
            [1, passed.enterprise.name, passed.enterprise.credit_code, "GR2026001"],
            [2, recommended.enterprise.name, recommended.enterprise.credit_code, "GR2026002"],
        ]
    )
    official_list_import(
        fileobj=io.BytesIO(data),
        filename="名单.xlsx",
        kind="hte",
        granted_on=timezone.localdate(),
        by=reviewer,
    )
    passed.refresh_from_db()
    recommended.refresh_from_db()
    assert passed.status == S.CERTIFIED and recommended.status == S.RECOMMENDED  # not passed by the city
    move = passed.moves.get(to_status=S.CERTIFIED)
    assert move.by is None and move.by_system and "GR2026001" in move.reason
    assert Reward.objects.filter(enterprise=passed.enterprise).exists()  # the import's own work still done


def test_a_qualification_of_another_year_certifies_the_round_of_that_year(reviewer):
    last = make_round(year=timezone.localdate().year - 1, status="closed")
    entry = make_entry(last, S.PASSED)
    granted = datetime.date(last.year, 12, 1)
    data = _list([[1, entry.enterprise.name, entry.enterprise.credit_code, "GR1"]])
    official_list_import(
        fileobj=io.BytesIO(data), filename="l.xlsx", kind="hte", granted_on=granted, by=reviewer
    )
    entry.refresh_from_db()
    assert entry.status == S.CERTIFIED


def test_round_numbers_per_county_with_rates_and_failures():
    r = make_round()
    for status, code, extra in (
        (S.INTENTION, WF, {}),
        (S.HELD, WF, {"reason": "暂缓"}),
        (S.WITHDRAWN, WF, {}),
        (S.RECOMMENDED, WF, {}),
        (S.RETURNED, WF, {"reasons": {"ip": "x", "rd_ratio": "y"}}),
        (S.PASSED, WF, {}),
        (S.CERTIFIED, WF, {}),
        (S.NOT_CERTIFIED, WF, {"outcome_reason": "objection"}),
        (S.CERTIFIED, LZ, {}),
        (S.RETURNED, LZ, {"reasons": {"ip": "z"}}),
    ):
        make_entry(r, status, code, **extra)
    numbers = round_numbers(r.year)
    rows = {row.code: row for row in numbers.rows}
    wf = rows[WF]
    assert wf.counts == {"intention": 8, "recommended": 5, "passed": 3, "certified": 1}
    assert [str(rate) for rate in wf.rates] == ["62.5", "60.0", "33.3"]
    assert rows[LZ].counts == {"intention": 2, "recommended": 2, "passed": 1, "certified": 1}
    assert rows["410503"].counts["intention"] == 0 and rows["410503"].rates == [None, None, None]
    assert numbers.total.counts == {"intention": 10, "recommended": 7, "passed": 4, "certified": 2}
    f = numbers.failures
    assert (f.held, f.withdrawn, f.returned, f.not_certified) == (1, 1, 2, 1)
    assert [(c, n) for c, _name, n in f.returned_by_condition] == [("ip", 2), ("rd_ratio", 1)]
    assert [(c, n) for c, _name, n in f.not_certified_by_reason] == [("objection", 1)]
    assert round_numbers(r.year, scopes=[LZ]).total.counts["intention"] == 2
    assert round_numbers(1999) is None


def test_numbers_on_the_dashboard_and_the_bulletin_link_to_the_round_page(client, reviewer):
    r = make_round()
    make_entry(r, S.RECOMMENDED, WF)
    client.force_login(reviewer)
    page = client.get("/assessment/", {"year": r.year}).content.decode()
    assert 'data-testid="round-numbers"' not in page and 'data-testid="computing"' in page  # rollup queued
    rolled_up(r.year)  # the job: the dashboard shows the round as the rollup counted it
    page = client.get("/assessment/", {"year": r.year}).content.decode()
    assert 'data-testid="round-numbers"' in page
    assert f"/rounds/{r.year}/?jurisdiction={WF}&amp;stage=recommended" in page
    bulletin = client.get("/assessment/bulletin/", {"year": r.year}).content.decode()
    assert (
        'data-testid="bulletin-round-table"' in bulletin
        and f"/rounds/{r.year}/?jurisdiction={WF}" in bulletin
    )
    xlsx = client.get("/assessment/bulletin/xlsx/", {"year": r.year})
    assert f"高企申报{r.year}" in load_workbook(io.BytesIO(xlsx.content)).sheetnames
    filtered = client.get(f"/rounds/{r.year}/", {"jurisdiction": WF, "stage": "recommended"})
    assert filtered.status_code == 200 and jurisdiction(WF).name in filtered.content.decode()
