"""Administrators keep the reward rules here, as data: open a rule, edit it until it has produced
rewards, then close it (an end date) and open a new one. Every write goes through the services.
Rewards, payout batches and official lists are read-only here (``ReadOnlyAdminMixin``)."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from anyang_hte.core.admin_readonly import ReadOnlyAdminMixin
from anyang_hte.core.errors import DomainError

from . import services
from .models import OfficialList, PayoutBatch, Reward, RewardRule
from .services.rules import RULE_FIELDS


@admin.register(RewardRule)
class RewardRuleAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "trigger_kind",
        "city_amount",
        "county_amount",
        "effective_from",
        "effective_to",
    )
    list_filter = ("trigger_kind",)
    fields = RULE_FIELDS
    readonly_fields = ()

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.rewards.exists():
            # Produced rewards: only closing (an end date) is left.
            return tuple(f for f in RULE_FIELDS if f != "effective_to")
        return ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and obj.rewards.exists() and "effective_to" in form.base_fields:
            # Closing needs its end date (services.rule_close takes a date; an empty field was a 500).
            form.base_fields["effective_to"].required = True
        return form

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in RULE_FIELDS if f in form.cleaned_data}
        try:
            if not change:
                saved = services.rule_open(by=request.user, **data)
                obj.pk = saved.pk
            elif obj.rewards.exists():
                services.rule_close(rule=obj, effective_to=data["effective_to"], by=request.user)
            else:
                services.rule_update(rule=obj, by=request.user, **data)
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            request._rule_refused = True

    # A refused change goes back to the form with the reason, never with a success message.
    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_rule_refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "_rule_refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)


@admin.register(Reward)
class RewardAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: rewards move only through the portal's workflow."""

    list_display = ("enterprise", "rule", "jurisdiction", "amount", "status", "created_at")
    list_filter = ("status", "rule", "jurisdiction")
    search_fields = ("enterprise__name", "enterprise__credit_code")
    list_select_related = ("enterprise", "rule", "jurisdiction")
    show_full_result_count = False


@admin.register(PayoutBatch)
class PayoutBatchAdmin(RewardAdmin):
    list_display = ("name", "source", "jurisdiction", "status", "created_at")
    list_filter = ("source", "status")
    search_fields = ("name",)
    list_select_related = ("jurisdiction",)


@admin.register(OfficialList)
class OfficialListAdmin(RewardAdmin):
    list_display = ("title", "kind", "granted_on", "matched", "unmatched", "new_rewards", "uploaded_at")
    list_filter = ("kind",)
    search_fields = ("title", "filename")
    list_select_related = ()
