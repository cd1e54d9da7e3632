"""The 40 % goal from the statistics bureau's published figures: the indicator, the service, the import
(preview, reasons, all or nothing), the page (who enters, who reads) and the move of the old figures."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html
from openpyxl import Workbook

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import Role, SystemActor
from assessment import indicators, selectors, services
from assessment.importers import plan_published_import
from assessment.models import IndicatorSnapshot, PublishedValueAdded
from tests.factories import (
    EnterpriseFactory,
    FiguresFactory,
    QualificationFactory,
    UserFactory,
    jurisdiction,
    rolled_up,
)

pytestmark = pytest.mark.django_db

YEAR = 2024
WF, BG, LZ = "410502", "410503", "410581"
SHARE = "hte_value_added_share"
YEAR_START = datetime.date(YEAR, 1, 1)


@pytest.fixture
def manager(db):
    return UserFactory(username="reviewer_va", role=Role.TECH_REVIEWER, jurisdiction=None)


def put(by, code, hightech, industrial, *, year=YEAR, source="统计公报"):
    """Enter figures (yuan as text, None: not published) for a jurisdiction code, or "city"."""
    return services.published_value_added_set(
        jurisdiction=None if code == "city" else jurisdiction(code),
        year=year,
        hightech_value_added=None if hightech is None else Decimal(hightech),
        industrial_value_added=None if industrial is None else Decimal(industrial),
        source=source,
        by=by,
    )


def share(year=YEAR):
    return indicators.evaluate(SHARE, year)


# --- the indicator --------------------------------------------------------------------------------


def test_the_share_comes_from_the_published_figures_only(manager):
    """A firm's own value-added, however large, changes nothing."""
    firm = EnterpriseFactory(jurisdiction=jurisdiction(WF))
    QualificationFactory(enterprise=firm, kind="hte", granted_on=YEAR_START, expires_on=None)
    figures = FiguresFactory(enterprise=firm, year=YEAR, industrial_value_added=Decimal("5000000.00"))
    put(manager, WF, "3000000", "10000000")
    assert share()[WF] == Decimal("30.00")
    figures.industrial_value_added = Decimal("9000000.00")
    figures.save()
    assert share()[WF] == Decimal("30.00")
    assert indicators.get(SHARE).description.startswith("高新技术产业增加值 ÷ 规模以上工业增加值")
    assert "统计局公布" in str(indicators.get(SHARE).description)


def test_unknown_when_a_figure_is_missing_and_the_note_says_which(manager):
    put(manager, WF, None, "10000000")  # only the above-scale figure
    put(manager, BG, "1000000", "8000000")
    values = share()
    assert values[WF] is None and values[BG] == Decimal("12.50") and values[LZ] is None
    assert values["city"] is None  # the city published nothing: never the counties' sum
    notes = indicators.unknown_notes(YEAR, {SHARE: values})[SHARE]
    assert notes[WF] == "未录入统计局公布的2024年高新技术产业增加值。"
    assert notes[LZ] == "未录入统计局公布的2024年高新技术产业增加值和规模以上工业增加值。"
    assert BG not in notes
    # a row holding only the high-tech figure (an import may do that) lacks the other
    PublishedValueAdded.objects.filter(jurisdiction=jurisdiction(WF)).update(
        hightech_value_added=Decimal("1"), industrial_value_added=None
    )
    assert indicators.unknown_notes(YEAR, {SHARE: share()})[SHARE][WF] == (
        "未录入统计局公布的2024年规模以上工业增加值。"
    )


def test_the_city_is_its_own_row(manager):
    put(manager, WF, "1000000", "10000000")
    put(manager, BG, "3000000", "10000000")
    assert share()["city"] is None
    put(manager, "city", "40000000", "100000000")
    values = share()
    assert values["city"] == Decimal("40.00")  # not (1 + 3) / 20 = 20 %
    assert values[WF] == Decimal("10.00") and values[BG] == Decimal("30.00")


def test_pages_read_it_through_the_table_and_a_rollup_keeps_up(manager):
    put(manager, WF, None, "10000000")
    rolled_up(YEAR)
    rows = {r["scope"]: r for r in selectors.indicator_table(YEAR)}
    assert rows[WF]["values"][SHARE] is None
    assert rows[WF]["notes"][SHARE] == "未录入统计局公布的2024年高新技术产业增加值。"
    assert next(c for c in rows[WF]["cells"] if c["code"] == SHARE)["note"] == rows[WF]["notes"][SHARE]
    services.rollup_year_sync(year=YEAR, by=SystemActor("test"))
    assert not IndicatorSnapshot.objects.filter(year=YEAR, indicator=SHARE, scope=WF).exists()
    # entering the missing figure rewrites the rolled-up year's snapshot at once
    put(manager, WF, "2500000", "10000000")
    assert IndicatorSnapshot.objects.get(year=YEAR, indicator=SHARE, scope=WF).value == 25
    assert selectors.indicator_table(YEAR)[0]["source"] == "snapshot"


# --- the service ----------------------------------------------------------------------------------


def test_the_service_records_who_when_the_source_and_the_previous_values(manager):
    first = put(manager, "city", "300000000", "1000000000", source="2024年安阳市统计公报")
    assert first.jurisdiction is None and first.entered_by == manager and first.entered_at
    again = put(manager, "city", "300000000", "1000000000", source="2024年安阳市统计公报")
    assert again.pk == first.pk
    log = AuditLog.objects.filter(action="assessment.published_value_added.set")
    assert log.count() == 1  # the same figures again write nothing
    put(manager, "city", "310000000", "1000000000", source="2024年安阳市统计公报（修订）")
    latest = log.first()
    assert latest.user == manager and latest.data["scope"] == "city"
    assert latest.data["hightech_value_added"] == "310000000.00"
    assert latest.data["previous"]["hightech_value_added"] == "300000000.00"
    assert PublishedValueAdded.objects.get().source == "2024年安阳市统计公报（修订）"


@pytest.mark.parametrize(
    ("hightech", "industrial", "source", "field"),
    [
        ("6000000", "5000000", "公报", "hightech_value_added"),  # more than the whole
        (None, "0", "公报", "industrial_value_added"),
        (None, None, "公报", "industrial_value_added"),
        ("-1", "5000000", "公报", "hightech_value_added"),
        ("1000000", "5000000", "  ", "source"),
        ("1000000.001", "5000000", "公报", "hightech_value_added"),  # finer than a fen
    ],
)
def test_the_service_refuses_and_names_the_field(manager, hightech, industrial, source, field):
    with pytest.raises(DomainError) as exc:
        put(manager, WF, hightech, industrial, source=source)
    assert exc.value.field == field and exc.value.message
    assert not PublishedValueAdded.objects.exists()


def test_only_the_bureau_enters_figures(county_official):
    finance = UserFactory(username="fin_va", role=Role.CITY_FINANCE, jurisdiction=None)
    for user in (county_official, finance):
        with pytest.raises(DomainError):
            put(user, WF, "1", "2")
    admin = UserFactory(username="admin_va", role=Role.ADMIN, jurisdiction=None)
    assert put(admin, WF, "1", "2").entered_by == admin


# --- the import -----------------------------------------------------------------------------------

HEADER = ["县区/全市", "年度", "高新技术产业增加值（万元）", "规模以上工业增加值（万元）"]


def xlsx(*rows, header=HEADER, title="2024年安阳市国民经济和社会发展统计公报") -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def test_a_good_file_is_previewed_then_written(manager):
    put(manager, BG, "100", "200")
    put(manager, LZ, "1000000", "8000000", source="2024年林州市国民经济和社会发展统计公报")
    plan = plan_published_import(
        xlsx(
            ["全市", 2024, "38000.5", "96000"],
            ["文峰区", "2024年", 1200, 4000],
            ["410503", 2024, "", "300"],  # a blank figure keeps the stored one
            ["林州市", 2024, 100, 800, ""],
            ["合计", 2024, 999, 999],  # a totals row is not the city's figure: skipped
        ),
        "统计数据.xlsx",
    )
    assert plan.errors == []
    rows = {row.scope_name: row for row in plan.rows}
    assert rows["全市"].jurisdiction is None and rows["全市"].hightech_value_added == Decimal("380005000.00")
    assert (
        rows["文峰区"].industrial_value_added == Decimal("40000000.00") and rows["文峰区"].action == "created"
    )
    assert rows["北关区"].hightech_value_added == Decimal("100.00") and rows["北关区"].action == "updated"
    assert rows["林州市"].action == "updated"  # the file's title is its source now
    assert rows["全市"].source == "2024年安阳市国民经济和社会发展统计公报"
    assert (plan.created, plan.updated, plan.unchanged) == (2, 2, 0)
    assert PublishedValueAdded.objects.count() == 2  # nothing written by the preview

    counts = services.published_value_added_import(plan=plan, by=manager)
    assert counts == {"created": 2, "updated": 2, "unchanged": 0}
    assert share()["city"] == Decimal("39.58")  # 380,005,000 / 960,000,000
    assert PublishedValueAdded.objects.get(jurisdiction__code=BG).industrial_value_added == Decimal(
        "3000000.00"
    )
    logs = AuditLog.objects.filter(action="assessment.published_value_added.imported")
    assert logs.count() == 4 and {log.data["file"] for log in logs} == {"统计数据.xlsx"}
    again = plan_published_import(
        xlsx(["全市", 2024, "38000.5", "96000"]),
        "统计数据.xlsx",
        source="2024年安阳市国民经济和社会发展统计公报",
    )
    assert [row.action for row in again.rows] == ["unchanged"]


def test_every_bad_row_is_named_and_nothing_is_written(manager):
    put(manager, WF, "100", "200")
    before = list(
        PublishedValueAdded.objects.values_list("pk", "hightech_value_added", "industrial_value_added")
    )
    plan = plan_published_import(
        xlsx(
            ["文峰区", 2024, 150, 400],  # good
            ["火星区", 2024, 1, 2],
            ["北关区", "明年", 1, 2],
            ["林州市", 2024, "abc", 2],
            ["殷都区", 2024, 5, 4],
            ["文峰区", 2024, 1, 2],
            ["龙安区", 2024, "", ""],  # nothing published in this row: skipped, not an error
            ["安阳县", 2024, 1, "0.0000001"],
            ["", 2024, 1, 2],
        ),
        "统计数据.xlsx",
    )
    errors = [(e.row, e.column, e.message) for e in plan.errors]
    assert errors == [
        (4, "县区/全市", "未知的县区“火星区”，请填写县区名称、简称、代码或“全市”。"),
        (5, "年度", f"年度“明年”无法识别，请填写2017到{timezone.localdate().year}之间的四位年份，如 2025。"),
        (6, "高新技术产业增加值（万元）", "“abc”不是有效的数字。"),
        (7, "高新技术产业增加值（万元）", "高新技术产业增加值不能大于规模以上工业增加值。"),
        (8, "县区/全市", "文峰区 2024年的数据与第3行重复。"),
        (
            10,
            "规模以上工业增加值（万元）",
            "金额“0.0000001”万元精确到了0.01元以下，请最多保留6位小数（以万元为单位）。",
        ),
        (11, "县区/全市", "请填写县区名称、简称、代码或“全市”。"),
    ]
    with pytest.raises(DomainError):
        services.published_value_added_import(plan=plan, by=manager)
    after = list(
        PublishedValueAdded.objects.values_list("pk", "hightech_value_added", "industrial_value_added")
    )
    assert after == before and not AuditLog.objects.filter(action__endswith="imported").exists()


def test_file_level_problems(manager):
    yuan = plan_published_import(
        xlsx(
            ["全市", 2024, 1, 2],
            header=["县区/全市", "年度", "高新技术产业增加值（元）", "规模以上工业增加值（万元）"],
        ),
        "a.xlsx",
    )
    assert [(e.row, e.message) for e in yuan.errors] == [
        (0, "列“高新技术产业增加值（元）”的单位应为万元，请改为“高新技术产业增加值（万元）”。"),
        (0, "缺少列：高新技术产业增加值（万元）。"),
    ]
    no_header = plan_published_import(xlsx(["x"], header=["名称", "金额"]), "a.xlsx")
    assert no_header.errors[0].column == "(文件)" and "年度" in no_header.errors[0].message
    no_source = plan_published_import(xlsx(["全市", 2024, 1, 2], title=None), "a.xlsx")
    assert [(e.row, e.column) for e in no_source.errors] == [(2, "来源")]
    assert no_source.errors[0].message == "请填写数据来源（如统计公报或统计年鉴的名称）。"
    assert plan_published_import(io.BytesIO(b"x"), "a.xls").errors[0].row == 0


def test_a_refused_row_rolls_the_whole_import_back(manager, monkeypatch):
    plan = plan_published_import(xlsx(["全市", 2024, 1, 2], ["文峰区", 2024, 1, 2]), "a.xlsx")
    real = services._save_published
    calls = []

    def second_refused(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise DomainError("拒绝", field="source")
        return real(**kwargs)

    monkeypatch.setattr(services, "_save_published", second_refused)
    with pytest.raises(DomainError) as exc:
        services.published_value_added_import(plan=plan, by=manager)
    assert exc.value.message == "第4行：拒绝"
    assert not PublishedValueAdded.objects.exists()


# --- the page -------------------------------------------------------------------------------------


def cells(page, testid):
    doc = lxml_html.fromstring(page.content.decode())
    table = doc.xpath(f'//*[@data-testid="{testid}"]')[0]
    return [
        [" ".join(td.text_content().split()) for td in tr.xpath("./td")] for tr in table.xpath(".//tbody/tr")
    ]


def table_post(year, values):
    """The table as the browser posts it: ``values`` is {scope: (hightech 万元, industrial 万元, source)}."""
    scopes = [j.code for j in indicators.jurisdictions()] + ["city"]
    post = {
        "year": year,
        "v-TOTAL_FORMS": len(scopes),
        "v-INITIAL_FORMS": len(scopes),
        "v-MIN_NUM_FORMS": 0,
        "v-MAX_NUM_FORMS": 1000,
    }
    for i, code in enumerate(scopes):
        hightech, industrial, source = values.get(code, ("", "", ""))
        post |= {
            f"v-{i}-code": code,
            f"v-{i}-hightech_value_added": hightech,
            f"v-{i}-industrial_value_added": industrial,
            f"v-{i}-source": source,
        }
    return post


def test_the_bureau_enters_the_table_in_wan(client, reviewer):
    client.force_login(reviewer)
    url = reverse("assessment:published")
    page = client.get(url, {"year": YEAR})
    assert page.status_code == 200 and page.content.decode().count('name="v-') >= 12 * 4
    response = client.post(
        url,
        table_post(
            YEAR, {WF: ("123.45", "1000", "2024年文峰区统计公报"), "city": ("38000", "96000", "市公报")}
        ),
    )
    assert response.status_code == 302
    wf = PublishedValueAdded.objects.get(jurisdiction__code=WF, year=YEAR)
    assert wf.hightech_value_added == Decimal("1234500.00") and wf.industrial_value_added == Decimal(
        "10000000.00"
    )
    assert PublishedValueAdded.objects.get(jurisdiction=None).entered_by == reviewer
    page = client.get(url, {"year": YEAR})
    rows = {r[0]: r for r in cells(page, "published")}
    assert rows["全市"][3] == "39.58%" and rows["文峰区"][3] == "12.35%"
    assert 'value="123.45"' in page.content.decode()
    assert "未录入统计局公布的2024年高新技术产业增加值和规模以上工业增加值。" in rows["北关区"][3]
    # a blank cell keeps the stored figure
    client.post(url, table_post(YEAR, {WF: ("", "2000", "")}))
    wf.refresh_from_db()
    assert wf.hightech_value_added == Decimal("1234500.00") and wf.industrial_value_added == Decimal(
        "20000000.00"
    )


def test_a_refusal_keeps_what_was_typed_and_names_the_field(client, reviewer):
    client.force_login(reviewer)
    response = client.post(
        reverse("assessment:published"),
        table_post(YEAR, {WF: ("100", "200", "公报"), BG: ("900", "300", "北关公报")}),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert not PublishedValueAdded.objects.exists()  # 文峰区's good row is rolled back too
    doc = lxml_html.fromstring(body)
    row = doc.xpath('//*[@data-testid="published-row-410503"]')[0]
    assert row.xpath('.//input[@name="v-1-hightech_value_added"]/@value') == ["900"]
    assert "高新技术产业增加值不能大于规模以上工业增加值。" in row.text_content()
    assert "未保存：北关区：" in body
    for bad in (("0", "0", "公报"), ("1", "2", "")):  # zero above-scale figure; no source
        response = client.post(reverse("assessment:published"), table_post(YEAR, {WF: bad}))
        assert response.status_code == 200 and "errorlist" in response.content.decode(), bad
    assert not PublishedValueAdded.objects.exists()


def test_who_may_see_and_enter_the_figures(client, county_official, manager):
    put(manager, WF, "100", "200")
    url = reverse("assessment:published")
    finance = UserFactory(username="fin_va_page", role=Role.CITY_FINANCE, jurisdiction=None)
    client.force_login(finance)
    page = client.get(url, {"year": YEAR})
    assert page.status_code == 200 and 'name="v-' not in page.content.decode()  # reads only
    assert client.post(url, table_post(YEAR, {WF: ("1", "2", "x")})).status_code == 403
    assert client.get(reverse("assessment:published_import")).status_code == 403
    client.force_login(county_official)
    assert client.get(url).status_code == 403
    # a county official sees its own share and where it comes from on its own pages only
    drill = client.get(reverse("assessment:drilldown", args=[WF, SHARE]), {"year": YEAR})
    assert drill.status_code == 200 and [r[1] for r in cells(drill, "drilldown")] == ["文峰区"]
    assert client.get(reverse("assessment:drilldown", args=[LZ, SHARE]), {"year": YEAR}).status_code == 404
    assert (
        client.get(reverse("assessment:drilldown", args=["city", SHARE]), {"year": YEAR}).status_code == 403
    )
    admin = UserFactory(username="admin_va_page", role=Role.ADMIN, jurisdiction=None)
    client.force_login(admin)
    response = client.post(url, table_post(YEAR, {LZ: ("1", "2", "林州公报")}))
    assert response.status_code == 302 and PublishedValueAdded.objects.filter(jurisdiction__code=LZ).exists()


def test_the_import_pages_preview_then_write(client, reviewer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(reviewer)
    bad = xlsx(["文峰区", 2024, 5, 4])
    bad.name = "统计数据.xlsx"
    response = client.post(reverse("assessment:published_import"), {"file": bad, "source": ""})
    assert response.status_code == 302
    preview = client.get(response.url)
    assert cells(preview, "import-errors") == [
        ["3", "高新技术产业增加值（万元）", "高新技术产业增加值不能大于规模以上工业增加值。"]
    ]
    assert "确认导入" not in preview.content.decode()
    assert client.post(response.url).status_code == 200 and not PublishedValueAdded.objects.exists()

    good = xlsx(["文峰区", 2024, 4, 5], ["全市", 2024, 40, 100], title=None)
    good.name = "统计数据.xlsx"
    response = client.post(reverse("assessment:published_import"), {"file": good, "source": "2024年统计公报"})
    preview = client.get(response.url)
    assert [r[2] for r in cells(preview, "import-rows")] == ["文峰区", "全市"]
    done = client.post(response.url)
    assert done.status_code == 302 and done.url.endswith(f"?year={YEAR}")
    assert PublishedValueAdded.objects.get(jurisdiction=None).source == "2024年统计公报"
    assert client.get(response.url).status_code == 404  # the stored file is gone
    template = client.get(reverse("assessment:published_template"), {"year": YEAR})
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxml")
    again = plan_published_import(io.BytesIO(template.content), "模板.xlsx")
    assert again.errors == [] and [r.action for r in again.rows] == ["unchanged", "unchanged"]


# --- the old figures move -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_the_old_value_added_and_seeds_the_plan():
    executor = MigrationExecutor(connection)
    before = [("assessment", "0004_published_value_added_plans")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_model = old_apps.get_model("assessment", "IndustrialValueAdded")
    juris = old_apps.get_model("core", "Jurisdiction").objects.get(code=WF)
    user = old_apps.get_model("core", "User").objects.create(username="old_enterer")
    old = old_model.objects.create(jurisdiction=juris, year=2023, amount=Decimal("123456789.12"))
    content_type = old_apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="assessment", model="industrialvalueadded"
    )[0]
    old_apps.get_model("core", "AuditLog").objects.create(
        content_type=content_type, object_id=str(old.pk), action="assessment.value_added.set", user=user
    )
    old_apps.get_model("assessment", "IndicatorSnapshot").objects.create(
        scope=WF, year=2023, indicator=SHARE, value=Decimal("7"), computed_at=old.updated_at
    )
    old_apps.get_model("assessment", "IndicatorSnapshot").objects.create(
        scope=WF, year=2023, indicator="valid_hte", value=Decimal("3"), computed_at=old.updated_at
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("assessment"))
    moved = PublishedValueAdded.objects.get(jurisdiction__code=WF, year=2023)
    assert moved.industrial_value_added == Decimal("123456789.12") and moved.hightech_value_added is None
    assert moved.entered_by.username == "old_enterer" and "迁移" in moved.source
    assert AuditLog.objects.filter(action="assessment.published_value_added.migrated").count() == 1
    assert not IndicatorSnapshot.objects.filter(indicator=SHARE).exists()  # computed from the firms
    # The rest of that set predates the growth indicator and the counting rule: taken again, not read.
    assert not IndicatorSnapshot.objects.exists()
    from assessment.models import Plan

    plan = Plan.objects.get(document_number="安政办〔2017〕100号")
    assert (plan.first_year, plan.last_year, plan.goal_new_hte, plan.goal_valid_hte) == (2018, 2021, 80, 120)
    assert plan.goal_valid_hte_exceeds and plan.goal_share == 40 and plan.zone.code == "410571"
