"""Synthetic demo data for training and walk-throughs: demo accounts and a realistic ledger.

Everything is derived from a fixed seed, and every enterprise from its own generator keyed on
(jurisdiction, index), so a run with more enterprises per jurisdiction is a superset of a smaller one.
Enterprises are keyed on their credit code: a re-run creates nothing new and never touches rows it
did not make. Dates that matter relative to today (valid, expiring, overdue) are placed around today.

Demo data bypasses the per-object services for speed (``bulk_create_with_history``), but stores the
derived fields as the services would: ``name_initials``, ``stage``, ``hte_ready`` and ``tsme_score``.
"""

import datetime
import itertools
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count
from simple_history.utils import bulk_create_with_history

from anyang_hte.core import dates
from anyang_hte.core.models import Jurisdiction, User
from anyang_hte.core.money import CENT
from anyang_hte.core.roles import Role, SystemActor

from . import services
from .identifiers import credit_code_with_check_digit
from .models import (
    STAGE_ORDER,
    AnnualFigures,
    Enterprise,
    FirmSubmission,
    LedgerMilestone,
    Qualification,
    QualificationKind,
    ServiceVisit,
    Stage,
    TechField,
)
from .pinyin import name_initials
from .readiness import FACTS_PREFETCH, PASS, assess, default_application_date, facts_for
from .readiness.innovation import innovation_bands
from .services import submissions
from .submission_diff import FIELDS as SUBMISSION_FIELDS

SEED = "anyang-hte-demo-2017"
DEMO_PASSWORD = "Anyang-2017"
FIGURE_YEARS = 3  # the three fiscal years before the current one: what this year's application is judged on
MAX_PER_JURISDICTION = 1000
CHANGE_REASON = "演示数据"
STAFF_TENTHS = ("0", "0", "0.3", "0.5", "0.8")
CONVERSIONS = (0, 1, 2, 3, 4, 5, 6, 8)
K = QualificationKind
F = TechField


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    jurisdiction_code: str | None
    display_name: str
    phone: str


DEMO_ACCOUNTS = (
    DemoAccount("county_wf", Role.COUNTY_OFFICIAL, "410502", "文峰区科技局 王敏", "0372-5961203"),
    DemoAccount("county_lz", Role.COUNTY_OFFICIAL, "410581", "林州市科技局 李强", "0372-6812245"),
    DemoAccount("reviewer", Role.TECH_REVIEWER, None, "市科技局 张华", "0372-5119860"),
    DemoAccount("finance_city", Role.CITY_FINANCE, None, "市财政局 刘洋", "0372-5922316"),
    DemoAccount("finance_wf", Role.COUNTY_FINANCE, "410502", "文峰区财政局 陈静", "0372-5961377"),
    DemoAccount("admin", Role.ADMIN, None, "系统管理员 赵磊", "0372-5119801"),
)

# code | name prefixes | address place | roads | helper unit | bank branch place
_PLACES = """
410502|安阳市 安阳|河南省安阳市文峰区|中华路 文明大道 人民大道 光明路 紫薇大道 德隆街|文峰区科技局|文峰
410503|安阳市 安阳|河南省安阳市北关区|红旗路 彰德路 洹滨北路 曙光路 解放大道 安漳大道|北关区科技局|北关
410505|安阳市 安阳|河南省安阳市殷都区|铁西路 安钢大道 梅东路 殷商路 水冶镇珠泉路|殷都区科技局|殷都
410506|安阳市 安阳|河南省安阳市龙安区|龙安大道 太行路 文明大道西段 龙泉镇工业路|龙安区科技局|龙安
410522|安阳县 安阳|河南省安阳县|柏庄镇产业集聚区 白璧镇创业路 辛村镇工业路 水冶镇新区路|安阳县科技局|安阳县
410523|汤阴县 汤阴|河南省汤阴县|人和路 精忠路 产业集聚区纬一路 文王路|汤阴县科技局|汤阴
410526|滑县|河南省滑县|道口镇新区人民路 文明路 产业集聚区新兴路 新区中原路|滑县科技局|滑县
410527|内黄县 内黄|河南省内黄县|繁阳路 硝河路 产业集聚区黄河路 建设路|内黄县科技局|内黄
410581|林州市 林州|河南省林州市|红旗渠大道 人民路 太行路 陵阳镇工业园 姚村镇创业大道|林州市科技局|林州
410571|安阳 安阳市 河南|河南省安阳市高新区|长江大道 黄河大道 海兴路 峨嵋大街 嵩山路|高新区科技创新局|高新区
410599|安阳市 安阳|河南省安阳市示范区|中华路南段 紫薇大道南段 平原路 迎宾路|示范区经济发展局|示范区
"""
PLACES = {
    code: (prefixes.split(), place, roads.split(), unit, bank_place)
    for code, prefixes, place, roads, unit, bank_place in (
        line.split("|") for line in _PLACES.strip().splitlines()
    )
}
JURISDICTION_CODES = tuple(PLACES)

NAME_FIRST = "鑫华瑞恒宏博中金盛德昌汇嘉诚宇润佳明正光伟海凯腾永天新万富豫"
NAME_SECOND = "源泰达通兴远创丰隆晟联合航福辉业峰信安成康宝利鼎捷力晖瀚森图"
# tech field: industry words of enterprise names in that field ("科技" alone gets a random field)
_INDUSTRIES = """
electronic_info: 电子科技 信息技术 软件科技 光电科技
bio_medicine: 生物科技 医药科技 农业科技
new_materials: 新材料 化工新材料 耐材科技
advanced_manufacturing: 智能装备 精密机械 自动化设备 机电科技
new_energy: 新能源科技 节能科技
resources_env: 环保科技
high_tech_service: 检测技术
aerospace: 航空科技
"""
INDUSTRIES = {"科技": ""} | {
    word: tech_field
    for tech_field, words in (line.split(":") for line in _INDUSTRIES.strip().splitlines())
    for word in words.split()
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜程魏苏吕丁任"
GIVEN = """伟 芳 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 霞 刚 建华 志强 海燕 红霞 晓东 卫东 建国 国强 文博
俊杰 佳怡 振宇 丽娟 秀梅 永刚""".split()
BANKS = "中国工商银行 中国农业银行 中国银行 中国建设银行 交通银行 中原银行 安阳农商银行".split()
SERVICE_UNITS = "安阳市科技局 安阳市生产力促进中心 安阳市高新技术创业服务中心".split()

# The profile decides the qualifications (and so the stage). One cycle of 30 covers every stage, so
# even 3 enterprises per jurisdiction (33 in all) show every stage and every HTE situation.
PROFILE_CYCLE = tuple(
    """
    tech_sme hte_candidate hte none lg_reserve hte_expiring tech_sme little_giant hte_candidate
    lg_cultivation hte_revoked tech_sme hte_renewed hte_candidate leading none hte tech_sme hte_lapsed
    hte_candidate lg_reserve hte_expiring tech_sme lg_cultivation hte_candidate hte none little_giant
    tech_sme hte_candidate
    """.split()
)
HTE_PROFILES = {"hte", "hte_expiring", "hte_renewed", "lg_cultivation", "little_giant", "leading"}
# After the first full cycle, profiles are drawn with these weights (the cycle's own mix), HTE-holding
# profiles scaled per jurisdiction: the high-tech zone and central districts hold more HTEs.
PROFILE_WEIGHTS = Counter(PROFILE_CYCLE)
HTE_SCALE = {"410571": 1.8, "410502": 1.3, "410503": 1.2, "410599": 1.1, "410522": 0.8, "410523": 0.8}
HTE_SCALE |= {"410526": 0.6, "410527": 0.6}
# profile -> (share of ready figures, share of missing figures); the rest fail one HTE criterion.
QUALITY = {"none": (0.1, 0.4), "tech_sme": (0.3, 0.15), "hte_candidate": (0.55, 0.1)}
QUALITY |= {"lg_reserve": (0.55, 0.1), "hte_lapsed": (0.3, 0.1), "hte_revoked": (0.3, 0.1)}
# profile -> range of last year's sales, in 10,000 yuan
SALES_RANGE = {"none": (100, 6000), "tech_sme": (200, 8000), "hte_candidate": (500, 12000)}
SALES_RANGE |= {"lg_reserve": (1000, 9000), "lg_cultivation": (1000, 9900)}
SALES_RANGE |= {"little_giant": (10000, 19900), "leading": (20000, 80000)}

PRE_HTE_MILESTONES = """建立研发费用辅助账 申请发明专利2件 科技人员占比提升至10%以上
高新技术产品（服务）收入单独核算 委托中介机构出具研发费用专项审计报告 提交高新技术企业认定申报材料
参加全市高企政策培训 完成科技型中小企业评价信息填报""".split()
HTE_MILESTONES = """报送高企年度发展情况报表 申报市级工程技术研究中心 申报河南省科技小巨人（培育）企业
准备高企重新认定申报材料 申请科技贷贷款贴息 新增授权发明专利1件""".split()
# problem raised | action agreed
_VISITS = """
研发费用归集不规范，未设辅助账|安排政策辅导员上门指导建立研发费用辅助账
知识产权数量不足，缺少I类知识产权|对接市知识产权局绿色通道，加快发明专利审查
科技人员认定口径不清|讲解高企认定科技人员统计口径，协助梳理花名册
流动资金紧张，希望了解科技贷|推荐科技贷合作银行，指导准备贷款材料
高新技术产品收入核算不清|指导按产品（服务）分类单独核算收入
希望引进高校技术团队|对接河南省高校科技成果转化平台
申报材料准备时间紧|制定申报时间表，明确责任人和完成节点
"""
VISITS = [tuple(line.split("|")) for line in _VISITS.strip().splitlines()]
NOTES = """拟委托中介机构辅导申报 企业已建立研发费用辅助账 需补充I类知识产权 2025年营业收入增长较快
与河南理工大学共建研发中心 企业负责人高度重视高企申报 研发人员流动较大，需稳定团队""".split()
REVOKE_REASONS = (
    "未按期报送年度发展情况报表，经核查取消高新技术企业资格",
    "发生重大安全生产事故，取消高新技术企业资格",
)


@dataclass
class EnterprisePlan:
    enterprise: Enterprise
    qualifications: list[Qualification] = field(default_factory=list)
    figures: list[AnnualFigures] = field(default_factory=list)
    milestones: list[LedgerMilestone] = field(default_factory=list)
    visits: list[ServiceVisit] = field(default_factory=list)


@dataclass
class JurisdictionCount:
    jurisdiction: Jurisdiction
    demo: int
    created: int
    hte: int
    total: int


@dataclass
class SeedResult:
    accounts: list[User]
    counts: list[JurisdictionCount]
    created: int
    skipped: int


# --- accounts ---------------------------------------------------------------------------------------


def ensure_demo_accounts() -> list[User]:
    """Create or reset the demo accounts; their password is always reset to ``DEMO_PASSWORD``."""
    users = []
    for account in DEMO_ACCOUNTS:
        is_admin = account.role == Role.ADMIN
        juris = (
            Jurisdiction.objects.get(code=account.jurisdiction_code) if account.jurisdiction_code else None
        )
        user, _created = User.objects.update_or_create(
            username=account.username,
            defaults={
                "role": account.role,
                "jurisdiction": juris,
                "display_name": account.display_name,
                "phone": account.phone,
                "is_active": True,
                "is_staff": is_admin,
                "is_superuser": is_admin,
            },
        )
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users.append(user)
    return users


# --- small generators -------------------------------------------------------------------------------


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"


def _landline(rng: random.Random) -> str:
    return f"0372-{rng.choice('2356')}{rng.randrange(10**6):06d}"


def _yuan(value: float) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _org_code(rng: random.Random, registered_on: datetime.date) -> str:
    """The 9-character organisation part: 'MA…' for post-2015 registrations, else GB 11714 digits."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    if registered_on.year >= 2016:
        return "MA" + "".join(rng.choice(alphabet) for _i in range(7))
    digits = [rng.randrange(10) for _i in range(8)]
    check = 11 - sum(d * w for d, w in zip(digits, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return "".join(map(str, digits)) + {10: "X", 11: "0"}.get(check, str(check))


def _name_combos() -> list[tuple[str, str]]:
    """Every (trade name, industry) pair once, in a fixed shuffled order; each jurisdiction takes its own."""
    combos = [
        (a + b, industry) for a, b in itertools.product(NAME_FIRST, NAME_SECOND) for industry in INDUSTRIES
    ]
    random.Random(SEED).shuffle(combos)
    return combos


# --- qualifications ---------------------------------------------------------------------------------


def _hte_batches(today: datetime.date) -> list[datetime.date]:
    """The provincial HTE certificate batches: late October and mid December of each year."""
    return [
        datetime.date(year, month, day)
        for year in range(today.year - 8, today.year + 1)
        for month, day in ((10, 28), (12, 12))
        if datetime.date(year, month, day) <= today
    ]


def _qualifications(
    rng: random.Random, profile: str, region: str, today: datetime.date
) -> list[Qualification]:
    expiry = services.qualification_expiry
    batches = _hte_batches(today)
    valid = [b for b in batches if expiry(K.HTE, b) >= today]
    fresh = [b for b in valid if expiry(K.HTE, b) > today + datetime.timedelta(days=365)]
    expiring = [
        b for b in valid if b not in fresh and expiry(K.HTE, b) <= today + datetime.timedelta(days=360)
    ]
    expired = [b for b in batches if expiry(K.HTE, b) < today - datetime.timedelta(days=30)]
    quals: list[Qualification] = []

    def add(kind, granted_on, **extra):
        granted_on = min(granted_on, today)
        year, seq = granted_on.year, rng.randint(1, 3500)
        number = {
            K.TECH_SME: f"{year}{region}{rng.randint(1, 6):02d}{seq:06d}",
            K.LG_RESERVE: f"安科小巨人备〔{year}〕{seq % 200 + 1:03d}号",
            K.HTE_CANDIDATE: f"AYGQHB{year}{seq:04d}",
            K.HTE: f"GR{year}41{seq:06d}",
            K.LG_CULTIVATION: f"豫科小巨人培育〔{year}〕{seq % 300 + 1:03d}号",
            K.LITTLE_GIANT: f"豫科小巨人〔{year}〕{seq % 150 + 1:03d}号",
            K.LEADING: f"豫创新龙头〔{year}〕{seq % 60 + 1:02d}号",
        }[kind]
        source = Qualification.Source.IMPORT if kind in (K.HTE_CANDIDATE, K.LG_RESERVE) else "official_list"
        quals.append(
            Qualification(
                kind=kind,
                granted_on=granted_on,
                expires_on=expiry(kind, granted_on),
                number=number,
                source=source,
                **extra,
            )
        )

    def ago(low: int, high: int) -> datetime.date:
        return today - datetime.timedelta(days=rng.randint(low, high))

    def tech_sme(year: int):
        start = datetime.date(year, 3, 1) if year < today.year else datetime.date(year, 1, 1)
        add(K.TECH_SME, _day(rng, start, min(today, datetime.date(year, 9, 30))))

    if profile == "none":
        if rng.random() < 0.4:
            tech_sme(today.year - rng.randint(1, 2))
        return quals
    if profile not in HTE_PROFILES or rng.random() < 0.5:
        tech_sme(today.year)
    if rng.random() < 0.5:
        tech_sme(today.year - 1)
    if profile == "lg_reserve":
        add(K.LG_RESERVE, ago(60, 700))
    elif profile == "hte_candidate":
        add(K.HTE_CANDIDATE, ago(30, 900))
    elif profile == "hte_lapsed":
        lapsed = rng.choice(expired[:-1] or expired)
        add(K.HTE, lapsed)
        add(K.HTE_CANDIDATE, expiry(K.HTE, lapsed) + datetime.timedelta(days=rng.randint(30, 200)))
    elif profile == "hte_revoked":
        granted = rng.choice(valid)
        revoked = min(
            granted + datetime.timedelta(days=rng.randint(120, 600)), today - datetime.timedelta(days=10)
        )
        add(K.HTE, granted, revoked_on=max(revoked, granted), revoke_reason=rng.choice(REVOKE_REASONS))
    elif profile in HTE_PROFILES:  # holds a valid HTE certificate
        granted = rng.choice(expiring if profile == "hte_expiring" else fresh if profile == "hte" else valid)
        add(K.HTE, granted)
        if profile == "hte_renewed" or (profile in ("little_giant", "leading") and rng.random() < 0.6):
            add(K.HTE, granted.replace(year=granted.year - 3))
        elif rng.random() < 0.5:
            add(K.HTE_CANDIDATE, granted - datetime.timedelta(days=rng.randint(200, 700)))
        if profile == "lg_cultivation":
            add(K.LG_CULTIVATION, ago(30, 900))
        if profile in ("little_giant", "leading"):
            add(K.LITTLE_GIANT, ago(30, 900))
            if rng.random() < 0.5:
                add(K.LG_CULTIVATION, ago(1150, 1500))
        if profile == "leading":
            add(K.LEADING, ago(30, 700))
    return quals


def _stage_on(quals: list[Qualification], today: datetime.date) -> str:
    valid = {
        q.kind
        for q in quals
        if q.granted_on <= today
        and (q.revoked_on is None or q.revoked_on > today)
        and (q.expires_on is None or q.expires_on >= today)
    }
    return services.derive_stage(valid)


# --- figures ----------------------------------------------------------------------------------------


def _figures(
    rng: random.Random, profile: str, tech_field: str, registered_on: datetime.date, today: datetime.date
) -> list[dict]:
    ready_share, missing_share = QUALITY.get(profile, (0.85, 0.0))
    roll = rng.random()
    quality = "ready" if roll < ready_share else "missing" if roll > 1 - missing_share else "fail"
    failing = rng.choice(("rd", "staff", "hightech", "ip")) if quality == "fail" else None
    gap = rng.choice(("none", "last_only", "fields")) if quality == "missing" else None
    if gap == "none":
        return []
    years = [y for y in range(today.year - FIGURE_YEARS, today.year) if y >= registered_on.year]
    if gap == "last_only":
        years = years[-1:]

    low, high = SALES_RANGE.get(profile, (1000, 30000))
    sales = math.exp(rng.uniform(math.log(low), math.log(high))) * 10000
    growth_low = 0.2 if profile in ("little_giant", "lg_cultivation") else -0.08
    threshold = 0.05 if sales <= 5e7 else 0.04 if sales <= 2e8 else 0.03
    rd_share = (
        threshold + rng.uniform(0.004, 0.03) if failing != "rd" else threshold - rng.uniform(0.006, 0.02)
    )
    st_share = rng.uniform(0.12, 0.42) if failing != "staff" else rng.uniform(0.03, 0.09)
    ht_share = rng.uniform(0.65, 0.95) if failing != "hightech" else rng.uniform(0.25, 0.55)
    per_head = rng.uniform(3e5, 9e5)
    max_staff = 2000 if profile == "leading" else 480
    assets_ratio, net_ratio = rng.uniform(0.6, 1.5), rng.uniform(0.35, 0.7)
    class1 = 0 if failing == "ip" else rng.choice((0, 0, 1, 1, 2, 3, 5))
    class2 = 0 if failing == "ip" else rng.randint(1 if class1 == 0 else 0, 18)

    rows = []
    for year in reversed(years):  # from the last year back
        rd = sales * rd_share * rng.uniform(0.93, 1.07)
        # Yearly averages of monthly head counts: one decimal.
        staff = Decimal(max(8, min(max_staff, round(sales / per_head)))) + Decimal(rng.choice(STAFF_TENTHS))
        assets = sales * assets_ratio
        rows.append(
            {
                "year": year,
                "sales_revenue": _yuan(sales),
                "total_income": _yuan(sales * rng.uniform(1.0, 1.03)),
                "rd_expense": _yuan(rd),
                "rd_expense_domestic": _yuan(rd * rng.uniform(0.88, 1.0)),
                "total_costs": _yuan(sales * rng.uniform(0.72, 0.94)),
                "staff_count": staff,
                "st_staff_count": _st_staff(staff, st_share, failing == "staff"),
                "hightech_revenue": _yuan(sales * ht_share * rng.uniform(0.97, 1.03)),
                "total_assets": _yuan(assets),
                "net_assets": _yuan(assets * net_ratio),
                "ip_class1_count": class1,
                "ip_class2_count": class2,
                "conversions_count": rng.choice(CONVERSIONS),
                "industrial_value_added": None
                if tech_field == F.HIGH_TECH_SERVICE
                else _yuan(sales * rng.uniform(0.2, 0.35)),
            }
        )
        sales /= 1 + rng.uniform(growth_low, growth_low + 0.35)
        class1 -= rng.randint(0, min(class1, 1))
        class2 -= rng.randint(0, min(class2, 3))
        if failing != "ip" and class1 + class2 == 0:
            class2 = 1
    if gap == "fields":
        rows[0].update(hightech_revenue=None, st_staff_count=None)
    return rows


def _st_staff(staff: Decimal, share: float, fail: bool) -> int:
    """S&T staff at about ``share`` of ``staff``, kept on the intended side of the 10% line."""
    at_least_ten_percent = math.ceil(staff / 10)
    count = round(float(staff) * share)
    return (
        max(0, min(count, at_least_ten_percent - 1)) if fail else min(staff, max(count, at_least_ten_percent))
    )


# --- one enterprise ---------------------------------------------------------------------------------


def plan_enterprise(
    *,
    juris: Jurisdiction,
    position: int,
    index: int,
    combo: tuple[str, str],
    helpers: list,
    today: datetime.date,
) -> EnterprisePlan:
    rng = random.Random(f"{SEED}:{juris.code}:{index}")
    if position < len(PROFILE_CYCLE):
        profile = PROFILE_CYCLE[position]
    else:
        scale = HTE_SCALE.get(juris.code, 1.0)
        weights = [w * (scale if p in HTE_PROFILES else 1.0) for p, w in PROFILE_WEIGHTS.items()]
        profile = rng.choices(list(PROFILE_WEIGHTS), weights=weights)[0]
    prefixes, place, roads, _unit, bank_place = PLACES[juris.code]
    region = "410500" if juris.code == "410599" else juris.code

    quals = _qualifications(rng, profile, region, today)
    anchors = [q.granted_on for q in quals if q.kind not in (K.TECH_SME,)]
    latest = datetime.date(2024, 12, 31)
    if anchors:
        latest = min(latest, min(anchors) - datetime.timedelta(days=400))
    registered_on = _day(rng, datetime.date(2005, 1, 1), max(latest, datetime.date(2005, 1, 1)))

    trade_name, industry = combo
    tech_field = INDUSTRIES[industry] or rng.choice(F.values)
    if profile == "none" and rng.random() < 0.3:
        tech_field = ""
    shares = profile in ("little_giant", "leading") and rng.random() < 0.6
    name = f"{rng.choice(prefixes)}{trade_name}{industry}{'股份有限公司' if shares else '有限公司'}"
    stage = _stage_on(quals, today)
    roll, at = rng.random(), STAGE_ORDER.index(stage)
    # Most ledgers declare the derived stage, a few a neighbouring one (the list flags it), some none.
    declared = stage if roll < 0.75 else STAGE_ORDER[at + 1 if at + 1 < len(STAGE_ORDER) else at - 1]
    declared = declared if roll < 0.8 else ""
    helper = rng.choice(helpers) if rng.random() < 0.85 else ("", "", "")
    pre_hte = profile not in HTE_PROFILES
    planned = None
    if (pre_hte and profile != "none" and rng.random() < 0.7) or profile == "hte_expiring":
        planned = rng.choice((2026, 2026, 2027, 2028))
    enterprise = Enterprise(
        name=name,
        name_initials=name_initials(name),
        credit_code=credit_code_with_check_digit("91" + region + _org_code(rng, registered_on)),
        jurisdiction=juris,
        tech_field=tech_field,
        registered_on=registered_on,
        address=f"{place}{rng.choice(roads)}{rng.randint(1, 388)}号",
        legal_representative=_person(rng),
        contact_name=_person(rng),
        contact_phone=_mobile(rng) if rng.random() < 0.7 else _landline(rng),
        bank_name=f"{rng.choice(BANKS)}{bank_place}支行",
        bank_account=f"{rng.randint(1, 9)}{rng.randrange(10**18):018d}",
        planned_year=planned,
        notes=rng.choice(NOTES) if rng.random() < 0.35 else "",
        helper_name=helper[0],
        helper_phone=helper[1],
        helper_unit=helper[2],
        stage=stage,
        declared_stage=declared,
    )
    plan = EnterprisePlan(enterprise=enterprise, qualifications=quals)
    plan.figures = [AnnualFigures(**row) for row in _figures(rng, profile, tech_field, registered_on, today)]

    titles = PRE_HTE_MILESTONES if pre_hte else HTE_MILESTONES
    if rng.random() < 0.8:
        for title in rng.sample(titles, rng.randint(1, 4)):
            due = today + datetime.timedelta(days=rng.randint(-300, 240))
            done = None
            if due < today and rng.random() < 0.75:
                done = min(today, due + datetime.timedelta(days=rng.randint(-30, 20)))
            elif due >= today and rng.random() < 0.15:
                done = today - datetime.timedelta(days=rng.randint(0, 30))
            plan.milestones.append(LedgerMilestone(title=title, due_on=due, done_on=done))
    if rng.random() < 0.7:
        for _i in range(rng.randint(1, 4)):
            problems, actions = rng.choice(VISITS)
            visitors = "、".join(filter(None, (helper[0], _person(rng))))
            plan.visits.append(
                ServiceVisit(
                    visited_on=today - datetime.timedelta(days=rng.randint(3, 700)),
                    visitors=visitors,
                    problems=problems,
                    actions=actions,
                )
            )
    return plan


def _helpers(code: str) -> list[tuple[str, str, str]]:
    rng = random.Random(f"{SEED}:{code}:helpers")
    unit = PLACES[code][3]
    return [(_person(rng), _mobile(rng), unit if i < 3 else rng.choice(SERVICE_UNITS)) for i in range(4)]


def plan_all(*, per_jurisdiction: int, today: datetime.date) -> list[EnterprisePlan]:
    """Every demo enterprise, in a fixed order; index i of a jurisdiction is the same for any count."""
    jurisdictions = {j.code: j for j in Jurisdiction.objects.filter(code__in=JURISDICTION_CODES)}
    combos = _name_combos()
    width = len(JURISDICTION_CODES)
    helpers = {code: _helpers(code) for code in JURISDICTION_CODES}
    plans, codes = [], set()
    for index in range(per_jurisdiction):
        for k, code in enumerate(JURISDICTION_CODES):
            if code not in jurisdictions:
                continue
            plan = plan_enterprise(
                juris=jurisdictions[code],
                position=index * width + k,
                index=index,
                combo=combos[index * width + k],
                helpers=helpers[code],
                today=today,
            )
            if plan.enterprise.credit_code not in codes:  # a 1-in-31⁹ collision: keep the first
                codes.add(plan.enterprise.credit_code)
                plans.append(plan)
    return plans


# --- the whole run ----------------------------------------------------------------------------------


@transaction.atomic
def seed_demo_ledger(*, per_jurisdiction: int = 30, today: datetime.date | None = None) -> SeedResult:
    """The demo accounts and ledger. The whole demo (rewards and assessment too) is seeded by the top
    layer: ``assessment.demo.seed_demo`` (the ``seed_demo`` command)."""
    if not 1 <= per_jurisdiction <= MAX_PER_JURISDICTION:
        raise ValueError(f"per_jurisdiction must be between 1 and {MAX_PER_JURISDICTION}")
    today = today or dates.today()
    accounts = ensure_demo_accounts()
    by_juris = {u.jurisdiction_id: u for u in accounts if u.role == Role.COUNTY_OFFICIAL}
    admin = next(u for u in accounts if u.role == Role.ADMIN)

    plans = plan_all(per_jurisdiction=per_jurisdiction, today=today)
    demo_codes = [p.enterprise.credit_code for p in plans]
    existing = set(
        Enterprise.objects.filter(credit_code__in=demo_codes).values_list("credit_code", flat=True)
    )
    new = [p for p in plans if p.enterprise.credit_code not in existing]

    for plan in new:
        creator = by_juris.get(plan.enterprise.jurisdiction_id, admin)
        plan.enterprise.created_by = creator
        plan.enterprise._history_user = creator
    bulk_create_with_history(
        [p.enterprise for p in new], Enterprise, batch_size=500, default_change_reason=CHANGE_REASON
    )
    ids = dict(
        Enterprise.objects.filter(credit_code__in=[p.enterprise.credit_code for p in new]).values_list(
            "credit_code", "pk"
        )
    )
    children: dict[type, list] = {Qualification: [], AnnualFigures: [], LedgerMilestone: [], ServiceVisit: []}
    for plan in new:
        creator = plan.enterprise._history_user
        for model, rows in (
            (Qualification, plan.qualifications),
            (AnnualFigures, plan.figures),
            (LedgerMilestone, plan.milestones),
            (ServiceVisit, plan.visits),
        ):
            for row in rows:
                row.enterprise_id = ids[plan.enterprise.credit_code]
                row._history_user = creator
                if model is ServiceVisit:
                    row.created_by = creator
            children[model].extend(rows)
    for model, rows in children.items():
        bulk_create_with_history(rows, model, batch_size=500, default_change_reason=CHANGE_REASON)

    services.refresh_all_stages(on=today)
    new_ids = list(
        Enterprise.objects.filter(credit_code__in=[p.enterprise.credit_code for p in new]).values_list(
            "pk", flat=True
        )
    )
    _score_innovation(new_ids, today)
    services.readiness_refresh_many(
        enterprise_ids=Enterprise.objects.filter(credit_code__in=demo_codes).values_list("pk", flat=True)
    )
    return SeedResult(
        accounts=accounts, counts=_counts(demo_codes, new), created=len(new), skipped=len(existing)
    )


def _score_innovation(enterprise_ids: list[int], today: datetime.date) -> int:
    """Score this year's innovation capability of the demo firms that meet every other condition, as a
    county would (through the service, inside the bands the rules give), so the walk-through shows
    符合 as well as 待补充 and 不符合. Returns how many were scored."""
    system = SystemActor("command seed_demo")
    on = default_application_date(today.year, today)
    scored = 0
    for enterprise in (
        Enterprise.objects.filter(pk__in=enterprise_ids).order_by("pk").prefetch_related(*FACTS_PREFETCH)
    ):
        facts = facts_for(enterprise)
        others = [c for c in assess(facts, today=today, gaps=False).criteria if c.code != "innovation"]
        if any(c.status != PASS for c in others):
            continue
        bands = innovation_bands(facts, year=today.year, on=on, self_developed=True)
        if bands.unknown:
            continue
        rng = random.Random(f"{SEED}:innovation:{enterprise.credit_code}")
        # A well-run firm's file: the top of each band the facts allow, a point less here and there.
        points = {name: max(b.low, b.high - rng.choice((0, 0, 0, 1))) for name, b in bands.bands.items()}
        if bands.needs_self_developed:
            points["ip_self_developed"] = True
        services.innovation_assessment_save(
            enterprise=enterprise, application_year=today.year, by=system, **points
        )
        scored += 1
    return scored


def _counts(demo_codes: list[str], new: list[EnterprisePlan]) -> list[JurisdictionCount]:
    hte_stages = set(STAGE_ORDER[STAGE_ORDER.index(Stage.HTE) :])
    demo, hte, created = Counter(), Counter(), Counter(p.enterprise.jurisdiction_id for p in new)
    for juris_id, stage in Enterprise.objects.filter(credit_code__in=demo_codes).values_list(
        "jurisdiction_id", "stage"
    ):
        demo[juris_id] += 1
        hte[juris_id] += stage in hte_stages
    rows = Jurisdiction.objects.filter(code__in=JURISDICTION_CODES).annotate(n_total=Count("enterprises"))
    return [JurisdictionCount(j, demo[j.pk], created[j.pk], hte[j.pk], j.n_total) for j in rows]


# --- a firm's own entries waiting for its county (企业填报) ---------------------------------------------


def _typed_figures(enterprise: Enterprise, year: int, *, grow: Decimal) -> dict:
    """What a firm would type for ``year``: the ledger's figures (or a small firm's) grown by ``grow``,
    in 万元 and head counts, as strings."""
    row = AnnualFigures.objects.filter(enterprise=enterprise, year=year).first()
    base = {
        "sales_revenue": Decimal("26000000"),
        "total_income": Decimal("26500000"),
        "rd_expense": Decimal("1400000"),
        "rd_expense_domestic": Decimal("1400000"),
        "total_costs": Decimal("22000000"),
        "hightech_revenue": Decimal("19000000"),
        "total_assets": Decimal("40000000"),
        "net_assets": Decimal("24000000"),
        "industrial_value_added": Decimal("6000000"),
        "staff_count": Decimal("86"),
        "st_staff_count": Decimal("15"),
        "ip_class1_count": 1,
        "ip_class2_count": 6,
        "conversions_count": 4,
    }
    data = {"year": str(year)}
    for name in SUBMISSION_FIELDS["figures"]:
        value = getattr(row, name, None) if row is not None else None
        value = base[name] if value is None else value
        if name in (
            "staff_count",
            "st_staff_count",
            "ip_class1_count",
            "ip_class2_count",
            "conversions_count",
        ):
            data[name] = str(value)
        else:
            data[name] = format((Decimal(value) * grow / 10000).quantize(CENT, rounding=ROUND_HALF_UP), "f")
    return data


@transaction.atomic
def seed_firm_submissions(*, enterprise: Enterprise, firm_user: User, official=None) -> list:
    """For ``firm_user`` (企业用户 of ``enterprise``): last year's figures submitted and waiting for the
    county, and the year before's returned with a reason (the firm's input kept, to correct). Uses the
    services, so the county's queue, the notifications and the audit are as in real use. Returns the
    submissions; an enterprise that already has some is left as it is.

    ``official`` returns the second one: the county official given, else one of the enterprise's county,
    else the portal itself."""
    existing = list(FirmSubmission.objects.filter(enterprise=enterprise))
    if existing:
        return existing
    last = dates.today().year - 1
    waiting = submissions.submission_save(
        enterprise=enterprise,
        kind="figures",
        data=_typed_figures(enterprise, last, grow=Decimal("1.06")),
        by=firm_user,
        submit=True,
    )
    returned = submissions.submission_save(
        enterprise=enterprise,
        kind="figures",
        data=_typed_figures(enterprise, last - 1, grow=Decimal("1.12")),
        by=firm_user,
        submit=True,
    )
    official = official or (
        User.objects.filter(
            role=Role.COUNTY_OFFICIAL, jurisdiction_id=enterprise.jurisdiction_id, is_active=True
        ).first()
        or SystemActor("seed_firm_submissions")
    )
    returned = submissions.submission_return(
        submission=returned,
        by=official,
        reason=f"{last - 1}年营业收入与审计报告不一致，请按审计报告填写并上传审计报告。",
    )
    return [waiting, returned]
