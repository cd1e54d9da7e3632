from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.errors import DomainError

from .models import ApiClient
from .services import api_client_revoke


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Clients are listed and revoked here; they are created with ``manage.py create_api_client`` (the
    token is printed once there). Nothing else is edited: a client's scope is fixed when it is made."""

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
    actions = ["revoke"]
    readonly_fields = [f.name for f in ApiClient._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("范围"))
    def scope_text(self, obj):
        return obj.scope_text

    @admin.action(description=_("吊销所选客户端的令牌"))
    def revoke(self, request, queryset):
        for client in queryset:
            try:
                api_client_revoke(client=client, by=request.user)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.WARNING)
            else:
                self.message_user(request, _("已吊销“%(name)s”。") % {"name": client.name})
