from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .admin_readonly import ReadOnlyAdminMixin
from .errors import DomainError
from .models import AuditLog, CalendarDay, EmailOutbox, Jurisdiction, TimeLimit, User
from .two_factor import two_factor_reset

# The admin is the portal's back office: titled as the portal, in the portal's language.
admin.site.site_header = _("安阳市高新技术企业培育管理平台 · 系统管理")
admin.site.site_title = _("安阳市高新技术企业培育管理平台")
admin.site.index_title = _("系统管理")

# Two-factor devices hold secrets: no admin page shows or edits them. A lost phone is the user list's
# audited "reset two factors" action (or the portal's /accounts/2fa/reset/ page).
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    fieldsets = (
        *UserAdmin.fieldsets,
        (_("角色与县区"), {"fields": ("role", "jurisdiction", "enterprise", "display_name", "phone")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("角色与县区"), {"fields": ("role", "jurisdiction", "display_name")}),
    )
    list_display = ("username", "display_name", "role", "jurisdiction", "enterprise", "is_active")
    list_filter = ("role", "jurisdiction", "is_active")
    raw_id_fields = ("enterprise",)  # a firm user's enterprise: by its id, not a list of the whole ledger
    actions = ["reset_two_factor"]

    @admin.action(description=_("重置两步验证（删除身份验证器和备用码）"))
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            try:
                removed = two_factor_reset(user=user, by=request.user, reason=gettext("系统管理后台重置"))
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return
            self.message_user(
                request,
                gettext("已重置 %(user)s 的两步验证（删除 %(n)s 个验证设备）。")
                % {"user": user, "n": removed},
            )


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "short_name", "kind", "sort_order")


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "action", "user", "content_type", "object_id")
    list_filter = ("action",)
    readonly_fields = ("created_at", "action", "user", "content_type", "object_id", "data")


@admin.register(EmailOutbox)
class EmailOutboxAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outgoing e-mail: what is waiting (the broker or mail server was down), what was given up and
    why. The text is not shown (an invitation holds a set-password link)."""

    readonly_note = _("邮件由后台任务发送；发送失败的邮件会自动重试，这里只供查看。")
    list_display = (
        "created_at",
        "subject",
        "recipient_list",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = (("sent_at", admin.EmptyFieldListFilter), ("next_attempt_at", admin.EmptyFieldListFilter))
    search_fields = ("subject",)
    fields = ("created_at", "subject", "recipients", "notification", "state", "attempts", "next_attempt_at")
    fields += ("sent_at", "last_error")
    readonly_fields = fields

    @admin.display(description=_("收件人"))
    def recipient_list(self, obj):
        return ", ".join(obj.recipients)

    @admin.display(description=_("状态"))
    def state(self, obj):
        return obj.state


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Public holidays and make-up working days: the State Council's yearly notice, entered as data."""

    list_display = ("date", "weekday", "kind", "name", "source")
    list_filter = ("kind", "name")
    date_hierarchy = "date"
    search_fields = ("name", "source")

    @admin.display(description=_("星期"))
    def weekday(self, obj):
        return [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")][
            obj.date.weekday()
        ]


@admin.register(TimeLimit)
class TimeLimitAdmin(admin.ModelAdmin):
    """The time limits the queues, the dashboard and the daily reminders apply. The set is fixed by the
    code (each limit is read by name), so limits are changed here but neither added nor deleted."""

    list_display = ("code", "days", "unit", "starts", "owner")
    readonly_fields = ("code",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
