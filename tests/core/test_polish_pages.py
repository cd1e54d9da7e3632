"""The small things users notice (issue 10, item 5): the environment banner, the favicon and skip link, the
error pages, the admin's titles and language, invalid filter values and finance's funding-source filter."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.staticfiles import finders
from django.template import loader
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.views.defaults import server_error

from anyang_hte.core.roles import Role
from tests.applications.conftest import make_round
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import RewardWithLinesFactory

pytestmark = [pytest.mark.django_db]


# --- banner, favicon, skip link --------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "label"), [("development", "开发"), ("test", "测试"), ("staging", "演示")]
)
def test_environment_banner_names_the_environment_in_chinese(client, county_official, environment, label):
    client.force_login(county_official)
    with override_settings(PORTAL_ENVIRONMENT=environment):
        body = client.get(reverse("enterprises:list")).content.decode()
    banner = re.search(r'data-testid="env-banner">([^<]*)<', body).group(1)
    assert banner == f"当前为{label}环境，数据仅供演示与测试。"


def test_production_has_no_banner(client, county_official):
    client.force_login(county_official)
    with override_settings(PORTAL_ENVIRONMENT="production"):
        assert 'data-testid="env-banner"' not in client.get(reverse("enterprises:list")).content.decode()


def test_favicon_and_skip_link_on_every_page(client, county_official):
    assert finders.find("favicon.ico") and finders.find("favicon.svg")
    for user in (None, county_official):
        if user:
            client.force_login(user)
        body = client.get(reverse("enterprises:list") if user else reverse("login")).content.decode()
        assert 'rel="icon" href="/static/favicon.svg"' in body
        assert '<a class="visually-hidden-focusable skip-link" href="#content">跳到主要内容</a>' in body
        assert '<main class="container-fluid py-3" id="content" tabindex="-1">' in body


def test_the_bell_is_named_by_its_text(client, county_official):
    client.force_login(county_official)
    body = client.get(reverse("enterprises:list")).content.decode()
    bell = re.search(r'data-testid="notification-bell".*?</a>', body, re.S)
    assert '<span class="visually-hidden">消息</span>' in bell.group(0) and "aria-label" not in bell.group(0)


# --- error pages -------------------------------------------------------------------------------


def test_404_for_another_countys_record_says_so_without_telling_it_exists(client, county_official):
    other = EnterpriseFactory(jurisdiction=jurisdiction("410581"))
    client.force_login(county_official)
    hidden = client.get(reverse("enterprises:detail", args=[other.pk]))
    missing = client.get(reverse("enterprises:detail", args=[other.pk + 1000]))
    assert hidden.status_code == missing.status_code == 404
    text = "该记录不存在，或不属于本县区（文峰区），您无权查看。"
    assert text in hidden.content.decode() and text in missing.content.decode()
    assert other.name not in hidden.content.decode()


def test_404_for_the_city_and_for_a_firm_user(client, reviewer):
    client.force_login(reviewer)
    assert "该页面或记录不存在" in client.get("/ledger/999999/").content.decode()
    firm = EnterpriseFactory(jurisdiction=jurisdiction("410502"))
    firm_user = UserFactory(username="qiye", role=Role.ENTERPRISE, jurisdiction=None, enterprise=firm)
    request = RequestFactory().get("/firm/")
    request.user = firm_user
    assert "该记录不存在，或不属于贵企业" in loader.render_to_string("404.html", {"user": firm_user}, request)


def test_403_gives_the_reason(client, county_official):
    client.force_login(county_official)
    response = client.get(reverse("incentives:line_list"))
    assert response.status_code == 403
    assert "无权访问" in response.content.decode() and "您的角色没有“" in response.content.decode()


def test_500_page_is_chinese_and_needs_no_context():
    html = loader.get_template("500.html").render({})
    assert "系统出现错误" in html and "返回首页" in html
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500 and "系统出现错误" in response.content.decode()


# --- the admin ---------------------------------------------------------------------------------


def test_admin_is_titled_as_the_portal_and_chinese(client):
    admin_user = UserFactory(
        username="boss", role=Role.ADMIN, jurisdiction=None, is_staff=True, is_superuser=True
    )
    client.force_login(admin_user)
    index = client.get(reverse("admin:index")).content.decode()
    assert "安阳市高新技术企业培育管理平台 · 系统管理" in index and "Django" not in index
    assert "登录防护" in index and "登录尝试" in index and "access attempt" not in index.lower()
    AccessAttempt.objects.create(
        username="x",
        user_agent="ua",
        ip_address="127.0.0.1",
        http_accept="*/*",
        path_info="/",
        get_data="",
        post_data="",
        failures_since_start=1,
    )
    attempts = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "IP地址" in attempts and "失败次数" in attempts and "Failed Logins" not in attempts
    reward = RewardWithLinesFactory()
    change = client.get(reverse("admin:incentives_reward_change", args=[reward.pk])).content.decode()
    assert "申报人" in change and "submitted by" not in change


# --- invalid filter values ---------------------------------------------------------------------


def _filter_refused(response, label: str, value: str) -> str:
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in body and "筛选条件有误，列表暂不显示记录。" in body
    assert f"{label}：“{value}”" in body
    assert 'type="text" name=' in body or "is-invalid" in body
    return body


def test_an_invalid_filter_value_says_so_and_lists_nothing(client, county_official):
    EnterpriseFactory(name="安阳可见科技有限公司", jurisdiction=jurisdiction("410502"), planned_year=2026)
    client.force_login(county_official)
    body = _filter_refused(
        client.get(reverse("enterprises:list"), {"planned_year": "abc"}), "计划申报年度", "abc"
    )
    assert "安阳可见科技有限公司" not in body
    assert 'value="abc"' in body  # as typed, in a text input
    export = client.get(reverse("enterprises:export", args=["csv"]), {"planned_year": "abc"})
    assert "安阳可见科技有限公司" not in b"".join(export.streaming_content).decode("utf-8-sig")
    # A valid value filters as before.
    ok = client.get(reverse("enterprises:list"), {"planned_year": "2026"}).content.decode()
    assert "安阳可见科技有限公司" in ok and 'data-testid="filter-errors"' not in ok


@pytest.mark.parametrize(
    ("url", "params", "label", "value"),
    [
        ("incentives:reward_list", {"year": "x1"}, "认定年度", "x1"),
        ("enterprises:submissions", {"year": "abc"}, "年度", "abc"),
        ("registers:carrier_list", {"year": "abc"}, "认定年度", "abc"),
        ("registers:training_list", {"year": "二〇二六"}, "年度", "二〇二六"),
        ("registers:counselor_list", {"active": "maybe"}, "在岗", "maybe"),
        ("enterprises:list", {"stage": "nonsense"}, "培育阶段", "nonsense"),
    ],
)
def test_every_filter_bar_refuses_an_invalid_value(client, county_official, url, params, label, value):
    client.force_login(county_official)
    _filter_refused(client.get(reverse(url), params), label, value)


def test_finance_lines_and_the_round_refuse_invalid_values(client, county_official):
    finance = UserFactory(username="fin_city", role=Role.CITY_FINANCE, jurisdiction=None)
    client.force_login(finance)
    _filter_refused(
        client.get(reverse("incentives:line_list"), {"approved_from": "2026-13-45"}),
        "批准日期起",
        "2026-13-45",
    )
    year = make_round().year
    client.force_login(county_official)
    _filter_refused(client.get(reverse("applications:round", args=[year]), {"status": "zzz"}), "状态", "zzz")


# --- finance's funding-source filter -----------------------------------------------------------


def _source_options(body: str) -> list[str]:
    select = re.search(r'<select name="source".*?</select>', body, re.S).group(0)
    return re.findall(r">([^<]+)</option>", select)


def test_finance_is_offered_only_its_own_funding_source(client):
    city = UserFactory(username="fin_city", role=Role.CITY_FINANCE, jurisdiction=None)
    county = UserFactory(username="fin_wf", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction("410502"))
    client.force_login(city)
    assert _source_options(client.get(reverse("incentives:line_list")).content.decode()) == [
        "全部",
        "市级财政",
    ]
    client.force_login(county)
    assert _source_options(client.get(reverse("incentives:line_list")).content.decode()) == [
        "全部",
        "文峰区财政",
    ]
    # The other office's source is not a valid choice either.
    response = client.get(reverse("incentives:line_list"), {"source": "city"})
    assert 'data-testid="filter-errors"' in response.content.decode()


# --- one date format, the stage legend, the ranking rule ---------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_dates_are_written_one_way_in_both_languages(language):
    import datetime
    from zoneinfo import ZoneInfo

    from django.template import Context, Template
    from django.utils import translation

    with translation.override(language):
        html = Template("{{ d }}|{{ d|date }}|{{ t }}").render(
            Context(
                {
                    "d": datetime.date(2026, 11, 30),
                    "t": datetime.datetime(2026, 11, 30, 9, 5, tzinfo=ZoneInfo("Asia/Shanghai")),
                }
            )
        )
    assert html == "2026-11-30|2026-11-30|2026-11-30 09:05"


def test_ledger_and_enterprise_page_explain_the_stage_badges(client, county_official):
    firm = EnterpriseFactory(jurisdiction=jurisdiction("410502"), stage="hte")
    client.force_login(county_official)
    for url in (reverse("enterprises:list"), reverse("enterprises:detail", args=[firm.pk])):
        body = client.get(url).content.decode()
        legend = re.search(r'data-testid="stage-legend".*?</details>', body, re.S).group(0)
        assert legend.count("<li data-stage=") == 8
        assert "持有有效的“高新技术企业”资质" in legend and "台账填报的阶段与资质得出的阶段不一致" in legend
    detail = client.get(reverse("enterprises:detail", args=[firm.pk])).content.decode()
    assert '<li data-stage="hte" class="fw-semibold">' in detail and "（本企业）" in detail


def test_dashboard_states_its_ranking_rule(client, reviewer):
    client.force_login(reviewer)
    body = client.get(reverse("assessment:dashboard")).content.decode()
    assert 'data-testid="ranking-rule"' in body and "按完成数从高到低，数量相同的并列" in body
