"""County assessment: indicator snapshots and targets.

The indicator definitions live in one place (``assessment/indicators.py``); snapshots are what a
rollup wrote for a jurisdiction (or the whole city), a year and an indicator. The plan's registers
(carriers, training events, counselors, the 13 tasks and their reports) have their own room in
``assessment/registers/``; their models are imported below.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.models import Jurisdiction

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
