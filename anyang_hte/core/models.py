import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .roles import ENTERPRISE_BOUND_ROLES, JURISDICTION_BOUND_ROLES, Role


class Jurisdiction(models.Model):
    """An assessment unit: a district, county, county-level city or management committee."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("市辖区")
        COUNTY = "county", _("县")
        COUNTY_CITY = "county_city", _("县级市")
        COMMITTEE = "committee", _("管委会")

    code = models.CharField(_("代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64, unique=True)
    short_name = models.CharField(_("简称"), max_length=32, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("县区")
        verbose_name_plural = _("县区")

    def __str__(self):
        return self.name


class PortalUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("所属县区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    # A firm user's (企业用户) one enterprise; empty until its county confirms the registration. A string
    # reference: the core layer never imports the ledger app.
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("所属企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="firm_users",
    )
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)

    objects = PortalUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                name="user_bound_role_has_jurisdiction",
                condition=~Q(role__in=sorted(r.value for r in JURISDICTION_BOUND_ROLES))
                | Q(jurisdiction__isnull=False),
                violation_error_message=_("县区角色必须绑定一个县区。"),
            ),
            models.CheckConstraint(
                name="user_enterprise_only_for_firm_role",
                condition=Q(enterprise__isnull=True)
                | Q(role__in=sorted(r.value for r in ENTERPRISE_BOUND_ROLES)),
                violation_error_message=_("只有企业用户可以关联企业。"),
            ),
        ]

    def __str__(self):
        return self.display_name or self.username

    @property
    def is_jurisdiction_bound(self) -> bool:
        return self.role in JURISDICTION_BOUND_ROLES

    @property
    def is_enterprise_bound(self) -> bool:
        return self.role in ENTERPRISE_BOUND_ROLES


class AuditLog(models.Model):
    """A business event: who did what to which object, when, with what data."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("对象类型"))
    object_id = models.CharField(_("对象编号"), max_length=64)
    action = models.CharField(_("事项"), max_length=64, db_index=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("操作人"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-created_at"]),
            # The log page's order (newest first, the id breaking ties) and its keyset pages past the cap.
            models.Index(fields=["-created_at", "-id"], name="auditlog_created_id"),
        ]
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class JobHeartbeat(models.Model):
    """What a background run needs to survive a killed worker (see :mod:`anyang_hte.core.jobs`).

    ``heartbeat_at`` moves while the run works; ``claim`` names the execution that holds the run, so a
    second delivery of the same task is skipped and a superseded execution stops; ``attempts`` counts
    how often the run was sent to the workers.
    """

    heartbeat_at = models.DateTimeField(_("心跳时间"), null=True, blank=True)
    claim = models.CharField(_("执行标识"), max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(_("派发次数"), default=1)

    class Meta:
        abstract = True


class ExportJob(JobHeartbeat):
    """A large export written by a Celery worker; its page polls the progress and offers the file."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="export_jobs", verbose_name=_("用户")
    )
    kind = models.CharField(_("导出内容"), max_length=64)
    title = models.CharField(_("名称"), max_length=128)
    fmt = models.CharField(_("格式"), max_length=8)
    params = models.JSONField(_("筛选条件"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("已完成行数"), default=0)
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True)
    filename = models.CharField(_("文件名"), max_length=200, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


class ImportJob(JobHeartbeat):
    """A large import read (preview) and then written (apply) by a Celery worker, never in the request.

    The page polls its progress; the preview's summary and row errors stay in ``result`` for the user who
    started it (the full error list in ``errors_file``). ``kind`` names a runner in settings.IMPORT_JOBS.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("处理中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    class Phase(models.TextChoices):
        PREVIEW = "preview", _("预览")
        APPLY = "apply", _("导入")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("用户")
    )
    kind = models.CharField(_("导入内容"), max_length=64, db_index=True)
    title = models.CharField(_("名称"), max_length=200)
    phase = models.CharField(_("阶段"), max_length=8, choices=Phase.choices, default=Phase.PREVIEW)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    filename = models.CharField(_("文件名"), max_length=255)
    stash = models.CharField(_("暂存文件"), max_length=255, help_text=_("相对于 MEDIA_ROOT"))
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    params = models.JSONField(_("导入参数"), default=dict, blank=True)
    rows_total = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    errors_file = models.FileField(_("错误清单"), upload_to="import_errors/%Y/%m/", blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("最后进展"), auto_now=True)  # the worker's heartbeat
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "kind", "-created_at"])]
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")

    def __str__(self):
        return f"{self.title} ({self.get_phase_display()} {self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)

    @property
    def is_applied(self) -> bool:
        return self.phase == self.Phase.APPLY and self.status == self.Status.DONE

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


class Notification(models.Model):
    """A message to one user, shown in the portal (count in the header) and sent by e-mail."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("用户")
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        indexes = [
            # A user's messages newest first (the id breaking ties): the list and its keyset pages.
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_created_id"),
            models.Index(fields=["user"], name="notification_user_unread", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self):
        return self.title


class CalendarDay(models.Model):
    """A day the weekday rule gets wrong: a public holiday (放假) or a make-up working day (调休上班).

    Every other day is a working day from Monday to Friday and a rest day on Saturday and Sunday. The
    rows are data: the State Council publishes each year's arrangement (国务院办公厅关于某年部分节假日安排
    的通知) in November, and the administrator enters or corrects it in the admin.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("节日"), max_length=32, help_text=_("如：春节、国庆节。调休上班日填所属节日。"))
    source = models.CharField(_("依据"), max_length=128, blank=True, help_text=_("如：国办发明电〔2025〕7号"))

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}（{self.get_kind_display()}）"


class TimeLimit(models.Model):
    """A time limit (办理时限) of a step of the work: how many working or calendar days its owner has.

    The set of limits is fixed by the code (each ``code`` is read by the page or the reminder that
    applies it); their length is data the administrator sets in the admin.
    """

    class Code(models.TextChoices):
        REWARD_SUBMIT = "reward_submit", _("县区申报奖励")
        REWARD_REVIEW = "reward_review", _("市科技局审核奖励")
        LINE_PAYMENT = "line_payment", _("财政部门拨付资金")
        SUBMISSION_CONFIRM = "submission_confirm", _("县区确认企业填报")

    class Unit(models.TextChoices):
        WORKING = "working", _("工作日")
        CALENDAR = "calendar", _("自然日")

    code = models.CharField(_("事项代码"), max_length=32, choices=Code.choices, unique=True)
    days = models.PositiveSmallIntegerField(_("时限"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("计算方式"), max_length=16, choices=Unit.choices, default=Unit.WORKING)
    starts = models.CharField(_("起算"), max_length=128, help_text=_("从何时起算，如：县区提交之日。"))
    owner = models.CharField(_("责任单位"), max_length=128)
    notes = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        constraints = [models.CheckConstraint(name="time_limit_days_positive", condition=Q(days__gte=1))]

    def __str__(self):
        return f"{self.get_code_display()}：{self.days} {self.get_unit_display()}"


class DeadlineReminder(models.Model):
    """A reminder of overdue items sent to one user, for one kind of item, on one day (at most one)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="deadline_reminders", verbose_name=_("用户")
    )
    code = models.CharField(_("事项"), max_length=32, choices=TimeLimit.Code.choices)
    day = models.DateField(_("提醒日期"))
    items = models.JSONField(_("超期事项"), default=list, blank=True)
    notification = models.ForeignKey(
        Notification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("消息"),
    )
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        ordering = ["-day", "user", "code"]
        verbose_name = _("超期提醒")
        verbose_name_plural = _("超期提醒")
        constraints = [
            models.UniqueConstraint(fields=["user", "code", "day"], name="deadline_reminder_once_a_day"),
        ]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.user} {self.get_code_display()}"


class EmailOutbox(models.Model):
    """An e-mail to send, written in the same transaction as the event it tells of.

    A task sends it after the commit and a sweeper (beat, every minute) sends whatever is due, so a
    broker or mail server that is down delays mail and loses none. ``next_attempt_at`` is empty once
    the message is sent or given up.
    """

    recipients = models.JSONField(_("收件人"), default=list)
    subject = models.CharField(_("主题"), max_length=300)
    body = models.TextField(_("正文"))
    notification = models.ForeignKey(
        Notification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("消息"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("下次发送时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("待发邮件")
        verbose_name_plural = _("待发邮件")
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="outbox_due", condition=Q(next_attempt_at__isnull=False)
            ),
            models.Index(fields=["sent_at"], name="outbox_sent", condition=Q(sent_at__isnull=False)),
        ]

    def __str__(self):
        return self.subject

    @property
    def state(self) -> str:
        if self.sent_at:
            return _("已发送")
        return _("待发送") if self.next_attempt_at else _("已放弃")


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran the heartbeat task that beat schedules (one row per ``name``).

    ``/healthz`` reports its age: a stale heartbeat means beat, the broker or every worker has stopped.
    """

    name = models.CharField(_("名称"), max_length=32, unique=True)
    beat_at = models.DateTimeField(_("最近心跳"))
    worker = models.CharField(_("执行节点"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("后台任务心跳")
        verbose_name_plural = _("后台任务心跳")

    def __str__(self):
        return f"{self.name} {self.beat_at:%Y-%m-%d %H:%M:%S}"


class DocumentSeries(models.Model):
    """A 文号 series: the last serial given under one prefix in one year (安科通〔2026〕3号 is serial 3 of
    prefix 安科通, 2026). Issuing locks the row (``select_for_update``) to take the next number, so two
    issues at once never share one; a new year starts a new row at 1. Numbers are never given back."""

    prefix = models.CharField(_("文号前缀"), max_length=32)
    year = models.PositiveSmallIntegerField(_("年度"))
    last_serial = models.PositiveIntegerField(_("最后序号"), default=0)

    class Meta:
        ordering = ["-year", "prefix"]
        verbose_name = _("文号序列")
        verbose_name_plural = _("文号序列")
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="document_series_once")]

    def __str__(self):
        return f"{self.prefix}〔{self.year}〕{self.last_serial}号"


class IssuedDocument(models.Model):
    """A PDF the portal issued under a 文号: kept as issued, never overwritten nor renumbered.

    Re-issuing the same source (a year's bulletin, a batch's notice) makes a new document with a new
    number; the earlier ones stay listed and ``is_latest`` marks the newest per kind and source.
    ``snapshot`` holds the figures the PDF was made from; ``source_*`` say which record (a payout
    batch) or year (a bulletin) it came from. Who may see a kind is said by the app that issues it
    (settings.ISSUED_DOCUMENT_SCOPES, see anyang_hte/core/documents.py).
    """

    class Kind(models.TextChoices):
        BULLETIN = "bulletin", _("通报")
        REWARD_NOTICE = "reward_notice", _("奖励通知")
        PAYOUT_SHEET = "payout_sheet", _("拨付表")

    kind = models.CharField(_("文种"), max_length=32, choices=Kind.choices)
    prefix = models.CharField(_("文号前缀"), max_length=32)
    year = models.PositiveSmallIntegerField(_("文号年度"))
    serial = models.PositiveIntegerField(_("文号序号"))
    number = models.CharField(_("文号"), max_length=64)
    title = models.CharField(_("标题"), max_length=200)
    issuing_unit = models.CharField(_("发文单位"), max_length=64)
    issued_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("印发人")
    )
    issued_at = models.DateTimeField(_("印发时间"))
    source_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("来源类型"),
    )
    source_id = models.PositiveBigIntegerField(_("来源编号"), null=True, blank=True)
    source_year = models.PositiveSmallIntegerField(_("数据年度"), null=True, blank=True)
    source_key = models.CharField(_("来源"), max_length=64, help_text=_("如 bulletin:2026、payout_batch:12"))
    source_label = models.CharField(_("来源说明"), max_length=200, blank=True)
    snapshot = models.JSONField(_("数据快照"), default=dict, blank=True)
    file = models.FileField(_("文件"), upload_to="documents/%Y/", max_length=200)
    size = models.PositiveIntegerField(_("文件大小（字节）"))
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    is_latest = models.BooleanField(_("最新印发"), default=True)
    supersedes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        verbose_name=_("替代"),
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("印发文件")
        verbose_name_plural = _("印发文件")
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year", "serial"], name="issued_document_number_once"),
            models.UniqueConstraint(
                fields=["kind", "source_key"],
                condition=Q(is_latest=True),
                name="issued_document_one_latest",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "source_key", "-issued_at"], name="issued_document_source"),
            models.Index(fields=["source_type", "source_id"], name="issued_document_object"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("document_download", args=[self.pk])

    @property
    def filename(self) -> str:
        return f"{self.number}_{self.title}.pdf"
