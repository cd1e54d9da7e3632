import django_tables2 as tables
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from anyang_hte.core.workdays import Deadlines

from .deadlines import submission_state
from .models import Enterprise, FirmSubmission
from .templatetags.readiness import flag_badge


class EnterpriseTable(tables.Table):
    # Every sort is one an index on the enterprise table walks (Enterprise.Meta.indexes), ending with the
    # id so equal values keep one order from page to page. The county column sorts by jurisdiction_id,
    # not "jurisdiction" (which follows the FK to Jurisdiction's own ordering: a join and a sort of every
    # row); the seeded jurisdictions' ids are in their sort_order.
    name = tables.Column(
        linkify=("enterprises:detail", {"pk": tables.A("pk")}),
        verbose_name=_("企业名称"),
        order_by=("name", "id"),
    )
    credit_code = tables.Column(  # unique: its own index gives a total order
        verbose_name=_("统一社会信用代码"),
        attrs={"td": {"class": "font-monospace small"}},
        order_by=("credit_code",),
    )
    jurisdiction = tables.Column(verbose_name=_("县区"), order_by=("jurisdiction_id", "name", "id"))
    stage = tables.Column(verbose_name=_("培育阶段"), order_by=("stage", "id"))
    tech_field = tables.Column(verbose_name=_("技术领域"), order_by=("tech_field", "id"))
    helper_name = tables.Column(verbose_name=_("帮扶责任人"), order_by=("helper_name", "id"))
    planned_year = tables.Column(verbose_name=_("计划申报"), order_by=("planned_year", "id"))
    hte_ready = tables.Column(verbose_name=_("高企条件"), order_by=("hte_ready", "id"))
    tsme_score = tables.Column(
        verbose_name=_("科小评分"), attrs={"td": {"class": "text-end"}}, order_by=("tsme_score", "id")
    )
    overdue_count = tables.Column(
        verbose_name=_("逾期节点"), orderable=False, attrs={"td": {"class": "text-end"}}
    )

    class Meta:
        model = Enterprise
        fields = ()
        sequence = (
            "name",
            "credit_code",
            "jurisdiction",
            "stage",
            "tech_field",
            "helper_name",
            "planned_year",
            "hte_ready",
            "tsme_score",
            "overdue_count",
        )
        attrs = {"class": "table table-sm table-hover table-striped align-middle ledger-table"}
        empty_text = _("没有符合条件的企业。")
        order_by = ("jurisdiction",)  # the column's order: jurisdiction_id, name, id
        template_name = "includes/table_body_rows.html"  # its rows come from body_rows()

    def body_rows(self):
        """The page's rows as HTML, the cells django-tables2's own template would render (the render_*
        methods below, "—" for an empty value), built in one pass: its template resolves every cell
        through several lookups and inspects each render method's signature per cell, which made most
        of the list's time at a million enterprises (the query takes milliseconds)."""
        tds = [(column.name, column.attrs["td"].as_html()) for column in self.columns]
        empty = self.default
        detail = reverse("enterprises:detail", args=[0]).replace("/0/", "/{}/")
        cells = {
            "name": lambda e: format_html('<a href="{}">{}</a>', detail.format(e.pk), e.name),
            "credit_code": lambda e: conditional_escape(e.credit_code or empty),
            "jurisdiction": lambda e: conditional_escape(self.render_jurisdiction(e.jurisdiction)),
            "stage": lambda e: conditional_escape(self.render_stage(e)),
            "tech_field": lambda e: conditional_escape(e.get_tech_field_display() or empty),
            "helper_name": lambda e: conditional_escape(e.helper_name or empty),
            "planned_year": lambda e: empty if e.planned_year is None else str(e.planned_year),
            "hte_ready": lambda e: empty if e.hte_ready is None else self.render_hte_ready(e.hte_ready),
            "tsme_score": lambda e: empty if e.tsme_score is None else str(e.tsme_score),
            "overdue_count": lambda e: self.render_overdue_count(e.overdue_count),
        }
        for bound in self.paginated_rows:
            row = "".join(f"<td {attrs}>{cells[name](bound.record)}</td>" for name, attrs in tds)
            yield mark_safe(f'<tr class="{bound.get_even_odd_css_class()}">{row}</tr>')  # noqa: S308 (escaped above)

    def render_jurisdiction(self, value):
        return value.short_name or value.name

    def render_stage(self, record):
        if record.declared_stage and record.declared_stage != record.stage:
            return format_html(
                '{} <span class="badge text-bg-warning" title="{}">{}</span>',
                record.get_stage_display(),
                _("台账填报阶段与资质不一致"),
                record.get_declared_stage_display(),
            )
        return record.get_stage_display()

    def render_hte_ready(self, value):
        return flag_badge(value)

    def render_overdue_count(self, value):
        if value:
            return format_html('<span class="badge text-bg-danger">{}</span>', value)
        return "0"


class SubmissionTable(tables.Table):
    """The county's queue of firm submissions."""

    enterprise = tables.Column(verbose_name=_("企业"), order_by=("enterprise__name",))
    kind = tables.Column(
        verbose_name=_("填报内容"),
        linkify=("enterprises:submission_detail", {"pk": tables.A("pk")}),
    )
    year = tables.Column(verbose_name=_("年度"), default="—")
    status = tables.Column(verbose_name=_("状态"))
    submitted_by = tables.Column(verbose_name=_("提交人"), default="—")
    submitted_at = tables.DateTimeColumn(verbose_name=_("提交时间"), format="Y-m-d H:i")
    decided_at = tables.DateTimeColumn(verbose_name=_("确认/退回时间"), format="Y-m-d H:i", default="—")
    deadline = tables.Column(verbose_name=_("期限"), empty_values=(), orderable=False)

    class Meta:
        model = FirmSubmission
        fields = ()
        sequence = (
            "enterprise",
            "kind",
            "year",
            "status",
            "submitted_by",
            "submitted_at",
            "decided_at",
            "deadline",
        )
        attrs = {
            "class": "table table-sm table-hover table-striped align-middle",
            "data-testid": "submissions",
        }
        empty_text = _("没有符合条件的企业填报。")

    def render_enterprise(self, record):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("enterprises:detail", args=[record.enterprise_id]),
            record.enterprise,
        )

    def __init__(self, *args, deadlines: Deadlines | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.deadlines = deadlines

    def render_deadline(self, record):
        if self.deadlines is None:
            self.deadlines = Deadlines.load()
        state = submission_state(record, self.deadlines)
        return state.badge() if state else "—"

    def render_status(self, record):
        css = {"submitted": "warning", "accepted": "success", "returned": "danger"}.get(
            record.status, "secondary"
        )
        return format_html('<span class="badge text-bg-{}">{}</span>', css, record.get_status_display())
