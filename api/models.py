"""System clients of the API (数据接口客户端): a name, a scope (the city or one jurisdiction), the
scopes it holds, and a token stored only as its SHA-256 digest. A token expires and can be revoked."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import ClientActor

from .scopes import rights_for

TOKEN_PREFIX_LENGTH = 8


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiClient(models.Model):
    name = models.CharField(_("客户端名称"), max_length=64, unique=True)
    city_wide = models.BooleanField(_("全市范围"), default=False)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("县区"),
    )
    scopes = models.JSONField(_("授权范围"), default=list)
    token_prefix = models.CharField(_("令牌前缀"), max_length=TOKEN_PREFIX_LENGTH, unique=True)
    token_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    expires_at = models.DateTimeField(_("有效期至"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("吊销人"),
    )
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("接口客户端")
        verbose_name_plural = _("接口客户端")
        constraints = [
            # The city, or exactly one jurisdiction: never both, never neither.
            models.CheckConstraint(
                name="api_client_one_scope",
                condition=Q(city_wide=True, jurisdiction__isnull=True)
                | Q(city_wide=False, jurisdiction__isnull=False),
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, at=None) -> bool:
        return (at or timezone.now()) >= self.expires_at

    @property
    def scope_text(self) -> str:
        return str(_("全市")) if self.city_wide else str(self.jurisdiction)

    def actor(self) -> ClientActor:
        return ClientActor(
            name=self.name,
            client_id=self.pk,
            rights=rights_for(self.scopes),
            jurisdiction_id=None if self.city_wide else self.jurisdiction_id,
            city_wide=self.city_wide,
        )
