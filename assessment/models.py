"""County assessment: indicator snapshots, targets, the statistics bureau's published value-added, the
action plans and their goals, and how "new HTEs" are counted.

The indicator definitions live in one place (``assessment/indicators.py``); snapshots are what a
rollup wrote for a jurisdiction (or the whole city), a year and an indicator. The plan's registers
(carriers, training events, counselors, the 13 tasks and their reports) have their own room in
``assessment/registers/``; their models are imported below.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.models import JobHeartbeat, Jurisdiction

# The registers' models live in assessment/registers/models.py (app label ``assessment``, same tables).
# Importing them here registers them with Django when the app's models load, keeps the migration
# autodetector seeing them where the migrations put them, and lets code that reads them with the
# indicators (demo, indicators, views) keep importing them from ``assessment.models``.
from .registers.models import (  # noqa: F401
    IncubationCarrier,
    PlanTask,
    PlanTaskUnit,
    PolicyCounselor,
    TaskProgressReport,
    TrainingEvent,
)

CITY_SCOPE = "city"  # IndicatorSnapshot.scope for the whole city; otherwise a jurisdiction code
VALUE = {"max_digits": 20, "decimal_places": 4}


class IndicatorSnapshot(models.Model):
    """One rolled-up number: unique per scope, year and indicator (a rollup upserts)."""

    scope = models.CharField(_("范围"), max_length=12)  # a jurisdiction code, or "city"
    year = models.PositiveSmallIntegerField(_("年度"))
    indicator = models.CharField(_("指标"), max_length=48)
    value = models.DecimalField(_("数值"), **VALUE)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        ordering = ["year", "scope", "indicator"]
        verbose_name = _("指标快照")
        verbose_name_plural = _("指标快照")
        constraints = [
            models.UniqueConstraint(fields=["scope", "year", "indicator"], name="snapshot_unique"),
        ]
        indexes = [models.Index(fields=["year", "indicator"], name="snapshot_year_indicator")]

    def __str__(self):
        return f"{self.scope} {self.year} {self.indicator}={self.value}"


class RollupRun(JobHeartbeat):
    """One rollup of a year, as the dashboard's progress bar sees it. At most one runs per year."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    steps_total = models.PositiveIntegerField(_("总步数"), default=0)
    steps_done = models.PositiveIntegerField(_("已完成步数"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("指标汇总任务")
        verbose_name_plural = _("指标汇总任务")
        constraints = [
            # Two rollups of the same year never run at once.
            models.UniqueConstraint(
                fields=["year"],
                condition=Q(status__in=["pending", "running"]),
                name="rollup_one_active_per_year",
            )
        ]

    def __str__(self):
        return f"{self.year} {self.get_status_display()}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, self.steps_done * 100 // self.steps_total) if self.steps_total else 0


class Target(models.Model):
    """A jurisdiction's target for one indicator and year, set by the tech bureau."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", verbose_name=_("县区")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    indicator = models.CharField(_("指标"), max_length=48)
    value = models.DecimalField(_("目标值"), **VALUE)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["year", "jurisdiction", "indicator"]
        verbose_name = _("考核目标")
        verbose_name_plural = _("考核目标")
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "year", "indicator"], name="target_unique"),
            models.CheckConstraint(name="target_non_negative", condition=Q(value__gte=0)),
        ]

    def __str__(self):
        return f"{self.jurisdiction} {self.year} {self.indicator}={self.value}"


class PublishedValueAdded(models.Model):
    """The statistics bureau's published figures of one year for a jurisdiction, or for the whole city
    (``jurisdiction`` empty): 高新技术产业增加值 and 规模以上工业增加值, exact yuan.

    The plan's 40 % goal is their ratio. They are entered by the tech bureau from the bureau's
    publication (``source``), never summed from the firms' own figures, and the city's row is its own
    publication, never the sum of the counties'. A figure not (yet) published is empty.
    """

    jurisdiction = models.ForeignKey(
        Jurisdiction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("县区（空为全市）"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    hightech_value_added = models.DecimalField(
        _("高新技术产业增加值（元）"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    industrial_value_added = models.DecimalField(
        _("规模以上工业增加值（元）"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    source = models.CharField(_("数据来源"), max_length=200)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("录入人"),
    )
    entered_at = models.DateTimeField(_("录入时间"))

    class Meta:
        ordering = ["year", "jurisdiction__sort_order"]
        verbose_name = _("统计局公布的增加值")
        verbose_name_plural = _("统计局公布的增加值")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "year"],
                condition=Q(jurisdiction__isnull=False),
                name="published_va_unique",
            ),
            models.UniqueConstraint(
                fields=["year"], condition=Q(jurisdiction__isnull=True), name="published_va_city_unique"
            ),
            models.CheckConstraint(
                name="published_va_industrial_positive",
                condition=Q(industrial_value_added__isnull=True) | Q(industrial_value_added__gt=0),
            ),
            models.CheckConstraint(
                name="published_va_hightech_non_negative",
                condition=Q(hightech_value_added__isnull=True) | Q(hightech_value_added__gte=0),
            ),
        ]

    def __str__(self):
        return f"{self.jurisdiction or _('全市')} {self.year}"

    @property
    def scope(self) -> str:
        return self.jurisdiction.code if self.jurisdiction_id else CITY_SCOPE


class Plan(models.Model):
    """An action plan and its goals, as data: 安政办〔2017〕100号 (2018–2021) is seeded; later plans are
    added by the tech bureau (``services.plan_create``). A goal left empty is not set."""

    name = models.CharField(_("计划名称"), max_length=120)
    document_number = models.CharField(_("文号"), max_length=64, unique=True)
    first_year = models.PositiveSmallIntegerField(_("起始年度"))
    last_year = models.PositiveSmallIntegerField(_("截止年度"))
    goal_new_hte = models.PositiveIntegerField(_("累计新认定高企目标（家）"), null=True, blank=True)
    goal_valid_hte = models.PositiveIntegerField(_("期末有效高企目标（家）"), null=True, blank=True)
    goal_valid_hte_exceeds = models.BooleanField(
        _("有效高企须超过目标数"),
        default=False,
        help_text=_("勾选：目标为“超过”该数（如“超过120家”）；不勾选：达到该数即可。"),
    )
    goal_share = models.DecimalField(
        _("高新技术产业增加值占比目标（%）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    zone = models.ForeignKey(
        Jurisdiction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("计划确定的高新区"),
        help_text=_("计划要求以其为主阵地、将高企数量和增幅纳入考核的高新区（任务11）。"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-first_year", "-pk"]
        verbose_name = _("行动计划")
        verbose_name_plural = _("行动计划")
        constraints = [
            models.CheckConstraint(name="plan_years_in_order", condition=Q(last_year__gte=F("first_year"))),
            models.CheckConstraint(
                name="plan_goal_share_percent",
                condition=Q(goal_share__isnull=True) | Q(goal_share__gte=0, goal_share__lte=100),
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.document_number}）"

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)


class CountingRule(models.Model):
    """How the indicators count "new HTEs" (新认定高企): one row, changed by the tech bureau or the
    administrator (``services.counting_rule_set``, audited). Without a row the defaults hold."""

    recertification_is_new = models.BooleanField(
        _("期满后重新认定计为新认定"),
        default=True,
        help_text=_(
            "勾选：证书期满（或撤销）后重新认定的企业在认定当年计为新认定；"
            "不勾选：只有企业首次认定计为新认定。迁入企业带来的证书在任何口径下都不计为新认定。"
        ),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("新认定高企统计口径")
        verbose_name_plural = _("新认定高企统计口径")

    def __str__(self):
        return str(self._meta.verbose_name)
