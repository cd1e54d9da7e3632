"""The plan's registers: incubation carriers, training events, policy counselors, the plan's 13 tasks
with each responsible unit's quarterly progress report, and the city's Little Giant reserve (科技小巨人备案,
task 2) with every move on its entries.

These models belong to the ``assessment`` app (Django finds the containing app config for this module;
tables and migrations are the app's). ``assessment/models.py`` imports them so they load with the app.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.models import Jurisdiction
from enterprises.models import Enterprise, Qualification


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
        ordering = ["jurisdiction_id", "name"]  # the column, not a join to the counties' ordering
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
        ordering = ["jurisdiction_id", "name"]  # the column, not a join to the counties' ordering
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
    # A unit that was merged or renamed keeps its row (and its reports); its successor is a new row.
    active_from = models.PositiveSmallIntegerField(_("起始年度"), null=True, blank=True)
    active_until = models.PositiveSmallIntegerField(_("截止年度"), null=True, blank=True)
    formerly = models.CharField(_("原单位名称"), max_length=64, blank=True)

    class Meta:
        ordering = ["task", "id"]
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        constraints = [models.UniqueConstraint(fields=["task", "unit"], name="task_unit_unique")]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        """The name, with the names it replaced: 国家税务总局安阳市税务局（原市国税局、市地税局）."""
        if self.formerly:
            return _("%(unit)s（原%(formerly)s）") % {"unit": self.unit, "formerly": self.formerly}
        return self.unit

    def active_in(self, year: int) -> bool:
        return (self.active_from is None or self.active_from <= year) and (
            self.active_until is None or year <= self.active_until
        )


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


class LittleGiantReserveEntry(models.Model):
    """An enterprise in one year's city Little Giant reserve (科技小巨人备案), from proposal to decision.

    One row per enterprise and year: a county proposes (or withdraws and proposes again), the tech bureau
    confirms or declines, and a confirmed entry may be removed; the row stays in every case. Which moves
    are legal is ``workflow.MOVES``; who made each one, when and why is a ``LittleGiantReserveDecision``.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("已推荐待确认")
        WITHDRAWN = "withdrawn", _("已撤回")
        CONFIRMED = "confirmed", _("已确认备案")
        DECLINED = "declined", _("未予确认")
        REMOVED = "removed", _("已移出备案")

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="lg_reserve_entries", verbose_name=_("企业")
    )
    year = models.PositiveSmallIntegerField(_("备案年度"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    note = models.TextField(_("推荐说明"), blank=True)
    # The county's case for an enterprise whose figures do not meet the conditions; shown to the bureau.
    exception_reason = models.TextField(_("不符合条件的推荐理由"), blank=True)
    was_candidate = models.BooleanField(_("推荐时符合条件"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("推荐人")
    )
    proposed_at = models.DateTimeField(_("推荐时间"))
    # The ledger's 市科技小巨人备案 qualification the confirmation recorded (or found valid that day); a
    # removal revokes it, so the enterprise's stage follows the reserve.
    qualification = models.OneToOneField(
        Qualification,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lg_reserve_entry",
        verbose_name=_("台账中的备案资质"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-year", "enterprise"]
        verbose_name = _("科技小巨人备案")
        verbose_name_plural = _("科技小巨人备案")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="lg_reserve_once_per_year"),
            models.CheckConstraint(
                name="lg_reserve_exception_has_reason",
                condition=Q(was_candidate=True) | ~Q(exception_reason=""),
            ),
        ]
        indexes = [models.Index(fields=["year", "status"], name="lg_reserve_year_status")]

    def __str__(self):
        return f"{self.year} {self.enterprise}"


class LittleGiantReserveDecision(models.Model):
    """One move on a reserve entry: who moved it where, when, and why (a row, not a boolean)."""

    entry = models.ForeignKey(LittleGiantReserveEntry, on_delete=models.CASCADE, related_name="decisions")
    # Empty for the first proposal (there was no entry before it).
    from_status = models.CharField(
        _("原状态"), max_length=16, choices=LittleGiantReserveEntry.Status.choices, blank=True
    )
    to_status = models.CharField(_("新状态"), max_length=16, choices=LittleGiantReserveEntry.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人")
    )
    role = models.CharField(_("角色"), max_length=32, blank=True)
    at = models.DateTimeField(_("时间"))
    comment = models.TextField(_("意见或理由"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("科技小巨人备案办理记录")
        verbose_name_plural = _("科技小巨人备案办理记录")

    def __str__(self):
        return f"{self.entry_id}: {self.from_status or '-'} → {self.to_status}"
