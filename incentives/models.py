"""The incentives engine's tables: rules as data, rewards, their funding lines, batches and payments.

Money is exact yuan in ``Decimal``. A reward is split into funding lines (city share, county share);
each line is paid at most once (a one-to-one Payment) and a paid record is never edited, only
reversed by a Recovery.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.models import JobHeartbeat, Jurisdiction
from enterprises.models import Enterprise, Qualification, QualificationKind

from .funding import FundingSource  # defined beside who pays which source; used here and imported from here
from .querysets import AppropriationQuerySet, FundingLineQuerySet, PayoutBatchQuerySet, RewardQuerySet
from .reference import rule_display_name

MONEY = {"max_digits": 14, "decimal_places": 2}


class RewardRule(models.Model):
    """A reward the policy promises. Closed, never edited, once it has produced rewards."""

    code = models.CharField(_("规则代码"), max_length=32, unique=True)
    name = models.CharField(_("奖励事项"), max_length=128)
    trigger_kind = models.CharField(_("触发资质"), max_length=32, choices=QualificationKind.choices)
    city_amount = models.DecimalField(_("市级财政承担（元）"), default=Decimal("0"), **MONEY)
    county_amount = models.DecimalField(_("县区财政承担（元）"), default=Decimal("0"), **MONEY)
    first_time_only = models.BooleanField(
        _("仅限首次"),
        default=True,
        help_text=_(
            "勾选后，只奖励企业首次取得的该类资质：此前有过该类资质（无论已过期、已撤销或迁入前在外地取得），"
            "重新认定不再奖励。不勾选时，有效期内每次认定（含过期后重新认定）各奖励一次。"
        ),
    )
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("截止日期"), null=True, blank=True)
    policy_document = models.CharField(_("政策依据"), max_length=128)
    notes = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关闭人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["trigger_kind", "effective_from", "code"]
        verbose_name = _("奖励规则")
        verbose_name_plural = _("奖励规则")
        constraints = [
            models.CheckConstraint(
                name="rule_amounts_valid",
                condition=Q(city_amount__gte=0, county_amount__gte=0)
                & (Q(city_amount__gt=0) | Q(county_amount__gt=0)),
            ),
            models.CheckConstraint(
                name="rule_period_valid",
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.policy_document}）"

    @property
    def total_amount(self) -> Decimal:
        return self.city_amount + self.county_amount

    @property
    def display_name(self) -> str:
        """The name on screen, following the language for the seeded rules (stored ``name`` stays Chinese)."""
        return rule_display_name(self.code, self.name)


class Reward(models.Model):
    class Status(models.TextChoices):
        GENERATED = "generated", _("待申报")
        SUBMITTED = "submitted", _("待审核")
        RETURNED = "returned", _("已退回")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("不予奖励")
        PAID = "paid", _("已拨付")
        CANCELLED = "cancelled", _("已取消")

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="rewards", verbose_name=_("企业")
    )
    # The enterprise's jurisdiction when the reward arose: scope and the county's funding line follow it.
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", verbose_name=_("县区")
    )
    rule = models.ForeignKey(
        RewardRule, on_delete=models.PROTECT, related_name="rewards", verbose_name=_("奖励规则")
    )
    qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, related_name="rewards", verbose_name=_("触发资质")
    )
    amount = models.DecimalField(_("奖励金额（元）"), **MONEY)
    # The rule's setting, copied when the reward is created (a rule with rewards is never edited), so the
    # database itself can refuse a second reward of a first-time-only rule to one enterprise.
    first_time_only = models.BooleanField(_("仅限首次"), default=False, editable=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.GENERATED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申报人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("申报时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = RewardQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("奖励")
        verbose_name_plural = _("奖励")
        constraints = [
            # A qualification earns a rule's reward once: running the engine again changes nothing.
            models.UniqueConstraint(fields=["rule", "qualification"], name="reward_once_per_qualification"),
            # A first-time-only rule pays an enterprise once, whichever of its qualifications earned it.
            models.UniqueConstraint(
                fields=["enterprise", "rule"],
                condition=Q(first_time_only=True),
                name="reward_first_time_once_per_enterprise",
            ),
            # Four eyes: nobody approves what they submitted.
            models.CheckConstraint(
                name="reward_four_eyes",
                condition=Q(approved_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(approved_by=F("submitted_by")),
                violation_error_message=_("不能批准本人提交的申报。"),
            ),
            models.CheckConstraint(name="reward_amount_positive", condition=Q(amount__gt=0)),
        ]
        indexes = [
            # Carries the amount, so the reward list's totals row (every matching reward's count and sum,
            # uncapped) is an index-only scan for a county, a status, or the whole city.
            models.Index(
                fields=["jurisdiction", "status"], include=["amount"], name="reward_juris_status_amount"
            ),
            models.Index(fields=["status", "-created_at"], name="reward_status_created"),
            # The overdue counts (the dashboard's 超期事项): per county, the rewards of a status whose clock
            # started before a day, counted no further than the cap: each an index-only range scan of one
            # of these three (status, county, then the status's clock).
            models.Index(fields=["status", "jurisdiction", "created_at"], name="reward_status_juris_created"),
            models.Index(
                fields=["status", "jurisdiction", "approved_at"], name="reward_status_juris_approved"
            ),
            models.Index(
                fields=["status", "jurisdiction", "submitted_at"],
                include=["amount"],  # a county's queue totals: index-only too
                name="reward_status_juris_submitted",
            ),
            # The money drill-downs list a year's rewards county by county (jurisdiction_id, id).
            models.Index(fields=["jurisdiction", "id"], name="reward_juris_id"),
            # The review queue (status=submitted, the longest waiting first): its page is a walk of this
            # index, and its 合计 (count and amount) an index-only scan of the queue's own entries (the
            # index above would read every county's rewards of every status to find them).
            models.Index(
                fields=["status", "submitted_at", "id"], include=["amount"], name="reward_queue_order_amount"
            ),
        ]

    def __str__(self):
        return f"{self.enterprise} · {self.rule.name}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("incentives:reward_detail", args=[self.pk])


class RewardDecision(models.Model):
    """A sign-off on a reward: who moved it where, when, and why (a row, not a boolean)."""

    reward = models.ForeignKey(Reward, on_delete=models.CASCADE, related_name="decisions")
    from_status = models.CharField(_("原状态"), max_length=16, choices=Reward.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Reward.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    role = models.CharField(_("角色"), max_length=32, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    comment = models.TextField(_("意见"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("审核记录")
        verbose_name_plural = _("审核记录")

    def __str__(self):
        return f"{self.reward_id}: {self.from_status} → {self.to_status}"


def reward_document_path(instance, filename):
    return f"rewards/{instance.reward_id}/{filename}"


class RewardDocument(models.Model):
    class Kind(models.TextChoices):
        CERTIFICATE = "certificate", _("证书扫描件")
        BANK = "bank", _("银行账户确认书")
        OTHER = "other", _("其他材料")

    reward = models.ForeignKey(Reward, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("材料类型"), max_length=16, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to=reward_document_path)
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("申报材料")
        verbose_name_plural = _("申报材料")

    def __str__(self):
        return self.original_name


class PayoutBatch(models.Model):
    """Approved lines of one funding source that a finance office pays together."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("编制中")
        LOCKED = "locked", _("已锁定")
        PAID = "paid", _("已拨付")

    name = models.CharField(_("批次名称"), max_length=128)
    source = models.CharField(_("资金来源"), max_length=16, choices=FundingSource.choices)
    # County batches belong to the paying county; city batches have none.
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("县区"),
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("编制人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("锁定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)

    objects = PayoutBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("拨付批次")
        verbose_name_plural = _("拨付批次")
        constraints = [
            models.CheckConstraint(
                name="batch_county_has_jurisdiction",
                condition=Q(source=FundingSource.CITY, jurisdiction__isnull=True)
                | Q(source=FundingSource.COUNTY, jurisdiction__isnull=False),
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("incentives:batch_detail", args=[self.pk])


class FundingLine(models.Model):
    """One payer's share of a reward (city or the enterprise's county)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待批准")
        APPROVED = "approved", _("待拨付")
        BATCHED = "batched", _("已入批次")
        PAID = "paid", _("已拨付")
        CANCELLED = "cancelled", _("已取消")

    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="lines")
    source = models.CharField(_("资金来源"), max_length=16, choices=FundingSource.choices)
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", verbose_name=_("县区")
    )
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    batch = models.ForeignKey(
        PayoutBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
        verbose_name=_("批次"),
    )

    objects = FundingLineQuerySet.as_manager()

    class Meta:
        ordering = ["reward", "source"]
        verbose_name = _("资金明细")
        verbose_name_plural = _("资金明细")
        constraints = [
            models.UniqueConstraint(fields=["reward", "source"], name="line_one_per_source"),
            models.CheckConstraint(name="line_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="line_batched_has_batch",
                condition=~Q(status__in=["batched", "paid"]) | Q(batch__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["source", "status", "jurisdiction"], name="line_source_status_juris"),
        ]

    def __str__(self):
        return f"{self.reward} · {self.get_source_display()}"


class Payment(models.Model):
    """A funding line paid: at most one per line (one-to-one), never edited."""

    line = models.OneToOneField(FundingLine, on_delete=models.PROTECT, related_name="payment")
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    paid_on = models.DateField(_("拨付日期"))
    reference = models.CharField(_("凭证号/转账流水号"), max_length=64)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-id"]
        verbose_name = _("拨付记录")
        verbose_name_plural = _("拨付记录")
        constraints = [models.CheckConstraint(name="payment_amount_positive", condition=Q(amount__gt=0))]

    def __str__(self):
        return f"{self.line} {self.paid_on} {self.reference}"


class PaymentRun(JobHeartbeat):
    """Payment of a large batch recorded by a Celery worker (``services.payment_run_start``): the same
    service as the inline path, in one transaction; while a run is pending or running the batch is
    "拨付登记中" and nobody pays it or any of its lines. Its page polls the progress."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("拨付登记中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    ACTIVE = (Status.PENDING, Status.RUNNING)

    batch = models.ForeignKey(
        PayoutBatch, on_delete=models.CASCADE, related_name="payment_runs", verbose_name=_("拨付批次")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    paid_on = models.DateField(_("拨付日期"))
    reference = models.CharField(_("凭证号/转账流水号"), max_length=64)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(_("总笔数"), default=0)
    rows_done = models.PositiveIntegerField(_("已登记笔数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("批次拨付任务")
        verbose_name_plural = _("批次拨付任务")
        constraints = [
            # one payment run at a time per batch (the service checks it too, under the batch's lock)
            models.UniqueConstraint(
                fields=["batch"],
                condition=Q(status__in=["pending", "running"]),
                name="one_active_payment_run",
            )
        ]

    def __str__(self):
        return f"{self.batch} {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


class Recovery(models.Model):
    """追回: money paid on a qualification later revoked. Reverses a payment by a new record."""

    class Status(models.TextChoices):
        OPEN = "open", _("待追回")
        RECOVERED = "recovered", _("已追回")

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="recovery")
    amount = models.DecimalField(_("追回金额（元）"), **MONEY)
    reason = models.CharField(_("原因"), max_length=255)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    recovered_on = models.DateField(_("追回日期"), null=True, blank=True)
    reference = models.CharField(_("凭证号"), max_length=64, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("追回记录")
        verbose_name_plural = _("追回记录")

    def __str__(self):
        return f"{self.payment} {self.get_status_display()}"


class OfficialList(models.Model):
    """A published list of certified enterprises (公示/认定名单) as uploaded by the tech bureau.

    The same file for the same kind and date is recognised by its checksum and imported once.
    """

    kind = models.CharField(_("资质类型"), max_length=32, choices=QualificationKind.choices)
    title = models.CharField(_("名单标题"), max_length=200, blank=True)
    granted_on = models.DateField(_("认定日期"))
    filename = models.CharField(_("文件名"), max_length=255)
    checksum = models.CharField(_("文件校验值（SHA-256）"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("上传人"),
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    matched = models.PositiveIntegerField(_("已匹配"), default=0)
    unmatched = models.PositiveIntegerField(_("未匹配"), default=0)
    new_qualifications = models.PositiveIntegerField(_("新增资质"), default=0)
    new_rewards = models.PositiveIntegerField(_("新增奖励"), default=0)

    class Meta:
        ordering = ["-granted_on", "-id"]
        verbose_name = _("认定名单")
        verbose_name_plural = _("认定名单")
        constraints = [
            models.UniqueConstraint(fields=["checksum", "kind", "granted_on"], name="official_list_once"),
        ]

    def __str__(self):
        return self.title or f"{self.get_kind_display()} {self.granted_on}"

    def get_absolute_url(self):
        return reverse("incentives:official_list_detail", args=[self.pk])


class OfficialListRow(models.Model):
    """One enterprise named in an official list, and what became of it."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("已匹配")
        UNMATCHED = "unmatched", _("未匹配")
        LINKED = "linked", _("已关联")
        CREATED = "created", _("已新建企业")
        IGNORED = "ignored", _("已忽略")

    official_list = models.ForeignKey(
        OfficialList, on_delete=models.CASCADE, related_name="rows", verbose_name=_("认定名单")
    )
    row_number = models.PositiveIntegerField(_("行号"))
    name = models.CharField(_("企业名称"), max_length=200, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=64, blank=True)
    certificate_number = models.CharField(_("证书编号"), max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    enterprise = models.ForeignKey(
        Enterprise,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("企业"),
    )
    qualification = models.ForeignKey(
        Qualification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("资质"),
    )
    note = models.CharField(_("说明"), max_length=255, blank=True)
    # The file's credit code is malformed (length, characters, check character): said once at the
    # preview, kept with the row whatever becomes of it (an ignored row's note is its reason).
    warning = models.CharField(_("信用代码警告"), max_length=255, blank=True)

    class Meta:
        ordering = ["official_list", "row_number"]
        verbose_name = _("认定名单行")
        verbose_name_plural = _("认定名单行")
        constraints = [
            models.UniqueConstraint(fields=["official_list", "row_number"], name="official_row_unique"),
        ]
        indexes = [models.Index(fields=["official_list", "status"], name="official_row_status")]

    def __str__(self):
        return f"{self.official_list_id}#{self.row_number} {self.name}"


class Appropriation(models.Model):
    """专项经费: one year's money of one funding source (the city's, or one county's own), as its budget
    document set it. Never edited: 追加 and 调减 are :class:`AppropriationAdjustment` rows.

    The year is the budget year the selectors use (the year of the qualification behind a reward).
    """

    year = models.PositiveSmallIntegerField(_("年度"))
    source = models.CharField(_("资金来源"), max_length=16, choices=FundingSource.choices)
    # County money belongs to the paying county (or zone); the city's money has none.
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("县区"),
    )
    amount = models.DecimalField(_("下达金额（元）"), **MONEY)
    document = models.CharField(_("文号"), max_length=128)
    issued_on = models.DateField(_("下达日期"))
    notes = models.CharField(_("说明"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("录入人")
    )
    recorded_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = AppropriationQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "source", "jurisdiction__sort_order", "jurisdiction__code"]
        verbose_name = _("专项经费")
        verbose_name_plural = _("专项经费")
        constraints = [
            models.CheckConstraint(
                name="appropriation_county_has_jurisdiction",
                condition=Q(source=FundingSource.CITY, jurisdiction__isnull=True)
                | Q(source=FundingSource.COUNTY, jurisdiction__isnull=False),
            ),
            models.CheckConstraint(name="appropriation_amount_positive", condition=Q(amount__gt=0)),
            models.UniqueConstraint(
                fields=["year"], condition=Q(source=FundingSource.CITY), name="appropriation_city_once"
            ),
            models.UniqueConstraint(
                fields=["year", "jurisdiction"],
                condition=Q(source=FundingSource.COUNTY),
                name="appropriation_county_once",
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.get_source_display()} {self.document}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("incentives:appropriation_detail", args=[self.pk])


class AppropriationAdjustment(models.Model):
    """追加 (a positive amount) or 调减 (a negative one) of an appropriation, by its own document."""

    appropriation = models.ForeignKey(
        Appropriation, on_delete=models.PROTECT, related_name="adjustments", verbose_name=_("专项经费")
    )
    amount = models.DecimalField(_("调整金额（元）"), **MONEY)
    document = models.CharField(_("文号"), max_length=128)
    issued_on = models.DateField(_("调整日期"))
    reason = models.CharField(_("调整原因"), max_length=255)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("录入人")
    )
    recorded_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["issued_on", "id"]
        verbose_name = _("专项经费调整")
        verbose_name_plural = _("专项经费调整")
        constraints = [models.CheckConstraint(name="adjustment_amount_nonzero", condition=~Q(amount=0))]

    def __str__(self):
        return f"{self.appropriation} {self.amount:+}"


class BalanceOverride(models.Model):
    """超额放行: a reviewer approved, or finance batched, money beyond the balance of a year's
    appropriation, on the record with a reason (one row per appropriation that fell short)."""

    class Kind(models.TextChoices):
        APPROVAL = "approval", _("超余额批准")
        BATCH = "batch", _("超余额编入批次")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    source = models.CharField(_("资金来源"), max_length=16, choices=FundingSource.choices)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("县区"),
    )
    balance = models.DecimalField(_("当时余额（元）"), **MONEY)
    needed = models.DecimalField(_("本次需要（元）"), **MONEY)
    reason = models.CharField(_("理由"), max_length=255)
    reward = models.ForeignKey(
        Reward, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("奖励")
    )
    batch = models.ForeignKey(
        PayoutBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("批次")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人")
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("超余额放行记录")
        verbose_name_plural = _("超余额放行记录")

    def __str__(self):
        return f"{self.get_kind_display()} {self.year} {self.needed}"


# 公示 before payment: its tables live beside (they import the ones above).
from .publicity_models import Publicity, PublicityEntry, PublicityObjection  # noqa: E402

__all__ = [
    "MONEY",
    "Appropriation",
    "AppropriationAdjustment",
    "BalanceOverride",
    "FundingLine",
    "FundingSource",
    "OfficialList",
    "OfficialListRow",
    "Payment",
    "PaymentRun",
    "PayoutBatch",
    "Publicity",
    "PublicityEntry",
    "PublicityObjection",
    "Recovery",
    "Reward",
    "RewardDecision",
    "RewardDocument",
    "RewardRule",
    "reward_document_path",
]
