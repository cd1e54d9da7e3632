"""What an API client may be given: each scope code, the right it maps to, and whether only a city-wide
client may hold it. The one place that says so; ``ClientActor.rights`` is built from it."""

from django.utils.translation import gettext_lazy as _

from anyang_hte.core.roles import Right

# code: (right, label, city only)
SCOPES: dict[str, tuple[str, str, bool]] = {
    "enterprises:read": (Right.LEDGER_VIEW, _("读取企业（阶段、认定条件判断）"), False),
    "figures:read": (Right.LEDGER_VIEW, _("读取企业年度数据"), False),
    "qualifications:read": (Right.LEDGER_VIEW, _("读取企业资质"), False),
    "rewards:read": (Right.REWARD_VIEW, _("读取奖励及其资金明细"), False),
    "indicators:read": (Right.ASSESSMENT_VIEW, _("读取考核指标快照"), False),
    "rounds:read": (Right.ROUND_VIEW, _("读取高企申报批次的申报企业"), False),
    "certifications:write": (Right.QUALIFICATION_EDIT, _("登记认定结果（资质）"), False),
    "figures:submit": (Right.FIGURES_DELIVER, _("代企业报送年度数据（县区确认）"), False),
    "official_lists:write": (Right.OFFICIAL_LIST_IMPORT, _("报送认定名单"), True),
}


def rights_for(scopes) -> frozenset[str]:
    return frozenset(SCOPES[code][0] for code in scopes if code in SCOPES)


def scope_label(code: str) -> str:
    return str(SCOPES[code][1]) if code in SCOPES else code
