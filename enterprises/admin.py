"""The ledger in the Django admin: read only.

Administrators list, search, filter and open enterprises, their qualifications, annual figures,
milestones and visits, read each row's field history and export the enterprise list; every change goes
through the portal's 培育台账 and its services (rights and scope, audit entries, the derived stage,
generated rewards), never through the admin.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin

from anyang_hte.core.admin_export import NeutralisedModelResource
from anyang_hte.core.admin_readonly import ReadOnlyHistoryAdmin, ReadOnlyInlineMixin

from .models import AnnualFigures, Enterprise, LedgerMilestone, Qualification, ServiceVisit

LEDGER_READONLY_NOTE = _("此处只能查看台账。台账请在门户的“培育台账”中修改，每一次修改都经过权限核验并留痕。")


class EnterpriseResource(NeutralisedModelResource):
    class Meta:
        model = Enterprise
        fields = (
            "id",
            "name",
            "credit_code",
            "jurisdiction__name",
            "tech_field",
            "registered_on",
            "stage",
            "helper_name",
            "helper_phone",
            "planned_year",
        )


class LedgerAdmin(ReadOnlyHistoryAdmin):
    readonly_note = LEDGER_READONLY_NOTE


class QualificationInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Qualification
    extra = 0
    readonly_fields = ("created_at",)


@admin.register(Enterprise)
class EnterpriseAdmin(ExportMixin, LedgerAdmin):
    resource_classes = [EnterpriseResource]
    list_display = ("name", "credit_code", "jurisdiction", "stage", "hte_ready", "planned_year")
    list_filter = ("jurisdiction", "stage", "tech_field")
    search_fields = ("name", "credit_code", "name_initials")
    list_select_related = ("jurisdiction",)
    show_full_result_count = False
    inlines = [QualificationInline]


@admin.register(AnnualFigures)
class AnnualFiguresAdmin(LedgerAdmin):
    list_display = ("enterprise", "year", "sales_revenue", "rd_expense", "staff_count")
    list_filter = ("year",)
    search_fields = ("enterprise__name", "enterprise__credit_code")
    list_select_related = ("enterprise",)
    show_full_result_count = False


@admin.register(LedgerMilestone)
class MilestoneAdmin(LedgerAdmin):
    list_display = ("enterprise", "title", "due_on", "done_on")
    search_fields = ("title", "enterprise__name", "enterprise__credit_code")
    list_select_related = ("enterprise",)


@admin.register(ServiceVisit)
class VisitAdmin(LedgerAdmin):
    list_display = ("enterprise", "visited_on", "visitors")
    search_fields = ("visitors", "enterprise__name", "enterprise__credit_code")
    list_select_related = ("enterprise",)
