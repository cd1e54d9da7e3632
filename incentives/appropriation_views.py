"""专项经费 pages: the list per year and source (filters, totals, export), one appropriation with its
adjustments and overrides, and the bureau's forms to record and adjust them. Thin: the figures come
from ``balances``, every write from ``services``."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anyang_hte.core.exporters import ListExporter, export_response
from anyang_hte.core.pages import form_page
from anyang_hte.core.permissions import require_right
from anyang_hte.core.roles import Right

from . import balances, services
from .forms import AdjustmentForm, AppropriationFilterForm, AppropriationForm
from .models import Appropriation, BalanceOverride, FundingSource


def _crumbs(*more) -> list:
    return [
        (_("奖励兑现"), reverse("incentives:reward_list")),
        (_("奖励资金统计"), reverse("incentives:budget")),
        *more,
    ]


class AppropriationExporter(ListExporter):
    """The list as shown, in 元 with two decimals, the totals row last."""

    filename = gettext_lazy("专项经费执行情况")
    title = gettext_lazy("专项经费执行情况")

    def __init__(self, rows: list[balances.FundStatus], totals: dict):
        self.rows, self.totals = rows, totals
        self.filename, self.title = str(self.filename), str(self.title)
        self.headers = [
            _("年度"),
            _("资金来源"),
            _("县区"),
            _("文号"),
            _("下达金额(元)"),
            _("调整(元)"),
            _("专项经费合计(元)"),
            _("已承诺(元)"),
            _("已批准(元)"),
            _("已拨付(元)"),
            _("余额(元)"),
        ]

    def iter_rows(self):
        for st in self.rows:
            yield [
                st.year,
                str(FundingSource(st.source).label),
                st.jurisdiction_name,
                st.appropriation.document if st.appropriation else _("尚未录入"),
                st.original,
                st.adjusted,
                st.appropriated,
                st.committed,
                st.approved,
                st.paid,
                st.balance,
            ]
        t = self.totals
        yield [_("合计"), None, None, None, t["original"], t["adjusted"], t["appropriated"]] + [
            t["committed"],
            t["approved"],
            t["paid"],
            t["balance"],
        ]

    def column_widths(self) -> list[float]:
        return [8.0, 12.0, 22.0, 26.0] + [16.0] * 7


@require_right(Right.BUDGET_VIEW)
def appropriation_list(request, fmt: str | None = None):
    form = AppropriationFilterForm(request.GET or None, user=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    rows = balances.visible_statuses(request.user, year=data.get("year"), source=data.get("source") or None)
    if data.get("jurisdiction"):
        rows = [st for st in rows if st.fund.jurisdiction_id == data["jurisdiction"].pk]
    totals = balances.totals(rows)
    if fmt:
        return export_response(AppropriationExporter(rows, totals), fmt)
    return render(
        request,
        "incentives/appropriation_list.html",
        {
            "filter": {"form": form},
            "rows": rows,
            "totals": totals,
            "crumbs": _crumbs((_("专项经费"), None)),
        },
    )


@require_right(Right.APPROPRIATION_MANAGE)
def appropriation_create(request):
    form = AppropriationForm(request.POST or None)

    def save(form):
        return services.appropriation_record(by=request.user, **form.cleaned_data)

    return form_page(
        request,
        form,
        save=save,
        done=_("专项经费已录入。"),
        success_url=lambda appropriation: appropriation.get_absolute_url(),
        title=_("录入专项经费"),
        crumbs=_crumbs((_("专项经费"), reverse("incentives:appropriation_list"))),
        cancel=reverse("incentives:appropriation_list"),
        notice=_("每个年度、每个资金来源（市级或某县区）录入一次；之后的追加或调减在该经费下录入调整。"),
    )


def _appropriation_for(request, pk) -> Appropriation:
    return get_object_or_404(
        Appropriation.objects.for_user(request.user).select_related("jurisdiction"), pk=pk
    )


@require_right(Right.BUDGET_VIEW)
def appropriation_detail(request, pk: int):
    appropriation = _appropriation_for(request, pk)
    fund = balances.Fund.of(
        year=appropriation.year, source=appropriation.source, jurisdiction_id=appropriation.jurisdiction_id
    )
    [status] = balances.fund_statuses([fund]).values()
    overrides = BalanceOverride.objects.filter(
        year=fund.year, source=fund.source, jurisdiction_id=fund.jurisdiction_id
    ).select_related("by", "reward__enterprise", "batch")
    return render(
        request,
        "incentives/appropriation_detail.html",
        {
            "appropriation": appropriation,
            "status": status,
            "funds": [status],
            "adjustments": appropriation.adjustments.select_related("recorded_by"),
            "overrides": overrides,
            "crumbs": _crumbs(
                (_("专项经费"), reverse("incentives:appropriation_list")), (status.label, None)
            ),
        },
    )


@require_right(Right.APPROPRIATION_MANAGE)
def appropriation_adjust(request, pk: int):
    appropriation = _appropriation_for(request, pk)
    form = AdjustmentForm(request.POST or None)

    def save(form):
        return services.appropriation_adjust(
            appropriation=appropriation, by=request.user, **form.cleaned_data
        )

    label = balances.FundStatus(
        balances.Fund.of(
            year=appropriation.year,
            source=appropriation.source,
            jurisdiction_id=appropriation.jurisdiction_id,
        ),
        jurisdiction_name=appropriation.jurisdiction.name if appropriation.jurisdiction else "",
    ).label
    return form_page(
        request,
        form,
        save=save,
        done=_("调整已录入。"),
        success_url=appropriation.get_absolute_url(),
        title=_("录入追加或调减：%(fund)s") % {"fund": label},
        crumbs=_crumbs(
            (_("专项经费"), reverse("incentives:appropriation_list")),
            (label, appropriation.get_absolute_url()),
        ),
        cancel=appropriation.get_absolute_url(),
        notice=_("原下达金额不修改；每次追加或调减按其文号单独录入一行。"),
    )
