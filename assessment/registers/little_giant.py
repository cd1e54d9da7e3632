"""The city's Little Giant reserve rule (科技小巨人备案, 安政办〔2017〕100号 task 2): who is a candidate.

For the reserve of year Y an enterprise is a candidate when, on the day the list is computed, all four
hold:

(a) it holds a tech-SME registration (科技型中小企业入库登记) valid that day; registrations are valid for
    their calendar year only, so last year's does not count this year;
(b) its technical field is one of the eight of 《国家重点支持的高新技术领域》 (an enterprise without a
    field is not a candidate);
(c) its R&D expense of year Y−1 is at least 3 % of its 营业收入 of Y−1, exactly (a missing or zero revenue
    is not a candidate);
(d) it owns IP: at least one class I or class II item in Y−1's figures, or in its IP register (an item
    granted by the day and not lapsed).

The list is one query whatever the number of enterprises: year Y−1's figures and the year's reserve
entry are joined (each at most one row per enterprise), the registration is a subquery, and the coarse
conditions are filtered in the database; the ratio is then compared in Python with ``Decimal`` (SQLite
compares decimals as floating point, which could misjudge a ratio of exactly 3 %). Writes nothing.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, localcontext

from django.db.models import Exists, F, FilteredRelation, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from anyang_hte.core.dates import today
from anyang_hte.core.money import format_wan
from enterprises.models import Enterprise, IntellectualProperty, Qualification, QualificationKind, TechField
from enterprises.readiness.common import FAIL, MISSING, PASS  # the verdict's three values, as everywhere

# 安政办〔2017〕100号, task 2: last year's R&D expense ≥ 3 % of revenue, own IP (a confirmed policy figure).
RD_SHARE_MIN = Decimal("0.03")
RD_SHARE_MIN_PERCENT = format((RD_SHARE_MIN * 100).normalize(), "f")  # "3", as the pages write it
IP_MIN = 1  # class I + class II items
CENT = Decimal("0.01")


def reference_day(year: int) -> datetime.date:
    """The day the list of ``year`` is computed on: today this year, the year's last day for a past one."""
    now = today()
    return now if year >= now.year else datetime.date(year, 12, 31)


def annotate(qs: QuerySet[Enterprise], *, year: int, on: datetime.date) -> QuerySet[Enterprise]:
    """Each enterprise with what the rule reads: Y−1's figures, the registration valid ``on``, Y's entry."""
    # Valid on the day, and granted that calendar year: a registration lasts its calendar year only,
    # whatever expiry a row was given.
    registration = (
        Qualification.objects.filter(
            enterprise=OuterRef("pk"),
            kind=QualificationKind.TECH_SME,
            granted_on__gte=datetime.date(on.year, 1, 1),
        )
        .valid_on(on)
        .order_by("-granted_on", "-pk")
        .values("number")[:1]
    )
    register = IntellectualProperty.objects.filter(enterprise=OuterRef("pk"), granted_on__lte=on).filter(
        Q(lapsed_on__isnull=True) | Q(lapsed_on__gt=on)
    )
    return qs.annotate(
        lg_fig=FilteredRelation("figures", condition=Q(figures__year=year - 1)),
        lg_entry=FilteredRelation("lg_reserve_entries", condition=Q(lg_reserve_entries__year=year)),
    ).annotate(
        lg_tech_sme=Subquery(registration),
        lg_figures_id=F("lg_fig__id"),
        lg_sales=F("lg_fig__sales_revenue"),
        lg_rd=F("lg_fig__rd_expense"),
        lg_ip1=F("lg_fig__ip_class1_count"),
        lg_ip2=F("lg_fig__ip_class2_count"),
        lg_ip_total=Coalesce(F("lg_fig__ip_class1_count"), Value(0), output_field=IntegerField())
        + Coalesce(F("lg_fig__ip_class2_count"), Value(0), output_field=IntegerField()),
        lg_register_ip=Exists(register),
        lg_entry_id=F("lg_entry__id"),
        lg_entry_status=F("lg_entry__status"),
        lg_entry_was_candidate=F("lg_entry__was_candidate"),
        lg_entry_note=F("lg_entry__note"),
        lg_entry_reason=F("lg_entry__exception_reason"),
    )


def candidate_prefilter() -> Q:
    """Conditions (a), (b), (d) and a positive revenue, on ``annotate``'s names; (c) is checked per row."""
    return (
        Q(lg_tech_sme__isnull=False)
        & Q(tech_field__in=TechField.values)
        & Q(lg_sales__gt=0)
        & Q(lg_rd__isnull=False)
        & (Q(lg_ip_total__gte=IP_MIN) | Q(lg_register_ip=True))
    )


@dataclass
class ReserveRow:
    """One enterprise against the rule for ``year``, with its reserve entry of that year (if any)."""

    enterprise: Enterprise
    year: int
    tech_sme_number: str | None  # None: no registration valid on the day; "" : one without a number
    has_figures: bool
    sales: Decimal | None
    rd: Decimal | None
    ip_class1: int | None
    ip_class2: int | None
    register_ip: bool = False  # an item of the IP register held on the day
    entry_id: int | None = None
    entry_status: str | None = None
    entry_was_candidate: bool | None = None
    entry_note: str = ""
    entry_reason: str = ""

    @classmethod
    def from_annotated(cls, enterprise: Enterprise, year: int) -> "ReserveRow":
        return cls(
            enterprise=enterprise,
            year=year,
            tech_sme_number=enterprise.lg_tech_sme,
            has_figures=enterprise.lg_figures_id is not None,
            sales=enterprise.lg_sales,
            rd=enterprise.lg_rd,
            ip_class1=enterprise.lg_ip1,
            ip_class2=enterprise.lg_ip2,
            register_ip=bool(enterprise.lg_register_ip),
            entry_id=enterprise.lg_entry_id,
            entry_status=enterprise.lg_entry_status,
            entry_was_candidate=enterprise.lg_entry_was_candidate,
            entry_note=enterprise.lg_entry_note or "",
            entry_reason=enterprise.lg_entry_reason or "",
        )

    @property
    def figures_year(self) -> int:
        return self.year - 1

    # --- (a) tech-SME registration --------------------------------------------------------------

    @property
    def tech_sme(self) -> str:
        return PASS if self.tech_sme_number is not None else FAIL

    # --- (b) key field ---------------------------------------------------------------------------

    @property
    def field(self) -> str:
        return PASS if self.enterprise.tech_field in TechField.values else FAIL

    @property
    def field_label(self) -> str:
        if self.field == PASS:
            return str(TechField(self.enterprise.tech_field).label)
        return ""

    # --- (c) R&D share of revenue ----------------------------------------------------------------

    @property
    def rd_share_percent(self) -> Decimal | None:
        """R&D ÷ revenue in percent, two decimals rounded down: never shows a threshold the firm misses."""
        if self.sales is None or self.rd is None or self.sales <= 0:
            return None
        with localcontext(prec=60):  # exact enough that rounding down never crosses a hundredth
            return (self.rd * 100 / self.sales).quantize(CENT, rounding=ROUND_FLOOR)

    @property
    def rd_share(self) -> str:
        if self.sales is None or self.rd is None:
            return MISSING
        if self.sales <= 0:
            return FAIL
        return PASS if self.rd >= self.sales * RD_SHARE_MIN else FAIL

    # --- (d) own IP ------------------------------------------------------------------------------

    @property
    def ip_count(self) -> int | None:
        if self.ip_class1 is None and self.ip_class2 is None:
            return None
        return (self.ip_class1 or 0) + (self.ip_class2 or 0)

    @property
    def ip(self) -> str:
        if self.register_ip:
            return PASS
        if self.ip_count is None:
            return MISSING
        return PASS if self.ip_count >= IP_MIN else FAIL

    # --- all four ---------------------------------------------------------------------------------

    @property
    def is_candidate(self) -> bool:
        return all(state == PASS for state in (self.tech_sme, self.field, self.rd_share, self.ip))

    def conditions(self) -> list[tuple[str, str, str, str]]:
        """The four conditions as ``(key, condition, figure, state)``, in words, for a page."""
        year, missing = self.figures_year, _("缺少数据")
        if self.tech_sme_number is None:
            registration = _("无有效登记")
        else:
            registration = self.tech_sme_number or _("已登记（未填编号）")
        if self.rd_share == MISSING:
            share = missing
        else:
            share = _("%(pct)s%%（研发费用%(rd)s万元 / 营业收入%(sales)s万元）") % {
                "pct": self.rd_share_percent if self.rd_share_percent is not None else "—",
                "rd": format_wan(self.rd),
                "sales": format_wan(self.sales),
            }
        if self.register_ip:
            ip = _("知识产权明细中有有效的知识产权")
        elif self.ip == MISSING:
            ip = missing
        else:
            ip = _("I类%(a)d项，II类%(b)d项") % {"a": self.ip_class1 or 0, "b": self.ip_class2 or 0}
        return [
            ("tech_sme", _("持有当日有效的科技型中小企业入库登记"), registration, self.tech_sme),
            ("field", _("属于国家重点支持的高新技术领域"), self.field_label or _("未填写"), self.field),
            (
                "rd_share",
                _("%(year)d年研发费用占营业收入%(min)s%%以上") % {"year": year, "min": RD_SHARE_MIN_PERCENT},
                share,
                self.rd_share,
            ),
            (
                "ip",
                _("拥有自主知识产权：%(year)d年I类或II类知识产权至少%(n)d项") % {"year": year, "n": IP_MIN},
                ip,
                self.ip,
            ),
        ]

    def snapshot(self) -> dict:
        """The figures the verdict was reached on, as the audit log keeps them (JSON)."""
        return {
            "candidate": self.is_candidate,
            "tech_sme": self.tech_sme_number,
            "tech_field": self.enterprise.tech_field,
            "figures_year": self.figures_year,
            "sales_revenue": None if self.sales is None else str(self.sales),
            "rd_expense": None if self.rd is None else str(self.rd),
            "ip_class1": self.ip_class1,
            "ip_class2": self.ip_class2,
            "ip_register": self.register_ip,
            "failures": self.failures,
        }

    @property
    def failures(self) -> list[str]:
        """Each condition not met, in words an official can act on."""
        year = self.figures_year
        result = []
        if self.tech_sme != PASS:
            result.append(_("无有效的科技型中小企业入库登记"))
        if self.field != PASS:
            result.append(_("未填写技术领域（须属国家重点支持的高新技术领域）"))
        if self.rd_share == MISSING:
            result.append(_("缺少%(year)d年营业收入或研发费用") % {"year": year})
        elif self.rd_share == FAIL and (self.sales or 0) <= 0:
            result.append(_("%(year)d年营业收入为零") % {"year": year})
        elif self.rd_share == FAIL:
            result.append(
                _("%(year)d年研发费用占营业收入%(pct)s%%，低于%(min)s%%")
                % {"year": year, "pct": self.rd_share_percent, "min": RD_SHARE_MIN_PERCENT}
            )
        if self.ip == MISSING:
            result.append(_("缺少%(year)d年知识产权数") % {"year": year})
        elif self.ip == FAIL:
            result.append(_("%(year)d年没有I类或II类知识产权") % {"year": year})
        return result


def rows(qs: QuerySet[Enterprise], *, year: int, on: datetime.date | None = None) -> list[ReserveRow]:
    """The candidates of ``year`` in ``qs``, and the enterprises of ``qs`` with an entry that year: one query.

    ``qs`` is already scoped and filtered (jurisdiction, field); an entry's enterprise is listed whether or
    not it is a candidate, so a proposal made with a written reason stays in view.
    """
    on = on or reference_day(year)
    annotated = annotate(qs, year=year, on=on).select_related("jurisdiction")
    found = annotated.filter(candidate_prefilter() | Q(lg_entry_id__isnull=False))
    result = [ReserveRow.from_annotated(e, year) for e in found.order_by("jurisdiction_id", "name", "pk")]
    return [r for r in result if r.entry_id is not None or r.is_candidate]


def row_for(enterprise: Enterprise, *, year: int, on: datetime.date | None = None) -> ReserveRow:
    """One enterprise against the rule (one query), candidate or not."""
    on = on or reference_day(year)
    annotated = annotate(Enterprise.objects.filter(pk=enterprise.pk), year=year, on=on)
    return ReserveRow.from_annotated(annotated.select_related("jurisdiction").get(), year)
