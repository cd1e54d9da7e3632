"""Next year's rewards forecast (assessment/forecast.py): the arithmetic on a hand-built pipeline, the
rates' levels and defaults, the first-time-only rule, scoping, the pages and the export."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from anyang_hte.core.roles import Role
from applications.models import RoundEntry
from assessment import forecast as fc
from enterprises.models import Stage
from incentives.models import RewardRule
from tests.applications.conftest import make_entry, make_round
from tests.factories import EnterpriseFactory, QualificationFactory, UserFactory, jurisdiction

WF, LZ = "410502", "410581"
S = RoundEntry.Status
D = Decimal


def _history(year):
    """Two closed rounds. 文峰区 (year − 1): 10 intentions, 8 recommended, 5 passed, 4 certified;
    林州市 (year − 2): 2 intentions, 2 recommended, 2 passed, 1 certified.

    City pooled: 推荐率 10/12 = 0.8333, 初审通过率 7/10 = 0.7000, 认定率 5/7 = 0.7143 (lowest year 0.5).
    文峰区 has 10 intentions (enough for its own 推荐率 0.8000), but 8 recommended and 5 passed (too few):
    the city's 初审通过率 and 认定率."""
    last = make_round(year=year - 1, ahead=(-300, -200, -100), status="closed")
    for status, n in ((S.CERTIFIED, 4), (S.NOT_CERTIFIED, 1), (S.RETURNED, 3), (S.HELD, 1), (S.WITHDRAWN, 1)):
        for _i in range(n):
            make_entry(last, status, WF)
    before = make_round(year=year - 2, ahead=(-700, -600, -500), status="closed")
    make_entry(before, S.CERTIFIED, LZ)
    make_entry(before, S.NOT_CERTIFIED, LZ)


@pytest.fixture
def pipeline(db):
    """The open round and the firms: a–e and i in the pipeline, f excluded, g and h out."""
    from django.utils import timezone

    year = timezone.localdate().year
    _history(year)
    current = make_round(year=year)
    wf, lz = jurisdiction(WF), jurisdiction(LZ)
    firms = {
        "a": make_entry(
            current, S.PASSED, WF, enterprise=EnterpriseFactory(name="甲通过初审", jurisdiction=wf)
        ),
        "b": make_entry(
            current, S.RECOMMENDED, WF, enterprise=EnterpriseFactory(name="乙已推荐", jurisdiction=wf)
        ),
        "c": make_entry(
            current, S.INTENTION, LZ, enterprise=EnterpriseFactory(name="丙有意向", jurisdiction=lz)
        ),
    }
    firms = {k: v.enterprise for k, v in firms.items()}
    firms["d"] = EnterpriseFactory(name="丁符合未申报", jurisdiction=lz, hte_ready=True)
    firms["e"] = EnterpriseFactory(name="戊接近符合", jurisdiction=wf, stage=Stage.HTE_CANDIDATE)
    firms["f"] = EnterpriseFactory(name="己曾是高企", jurisdiction=wf, hte_ready=True)
    QualificationFactory(
        enterprise=firms["f"], granted_on=datetime.date(2019, 11, 30), expires_on=datetime.date(2022, 11, 29)
    )
    firms["g"] = make_entry(
        current, S.HELD, WF, enterprise=EnterpriseFactory(name="庚被暂缓", jurisdiction=wf, hte_ready=True)
    ).enterprise
    firms["h"] = EnterpriseFactory(name="辛不符合", jurisdiction=lz, hte_ready=False)
    firms["i"] = make_entry(
        current,
        S.WITHDRAWN,
        WF,
        enterprise=EnterpriseFactory(name="壬撤回后符合", jurisdiction=wf, hte_ready=True),
    ).enterprise
    return firms


@pytest.fixture
def finance(db):
    return UserFactory(username="city_fin", role=Role.CITY_FINANCE, jurisdiction=None)


# per-firm expected money per funding source (150,000 each), to the fen
EXPECTED = {
    "a": D("107145.00"),  # passed: 0.7143
    "b": D("75001.50"),  # recommended: 0.7 × 0.7143
    "c": D("62498.75"),  # 林州 intention: 0.8333 × 0.7 × 0.7143
    "d": D("37499.25"),  # 林州 符合: 0.6 × 0.8333 × 0.7 × 0.7143
    "e": D("18000.36"),  # 文峰 near: 0.5 × 0.6 × 0.8 × 0.7 × 0.7143
    "i": D("36000.72"),  # 文峰 符合 (withdrawn entry): 0.6 × 0.8 × 0.7 × 0.7143
}


def test_rates_from_closed_rounds_county_where_enough_else_city(pipeline, reviewer):
    rates = fc.forecast_for(reviewer).rates
    assert [rates.city[m].value for m in ("recommended", "passed", "certified")] == [
        D("0.8333"),
        D("0.7000"),
        D("0.7143"),
    ]
    assert rates.city["certified"].lowest == D("0.5000")
    wf = jurisdiction(WF).pk
    assert rates.of(wf, "recommended").value == D("0.8000") and rates.of(wf, "recommended").source == "county"
    assert rates.of(wf, "passed").source == "city" and rates.of(wf, "certified").value == D("0.7143")
    assert rates.city["intention"].source == "default" and rates.city["intention"].value == D("0.6000")


def test_expected_low_high_exact(pipeline, reviewer):
    data = fc.forecast_for(reviewer)
    by_name = {f.name: f for f in data.firms}
    assert set(by_name) == {pipeline[k].name for k in EXPECTED}
    for key, amount in EXPECTED.items():
        firm = by_name[pipeline[key].name]
        assert firm.amount("expected", "city") == amount == firm.amount("expected", "county"), key
    assert by_name["甲通过初审"].step == "passed" and by_name["壬撤回后符合"].step == "ready"
    assert by_name["戊接近符合"].step == "near" and by_name["戊接近符合"].probability == D("0.12000240000000")

    total = data.total()
    assert total.expected == D("672291.16")  # 2 × 336,145.58
    assert total.low == D("150000.00")  # 甲 only: 0.5 × 300,000
    assert total.high == D("1800000.00")  # six firms × 300,000
    city, wf_county, lz_county = data.by_source()[0], data.row(WF, "county"), data.row(LZ, "county")
    assert city.expected == D("336145.58")
    assert wf_county.expected == D("236147.58") and lz_county.expected == D("99998.00")
    assert data.row(WF).expected == D("472295.16") and data.row(LZ).expected == D("199996.00")
    assert data.row(WF).low == D("150000.00") and data.row(LZ).low == D("0.00")


def test_first_time_only_rule_excludes_a_former_hte(pipeline, reviewer):
    data = fc.forecast_for(reviewer)
    assert [f.name for f in data.excluded] == ["己曾是高企"]
    assert "仅奖励首次认定" in data.excluded[0].excluded
    # Not first-time-only: a former HTE earns again (re-certification after a lapse).
    RewardRule.objects.filter(code="HTE_NEW").update(first_time_only=False)
    data = fc.forecast_for(reviewer)
    assert not data.excluded and "己曾是高企" in {f.name for f in data.firms}


def test_out_of_pipeline(pipeline, reviewer):
    names = {f.name for f in fc.forecast_for(reviewer).firms}
    assert "庚被暂缓" not in names and "辛不符合" not in names


def test_defaults_without_history_or_open_round(db, reviewer):
    EnterpriseFactory(name="符合企业", hte_ready=True)
    data = fc.forecast_for(reviewer)
    assert data.round is None and all(r.source == "default" for r in data.rates.city.values())
    # 0.6 × 0.8 × 0.85 × 0.75 = 0.306
    assert data.firms[0].probability == D("0.306") and data.total().expected == D("91800.00")


def test_county_sees_only_its_own(pipeline, county_official):
    data = fc.forecast_for(county_official)
    assert {f.jurisdiction.code for f in data.firms} == {WF}
    assert [j.code for j in data.jurisdictions] == [WF]
    assert data.total().expected == D("472295.16")
    assert data.row(LZ) is None


def test_page_shows_range_tables_and_method(client, pipeline, reviewer):
    client.force_login(reviewer)
    page = client.get(reverse("assessment:forecast")).content.decode()
    for text in (
        "67.23",
        "15.00",
        "180.00",
        "计算方法",
        "接近符合",
        "林州市",
        "已通过初审的企业",
        "chart-forecast",
    ):
        assert text in page, text
    assert reverse("assessment:forecast") in client.get(reverse("assessment:dashboard")).content.decode()


def test_county_page_and_other_county_is_404(client, pipeline, county_official):
    client.force_login(county_official)
    page = client.get(reverse("assessment:forecast")).content.decode()
    assert "47.23" in page and "林州市" not in page
    url = reverse("assessment:forecast_firms")
    assert client.get(url, {"key": LZ, "band": "expected"}).status_code == 404
    listing = client.get(url, {"key": "all", "band": "expected"}).content.decode()
    assert "甲通过初审" in listing and "丙有意向" not in listing


def test_firms_behind_a_number(client, pipeline, finance):
    client.force_login(finance)
    url = reverse("assessment:forecast_firms")
    low = client.get(url, {"key": WF, "band": "low"}).content.decode()
    assert "甲通过初审" in low and "乙已推荐" not in low and "15.00" in low
    county = client.get(url, {"key": LZ, "source": "county", "band": "expected"}).content.decode()
    assert "丙有意向" in county and "丁符合未申报" in county and "10.00" in county  # 99,998.00 → 10.00万
    step = client.get(url, {"key": "all", "band": "expected", "step": "near"}).content.decode()
    assert "戊接近符合" in step and "甲通过初审" not in step
    excluded = client.get(url, {"key": "all", "band": "excluded"}).content.decode()
    assert "己曾是高企" in excluded and "仅奖励首次认定" in excluded
    for bad in ({"band": "abc"}, {"source": "abc"}, {"step": "abc"}):
        response = client.get(url, bad)
        assert response.status_code == 404


def test_firm_user_refused(client, pipeline):
    firm = UserFactory(username="f_firm", role=Role.ENTERPRISE, jurisdiction=None, enterprise=pipeline["a"])
    client.force_login(firm)
    assert client.get(reverse("assessment:forecast")).status_code == 403


def test_export_csv_and_xlsx_with_totals(client, pipeline, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("assessment:forecast_export", args=["csv"]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][1] == "企业名称" and len(rows) == 1 + 6 + 1
    total = rows[-1]
    assert total[0] == "合计（6家）"
    assert total[-5:] == ["150000.00", "336145.58", "336145.58", "672291.16", "1800000.00"]
    # The firms of one number, as xlsx.
    response = client.get(
        reverse("assessment:forecast_export", args=["xlsx"]), {"key": LZ, "band": "expected"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.values)
    assert values[1][14] == "预期合计（元）"
    assert sorted(r[1] for r in values[2:-1]) == sorted(["丙有意向", "丁符合未申报"])
    assert values[-1][0] == "合计（2家）" and D(str(values[-1][14])) == D("199996")
