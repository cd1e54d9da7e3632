"""County assessment: indicator snapshots and targets, and the plan's other registers.

The indicator definitions live in one place (``assessment/indicators.py``); snapshots are what a
rollup wrote for a jurisdiction (or the whole city), a year and an indicator.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.models import Jurisdiction
from enterprises.models import Enterprise

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


class RollupRun(models.Model):
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


class IndustrialValueAdded(models.Model):
    """A jurisdiction's above-scale industrial value-added for a year (entered by the tech bureau)."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", verbose_name=_("县区")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    amount = models.DecimalField(_("规模以上工业增加值（元）"), max_digits=18, decimal_places=2)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["year", "jurisdiction"]
        verbose_name = _("规模以上工业增加值")
        verbose_name_plural = _("规模以上工业增加值")
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "year"], name="industrial_va_unique")]

    def __str__(self):
        return f"{self.jurisdiction} {self.year}"


class IncubationCarrier(models.Model):
    class Kind(models.TextChoices):
        INCUBATOR = "incubator", _("科技企业孵化器")
        UNIVERSITY_PARK = "university_park", _("大学科技园")
        MAKER_SPACE = "maker_space", _("众创空间")

    class Level(models.TextChoices):
        NATIONAL = "national", _("国家级")
        PROVINCIAL = "provincial", _("省级")
        CITY = "city", _("市级")

    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices)
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", verbose_name=_("县区")
    )
    recognised_on = models.DateField(_("认定日期"))
    revoked_on = models.DateField(_("撤销日期"), null=True, blank=True)

    class Meta:
        ordering = ["jurisdiction", "name"]
        verbose_name = _("孵化载体")
        verbose_name_plural = _("孵化载体")
        constraints = [models.UniqueConstraint(fields=["name", "kind"], name="carrier_unique")]
        indexes = [models.Index(fields=["jurisdiction", "recognised_on"], name="carrier_juris_date")]

    def __str__(self):
        return self.name


class TrainingEvent(models.Model):
    held_on = models.DateField(_("日期"))
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", verbose_name=_("县区")
    )
    topic = models.CharField(_("主题"), max_length=200)
    enterprises = models.ManyToManyField(
        Enterprise, blank=True, related_name="trainings", verbose_name=_("参训企业")
    )
    notes = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("培训活动")
        verbose_name_plural = _("培训活动")
        indexes = [models.Index(fields=["jurisdiction", "held_on"], name="training_juris_date")]

    def __str__(self):
        return f"{self.held_on} {self.topic}"


class PolicyCounselor(models.Model):
    """政策辅导员: a person who coaches enterprises on the HTE policy."""

    name = models.CharField(_("姓名"), max_length=64)
    unit = models.CharField(_("单位"), max_length=128, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", verbose_name=_("县区")
    )
    enterprises = models.ManyToManyField(
        Enterprise, blank=True, related_name="counselors", verbose_name=_("辅导企业")
    )
    active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        ordering = ["jurisdiction", "name"]
        verbose_name = _("政策辅导员")
        verbose_name_plural = _("政策辅导员")

    def __str__(self):
        return self.name


class PlanTask(models.Model):
    """One of the 13 tasks of 安政办〔2017〕100号 (seeded from domain.md)."""

    number = models.PositiveSmallIntegerField(_("序号"), unique=True)
    group = models.CharField(_("类别"), max_length=64)
    summary = models.TextField(_("任务"))

    class Meta:
        ordering = ["number"]
        verbose_name = _("行动计划任务")
        verbose_name_plural = _("行动计划任务")

    def __str__(self):
        return f"{self.number}. {self.summary[:30]}"


class PlanTaskUnit(models.Model):
    """A responsible unit (责任单位) of a task."""

    task = models.ForeignKey(PlanTask, on_delete=models.CASCADE, related_name="units")
    unit = models.CharField(_("责任单位"), max_length=64)

    class Meta:
        ordering = ["task", "id"]
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        constraints = [models.UniqueConstraint(fields=["task", "unit"], name="task_unit_unique")]

    def __str__(self):
        return self.unit


class TaskProgressReport(models.Model):
    """A responsible unit's progress on a task in one quarter."""

    task_unit = models.ForeignKey(PlanTaskUnit, on_delete=models.PROTECT, related_name="reports")
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    progress = models.TextField(_("进展情况"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("报送时间"), auto_now_add=True)

    class Meta:
        ordering = ["-year", "-quarter", "task_unit"]
        verbose_name = _("任务进展报告")
        verbose_name_plural = _("任务进展报告")
        constraints = [
            models.UniqueConstraint(fields=["task_unit", "year", "quarter"], name="report_once_per_quarter"),
            models.CheckConstraint(name="report_quarter_valid", condition=Q(quarter__gte=1, quarter__lte=4)),
        ]

    def __str__(self):
        return f"{self.task_unit} {self.year}Q{self.quarter}"
