from django.contrib import admin
from import_export import resources
from import_export.admin import ExportMixin
from simple_history.admin import SimpleHistoryAdmin

from .models import AnnualFigures, Enterprise, LedgerMilestone, Qualification, ServiceVisit


class EnterpriseResource(resources.ModelResource):
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


class QualificationInline(admin.TabularInline):
    model = Qualification
    extra = 0
    readonly_fields = ("created_at",)


@admin.register(Enterprise)
class EnterpriseAdmin(ExportMixin, SimpleHistoryAdmin):
    """Administrators read the ledger here; counties edit it through the portal's services."""

    resource_classes = [EnterpriseResource]
    list_display = ("name", "credit_code", "jurisdiction", "stage", "hte_ready", "planned_year")
    list_filter = ("jurisdiction", "stage", "tech_field")
    search_fields = ("name", "credit_code", "name_initials")
    list_select_related = ("jurisdiction",)
    show_full_result_count = False
    readonly_fields = ("stage", "hte_ready", "tsme_score", "name_initials", "created_at", "updated_at")
    inlines = [QualificationInline]


@admin.register(AnnualFigures)
class AnnualFiguresAdmin(SimpleHistoryAdmin):
    list_display = ("enterprise", "year", "sales_revenue", "rd_expense", "staff_count")
    list_filter = ("year",)
    search_fields = ("enterprise__name", "enterprise__credit_code")
    raw_id_fields = ("enterprise",)
    show_full_result_count = False


@admin.register(LedgerMilestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    list_display = ("enterprise", "title", "due_on", "done_on")
    raw_id_fields = ("enterprise",)


@admin.register(ServiceVisit)
class VisitAdmin(SimpleHistoryAdmin):
    list_display = ("enterprise", "visited_on", "visitors")
    raw_id_fields = ("enterprise",)
