"""The yearly HTE application round (申报批次): the round, each firm's entry in it, every move as a row.

An entry moves along ``workflow.TRANSITIONS``: 意向 → 县区推荐 / 县区暂缓 → 初审通过 / 初审退回 →
认定 / 未通过; a firm may withdraw (已撤回) before the city's first review. Each move is a
:class:`RoundMove` (who, when, why; the reasons per HTE condition when the city returns an entry).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from enterprises.models import Enterprise

# The HTE conditions a city first review can return an entry on: the codes and names of the readiness
# verdict's criteria (enterprises/readiness/hte.py ``criteria``), in the order of 第十一条, and one
# for the application's materials. tests/applications check that the codes are the engine's own.
CONDITIONS: dict[str, str] = {
    "registered": _("注册成立满一年"),
    "ip": _("拥有知识产权"),
    "tech_field": _("技术领域"),
    "st_staff": _("科技人员占职工总数比例"),
    "rd_ratio": _("研发费用占销售收入比例"),
    "rd_domestic": _("境内研发费用占研发费用总额比例"),
    "hightech_revenue": _("高新技术产品（服务）收入占总收入比例"),
    "innovation": _("创新能力评价"),
    "incidents": _("申请前一年内无重大安全、质量事故或严重环境违法行为"),
    "materials": _("申报材料不完整或不规范"),
}


class ApplicationRound(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    year = models.PositiveSmallIntegerField(_("申报年度"), unique=True)
    intention_deadline = models.DateField(_("申报意向截止日期"))
    recommendation_deadline = models.DateField(_("县区推荐截止日期"))
    review_deadline = models.DateField(_("市级初审截止日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(_("开设时间"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("高企申报批次")
        verbose_name_plural = _("高企申报批次")
        constraints = [
            models.CheckConstraint(
                name="round_dates_in_order",
                condition=Q(intention_deadline__lte=F("recommendation_deadline"))
                & Q(recommendation_deadline__lte=F("review_deadline")),
            ),
            # "The open round": at most one at a time.
            models.UniqueConstraint(fields=["status"], condition=Q(status="open"), name="round_one_open"),
        ]

    def __str__(self):
        return _("%(year)s年高企申报") % {"year": self.year}

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class OutcomeReason(models.TextChoices):
    """Why the province did not certify a firm the city passed."""

    EXPERT_REVIEW = "expert_review", _("专家评审未通过")
    OBJECTION = "objection", _("公示异议")
    WITHDRAWN = "withdrawn", _("企业撤回")
    OTHER = "other", _("其他")


class RoundEntry(models.Model):
    class Status(models.TextChoices):
        INTENTION = "intention", _("申报意向")
        RECOMMENDED = "recommended", _("县区推荐")
        HELD = "held", _("县区暂缓")
        PASSED = "passed", _("初审通过")
        RETURNED = "returned", _("初审退回")
        CERTIFIED = "certified", _("认定")
        NOT_CERTIFIED = "not_certified", _("未通过")
        WITHDRAWN = "withdrawn", _("已撤回")

    round = models.ForeignKey(
        ApplicationRound, verbose_name=_("申报批次"), on_delete=models.PROTECT, related_name="entries"
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.PROTECT, related_name="round_entries"
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.INTENTION)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_at = models.DateTimeField(_("登记意向时间"))
    on_behalf = models.BooleanField(_("县区代为登记"), default=False)
    # The last move's reason (held, returned, not certified), and what it was per condition.
    reason = models.TextField(_("原因"), blank=True)
    reasons = models.JSONField(_("逐项退回原因"), default=dict, blank=True)
    outcome_reason = models.CharField(
        _("未通过原因"), max_length=16, choices=OutcomeReason.choices, blank=True
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["round", "enterprise__jurisdiction", "enterprise__name", "pk"]
        verbose_name = _("申报企业")
        verbose_name_plural = _("申报企业")
        constraints = [
            models.UniqueConstraint(fields=["round", "enterprise"], name="round_entry_unique"),
        ]
        indexes = [models.Index(fields=["round", "status"], name="round_entry_status")]

    def __str__(self):
        return f"{self.round} · {self.enterprise}"

    @property
    def returned_conditions(self) -> list[tuple[str, str]]:
        """``[(condition name, reason)]`` of the city's return, in the order of the conditions."""
        return [(str(CONDITIONS[c]), self.reasons[c]) for c in CONDITIONS if self.reasons.get(c)]


class RoundMove(models.Model):
    """One move of an entry: from, to, who (empty when the portal itself acted), when, why."""

    entry = models.ForeignKey(RoundEntry, on_delete=models.CASCADE, related_name="moves")
    from_status = models.CharField(_("原状态"), max_length=16, choices=RoundEntry.Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=RoundEntry.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_system = models.CharField(_("系统操作"), max_length=128, blank=True)
    at = models.DateTimeField(_("时间"))
    reason = models.TextField(_("原因"), blank=True)
    reasons = models.JSONField(_("逐项原因"), default=dict, blank=True)
    outcome_reason = models.CharField(
        _("未通过原因"), max_length=16, choices=OutcomeReason.choices, blank=True
    )

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("申报流转记录")
        verbose_name_plural = _("申报流转记录")

    def __str__(self):
        return f"{self.entry_id}: {self.from_status} → {self.to_status}"

    @property
    def returned_conditions(self) -> list[tuple[str, str]]:
        return [(str(CONDITIONS[c]), self.reasons[c]) for c in CONDITIONS if self.reasons.get(c)]
