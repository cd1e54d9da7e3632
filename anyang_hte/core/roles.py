"""The role set and each role's rights: the one place that defines who may do what.

Every permission check in the project asks :func:`has_right`; every row-level scope asks
:func:`anyang_hte.core.scope.scope_queryset`. A role or right that is not listed here grants nothing.

Besides people there is one more actor: :class:`SystemActor`, the portal itself when a management
command runs on the server or a scheduled task runs at night. It is never a ``User`` row (no log-in can
become it), it must be named where it acts (``by=SystemActor("command import_ledger")``), and it holds
only :data:`SYSTEM_RIGHTS`: it keeps the ledger and the indicators, but never submits, approves or pays
money, which always needs a person.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTY_OFFICIAL = "county_official", _("县区科技部门")
    TECH_REVIEWER = "tech_reviewer", _("市科技局审核员")
    CITY_FINANCE = "city_finance", _("市财政局")
    COUNTY_FINANCE = "county_finance", _("县区财政局")
    ADMIN = "admin", _("系统管理员")
    ENTERPRISE = "enterprise", _("企业用户")


class Right(models.TextChoices):
    LEDGER_VIEW = "ledger.view", _("查看培育台账")
    LEDGER_EDIT = "ledger.edit", _("编辑培育台账")
    LEDGER_IMPORT = "ledger.import", _("导入培育台账")
    LEDGER_EXPORT = "ledger.export", _("导出培育台账")
    QUALIFICATION_EDIT = "qualification.edit", _("登记与撤销资质")
    HISTORY_VIEW = "history.view", _("查看变更记录")
    REWARD_VIEW = "reward.view", _("查看奖励")
    REWARD_SUBMIT = "reward.submit", _("申报奖励")
    REWARD_REVIEW = "reward.review", _("审核奖励")
    PAYOUT_MANAGE = "payout.manage", _("编制拨付批次、登记拨付")
    BUDGET_VIEW = "budget.view", _("查看奖励资金统计")
    # 专项经费: the tech bureau records each year's appropriation per funding source and its adjustments.
    APPROPRIATION_MANAGE = "appropriation.manage", _("录入专项经费及其调整")
    RULE_MANAGE = "rule.manage", _("维护奖励规则")
    OFFICIAL_LIST_IMPORT = "official_list.import", _("导入认定公示名单")
    ASSESSMENT_VIEW = "assessment.view", _("查看考核指标")
    ASSESSMENT_MANAGE = "assessment.manage", _("设定目标、汇总指标、发布通报")
    REGISTER_EDIT = "register.edit", _("维护培训、辅导员和孵化载体登记")
    TASK_REPORT = "task.report", _("登记行动计划任务进展")
    # The enterprise's own door (企业端): a firm user acts on its own enterprise only.
    FIRM_SELF = "firm.self", _("填报本企业信息、自评、申报和跟踪奖励")
    # Firm accounts: invite a firm, confirm a firm's self-registration (the county of the firm).
    FIRM_ACCOUNT_MANAGE = "firm_account.manage", _("邀请和确认企业用户")
    # The yearly HTE application round (申报批次).
    ROUND_VIEW = "round.view", _("查看高企申报批次")
    ROUND_MANAGE = "round.manage", _("开设和管理高企申报批次")
    ROUND_DECLARE = "round.declare", _("登记申报意向")
    ROUND_RECOMMEND = "round.recommend", _("县区推荐申报企业")
    ROUND_REVIEW = "round.review", _("市级初审")
    ROUND_OUTCOME = "round.outcome", _("登记省级认定结果")
    # The audit log page (操作日志): who did what to which record, every county's (city-wide roles only).
    AUDIT_VIEW = "audit.view", _("查看操作日志")
    # An account whose authenticator is lost: its two-factor devices are removed (audited).
    TWO_FACTOR_RESET = "two_factor.reset", _("重置用户的两步验证")
    # A system client of the API (a tax or statistics system, say) delivers a firm's yearly figures as a
    # submission that the firm's county confirms; no person holds this right.
    FIGURES_DELIVER = "figures.deliver", _("代企业报送年度数据")
    # System clients of the API: created (a token shown once), revoked.
    API_CLIENT_MANAGE = "api_client.manage", _("管理数据接口客户端")


RIGHTS: dict[str, frozenset[str]] = {
    Role.COUNTY_OFFICIAL: frozenset(
        {
            Right.LEDGER_VIEW,
            Right.LEDGER_EDIT,
            Right.LEDGER_IMPORT,
            Right.LEDGER_EXPORT,
            Right.QUALIFICATION_EDIT,
            Right.HISTORY_VIEW,
            Right.REWARD_VIEW,
            Right.REWARD_SUBMIT,
            Right.ASSESSMENT_VIEW,
            Right.REGISTER_EDIT,
            Right.FIRM_ACCOUNT_MANAGE,
            Right.ROUND_VIEW,
            Right.ROUND_DECLARE,
            Right.ROUND_RECOMMEND,
        }
    ),
    Role.TECH_REVIEWER: frozenset(
        {
            Right.LEDGER_VIEW,
            Right.LEDGER_EXPORT,
            Right.QUALIFICATION_EDIT,
            Right.HISTORY_VIEW,
            Right.REWARD_VIEW,
            Right.REWARD_REVIEW,
            Right.BUDGET_VIEW,
            Right.APPROPRIATION_MANAGE,
            Right.OFFICIAL_LIST_IMPORT,
            Right.ASSESSMENT_VIEW,
            Right.ASSESSMENT_MANAGE,
            Right.REGISTER_EDIT,
            Right.TASK_REPORT,
            Right.ROUND_VIEW,
            Right.ROUND_MANAGE,
            Right.ROUND_REVIEW,
            Right.ROUND_OUTCOME,
            Right.AUDIT_VIEW,
        }
    ),
    Role.CITY_FINANCE: frozenset(
        {
            Right.LEDGER_VIEW,
            Right.LEDGER_EXPORT,
            Right.REWARD_VIEW,
            Right.PAYOUT_MANAGE,
            Right.BUDGET_VIEW,
            Right.ASSESSMENT_VIEW,
        }
    ),
    Role.COUNTY_FINANCE: frozenset(
        {
            Right.LEDGER_VIEW,
            Right.LEDGER_EXPORT,
            Right.REWARD_VIEW,
            Right.PAYOUT_MANAGE,
            Right.BUDGET_VIEW,
            Right.ASSESSMENT_VIEW,
        }
    ),
    # Administrators keep users, jurisdictions and rules; deciding and paying money is not theirs:
    # only counties submit, only reviewers approve, only finance batches and pays. Nor do they act as a
    # firm, or move a firm through the round: the county and the bureau do.
    Role.ADMIN: frozenset(Right.values)
    - {
        Right.REWARD_SUBMIT,
        Right.REWARD_REVIEW,
        Right.PAYOUT_MANAGE,
        Right.APPROPRIATION_MANAGE,
        Right.FIRM_SELF,
        Right.FIRM_ACCOUNT_MANAGE,
        Right.ROUND_DECLARE,
        Right.ROUND_RECOMMEND,
        Right.ROUND_REVIEW,
        Right.ROUND_OUTCOME,
        Right.FIGURES_DELIVER,
    },
    # A firm user: its own enterprise's record, figures, self-evaluation, round entry and rewards, and
    # nothing else (no list, no county page, no other firm). Its scope is the enterprise it is bound to.
    Role.ENTERPRISE: frozenset({Right.FIRM_SELF, Right.ROUND_DECLARE}),
}

# Roles that move money, or run the portal: they log in with a second factor (a TOTP code), always.
TWO_FACTOR_ROLES = frozenset({Role.TECH_REVIEWER, Role.CITY_FINANCE, Role.COUNTY_FINANCE, Role.ADMIN})

# Roles bound to one jurisdiction: they see that jurisdiction's rows and nothing else.
JURISDICTION_BOUND_ROLES = frozenset({Role.COUNTY_OFFICIAL, Role.COUNTY_FINANCE})
# Roles that see every jurisdiction.
CITY_WIDE_ROLES = frozenset({Role.TECH_REVIEWER, Role.CITY_FINANCE, Role.ADMIN})
# Roles bound to one enterprise: they see that enterprise's own record and nothing else.
ENTERPRISE_BOUND_ROLES = frozenset({Role.ENTERPRISE})

# What the portal itself may do from a command or a scheduled task: keep the ledger (imports, stages,
# readiness), record certifications from official lists and the rewards they give, roll up indicators.
SYSTEM_RIGHTS = frozenset(
    {
        Right.LEDGER_VIEW,
        Right.LEDGER_EDIT,
        Right.LEDGER_IMPORT,
        Right.LEDGER_EXPORT,
        Right.QUALIFICATION_EDIT,
        Right.REWARD_VIEW,
        Right.OFFICIAL_LIST_IMPORT,
        Right.ASSESSMENT_VIEW,
        Right.ASSESSMENT_MANAGE,
        Right.ROUND_VIEW,
        Right.ROUND_OUTCOME,
        Right.API_CLIENT_MANAGE,
    }
)


@dataclass(frozen=True)
class SystemActor:
    """The portal acting on its own: ``name`` says which command or task (it goes into the audit log).

    It looks enough like a user for the guards (authenticated, active, city-wide, no jurisdiction) and
    has no primary key, so audit rows and ``created_by`` columns record no person.
    """

    name: str
    pk = None
    id = None
    role = "system"
    jurisdiction = None
    jurisdiction_id = None
    is_authenticated = True
    is_active = True
    is_staff = False
    is_superuser = False
    is_jurisdiction_bound = False
    is_enterprise_bound = False
    enterprise_id = None

    def __str__(self) -> str:
        return f"system ({self.name})"


def is_system(user) -> bool:
    return isinstance(user, SystemActor)


# What an API client may ever be given (its scopes map into these, api/scopes.py): reading the ledger,
# the rewards and the indicators, recording certifications and official lists, delivering figures.
# Never submitting, approving or paying money, which always needs a person.
CLIENT_RIGHTS = frozenset(
    {
        Right.LEDGER_VIEW,
        Right.REWARD_VIEW,
        Right.ASSESSMENT_VIEW,
        Right.ROUND_VIEW,
        Right.QUALIFICATION_EDIT,
        Right.OFFICIAL_LIST_IMPORT,
        Right.FIGURES_DELIVER,
    }
)


@dataclass(frozen=True)
class ClientActor:
    """A system client of the API (``api.ApiClient``) acting through its token: ``name`` goes into the
    audit log. Its rights are those its scopes give (within :data:`CLIENT_RIGHTS`); its scope is the
    city (``city_wide``) or one jurisdiction, exactly like a user's, and neither means nothing."""

    name: str
    client_id: int
    rights: frozenset = frozenset()
    jurisdiction_id: int | None = None
    city_wide: bool = False
    pk = None
    id = None
    role = "api_client"
    jurisdiction = None
    is_authenticated = True
    is_active = True
    is_staff = False
    is_superuser = False
    is_enterprise_bound = False
    enterprise_id = None

    @property
    def is_jurisdiction_bound(self) -> bool:
        return not self.city_wide

    def __str__(self) -> str:
        return f"api ({self.name})"


def is_client(user) -> bool:
    return isinstance(user, ClientActor)


def person(by):
    """The user to store as who did something (``created_by``, an audit row's user), or None when the
    portal itself acted (a :class:`SystemActor`) or nobody did."""
    return by if by is not None and getattr(by, "pk", None) else None


def has_right(user, right: str) -> bool:
    if is_system(user):
        return right in SYSTEM_RIGHTS
    if is_client(user):
        return right in user.rights and right in CLIENT_RIGHTS
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role in JURISDICTION_BOUND_ROLES and not user.jurisdiction_id:
        return False
    if user.role in ENTERPRISE_BOUND_ROLES and not getattr(user, "enterprise_id", None):
        return False  # a firm user whose enterprise link is missing (not yet confirmed) holds nothing
    return right in RIGHTS.get(user.role, frozenset())


def is_firm_user(user) -> bool:
    """Whether ``user`` signs in for a firm (企业用户), linked to an enterprise or not (yet)."""
    return bool(
        not is_system(user)
        and user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "role", None) in ENTERPRISE_BOUND_ROLES
    )


def two_factor_required(user) -> bool:
    """Whether ``user`` must pass a second factor whatever they chose: the money roles, the administrator
    and anyone who can open /admin/ (others may opt in, see anyang_hte/core/two_factor.py)."""
    if is_system(user) or is_client(user) or user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.role in TWO_FACTOR_ROLES or user.is_staff or user.is_superuser)


def is_city_wide(user) -> bool:
    """Whether ``user`` sees every jurisdiction (the city's offices, the administrator, the system)."""
    if is_system(user):
        return True
    if is_client(user):
        return bool(user.city_wide and user.jurisdiction_id is None)
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.role in CITY_WIDE_ROLES
