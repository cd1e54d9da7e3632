"""公示 before payment: a publicity (拟奖励名单公示), its entries and the objections recorded against them.

A publicity covers a payout batch's rewards or an approval round's (approved rewards the reviewer
chose, by the day they were approved). Each entry is a snapshot of what the public page shows (firm
name, county, reward, amount) as it was at publication; never bank data. A reward is published once
(the one-to-one ``PublicityEntry.reward``). Its lines are paid only after the notice period (the end of
``ends_on``) and while no objection on it is open (``services.publicity.ensure_lines_published``).

Imported at the end of ``models.py``, so ``incentives.models`` exports these too.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import MONEY, PayoutBatch, Reward


class Publicity(models.Model):
    class Kind(models.TextChoices):
        BATCH = "batch", _("拨付批次")
        ROUND = "round", _("批准轮次")

    title = models.CharField(_("公示标题"), max_length=200)
    kind = models.CharField(_("公示范围"), max_length=16, choices=Kind.choices)
    batch = models.ForeignKey(
        PayoutBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="publicities",
        verbose_name=_("拨付批次"),
    )
    # An approval round: the rewards approved on these days (inclusive, Asia/Shanghai) not yet published.
    approved_from = models.DateField(_("批准日期起"), null=True, blank=True)
    approved_to = models.DateField(_("批准日期止"), null=True, blank=True)
    published_on = models.DateField(_("发布日期"))  # the portal's today when published (the page went up)
    starts_on = models.DateField(_("公示开始日期"))
    ends_on = models.DateField(_("公示结束日期"))  # the period ends at the end of this day
    working_days = models.PositiveSmallIntegerField(_("公示期（工作日）"))
    contact_unit = models.CharField(_("异议受理单位"), max_length=128)
    contact_phone = models.CharField(_("联系电话"), max_length=64)
    contact_address = models.CharField(_("通讯地址"), max_length=200, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人")
    )
    published_at = models.DateTimeField(_("发布时间"))

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("拟奖励名单公示")
        verbose_name_plural = _("拟奖励名单公示")
        constraints = [
            models.CheckConstraint(
                name="publicity_period_valid",
                condition=Q(ends_on__gte=F("starts_on"), starts_on__gt=F("published_on")),
            ),
            models.CheckConstraint(name="publicity_working_days_positive", condition=Q(working_days__gt=0)),
            models.CheckConstraint(
                name="publicity_kind_scope",
                condition=Q(kind="batch", batch__isnull=False, approved_from__isnull=True)
                | Q(kind="round", batch__isnull=True),
            ),
            models.CheckConstraint(
                name="publicity_round_range_valid",
                condition=Q(approved_from__isnull=True)
                | Q(approved_to__isnull=True)
                | Q(approved_to__gte=F("approved_from")),
            ),
            models.CheckConstraint(
                name="publicity_contact_given", condition=~Q(contact_unit="") & ~Q(contact_phone="")
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("incentives:publicity_detail", args=[self.pk])


class PublicityEntry(models.Model):
    """One reward in a publicity, as the public saw it. A reward is published once."""

    publicity = models.ForeignKey(
        Publicity, on_delete=models.PROTECT, related_name="entries", verbose_name=_("公示")
    )
    reward = models.OneToOneField(
        Reward, on_delete=models.PROTECT, related_name="publicity_entry", verbose_name=_("奖励")
    )
    enterprise_name = models.CharField(_("企业名称"), max_length=200)
    jurisdiction_name = models.CharField(_("县区"), max_length=64)
    rule_name = models.CharField(_("奖励事项"), max_length=128)
    amount = models.DecimalField(_("奖励金额（元）"), **MONEY)
    position = models.PositiveIntegerField(_("序号"))

    class Meta:
        ordering = ["publicity", "position"]
        verbose_name = _("公示名单条目")
        verbose_name_plural = _("公示名单条目")
        constraints = [
            models.CheckConstraint(name="publicity_entry_amount_positive", condition=Q(amount__gt=0)),
            models.UniqueConstraint(fields=["publicity", "position"], name="publicity_entry_position"),
        ]

    def __str__(self):
        return f"{self.enterprise_name} · {self.rule_name}"


class PublicityObjection(models.Model):
    """An objection to one entry, recorded by the reviewer who received it (by phone, letter, visit)."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        UPHELD = "upheld", _("异议成立")
        DISMISSED = "dismissed", _("异议不成立")

    entry = models.ForeignKey(
        PublicityEntry, on_delete=models.PROTECT, related_name="objections", verbose_name=_("公示条目")
    )
    received_on = models.DateField(_("收到日期"))
    objector = models.CharField(_("异议人"), max_length=128, blank=True)
    content = models.TextField(_("异议内容"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    status = models.CharField(_("处理状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(_("处理理由"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("处理人"),
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        constraints = [
            models.CheckConstraint(name="objection_content_given", condition=~Q(content="")),
            models.CheckConstraint(
                name="objection_resolution_complete",
                condition=Q(status="open", resolved_by__isnull=True, resolved_at__isnull=True, resolution="")
                | (
                    Q(status__in=["upheld", "dismissed"])
                    & Q(resolved_by__isnull=False, resolved_at__isnull=False)
                    & ~Q(resolution="")
                ),
            ),
        ]
        indexes = [models.Index(fields=["status", "entry"], name="objection_status_entry")]

    def __str__(self):
        return f"{self.entry} {self.get_status_display()}"
