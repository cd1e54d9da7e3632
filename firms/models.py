"""Firm accounts (企业用户): a firm's self-registration that its county confirms, and the county's invitation.

A firm user (``core.User`` with ``Role.ENTERPRISE``) acts for the one enterprise of ``User.enterprise``;
these rows record how that link came to be, who decided and when.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.models import Jurisdiction
from enterprises.models import Enterprise


class FirmRegistration(models.Model):
    """A firm registered itself: an active account without an enterprise link until its county confirms."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("不予确认")

    # A credit code belongs to one registered firm at a time: a pending or confirmed registration holds it.
    HOLDING = (Status.PENDING, Status.CONFIRMED)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账户"),
        on_delete=models.CASCADE,
        related_name="firm_registration",
    )
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, db_index=True)
    name = models.CharField(_("企业名称"), max_length=200)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("所在县区"), on_delete=models.PROTECT, related_name="firm_registrations"
    )
    contact_name = models.CharField(_("联系人"), max_length=64)
    contact_phone = models.CharField(_("联系电话"), max_length=32)
    email = models.EmailField(_("电子邮箱"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("关联企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="firm_registrations",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    reason = models.CharField(_("不予确认原因"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("注册时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("企业用户注册")
        verbose_name_plural = _("企业用户注册")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=Q(status__in=["pending", "confirmed"]),
                name="firm_registration_one_holder_per_code",
                violation_error_message=_("该统一社会信用代码已有企业账户注册。"),
            ),
            models.CheckConstraint(
                name="firm_registration_confirmed_has_enterprise",
                condition=~Q(status="confirmed") | Q(enterprise__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["jurisdiction", "status"], name="firm_reg_juris_status")]

    def __str__(self):
        return f"{self.name}（{self.credit_code}）"


class FirmInvitation(models.Model):
    """The county invited a firm: an account bound to the enterprise, with a one-time set-password link."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账户"),
        on_delete=models.CASCADE,
        related_name="firm_invitation",
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.PROTECT, related_name="firm_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("邀请人"), on_delete=models.PROTECT, related_name="+"
    )
    email = models.EmailField(_("电子邮箱"))
    created_at = models.DateTimeField(_("邀请时间"), auto_now_add=True)
    used_at = models.DateTimeField(_("设置密码时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("企业用户邀请")
        verbose_name_plural = _("企业用户邀请")

    def __str__(self):
        return f"{self.enterprise} · {self.user}"
