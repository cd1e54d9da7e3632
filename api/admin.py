from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.admin_readonly import ReadOnlyAdminMixin

from .models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Clients are listed here; they are created and revoked on the server with ``manage.py
    create_api_client`` (the token is printed once there) and ``manage.py revoke_api_client`` (audited).
    The token itself is never shown: only its prefix."""

    readonly_note = _(
        "接口客户端在服务器上用 manage.py create_api_client 创建（令牌只显示一次）、用 manage.py "
        "revoke_api_client 吊销；此处只能查看。"
    )
    list_display = (
        "name",
        "scope_text",
        "scopes",
        "token_prefix",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("city_wide", "jurisdiction")
    search_fields = ("name",)
    exclude = ("token_hash",)

    @admin.display(description=_("范围"))
    def scope_text(self, obj):
        return obj.scope_text
