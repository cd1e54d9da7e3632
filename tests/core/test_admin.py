"""The Django admin reads the ledger and the money rows; it never writes them past the services.

Ledger rows (enterprises with their qualifications, annual figures, milestones, visits) and money rows
(rewards, payout batches, official lists) and the audit log are read-only in the admin: every add,
change, delete, bulk action and simple-history revert is refused and leaves the database as it was.
The admin's export (django-import-export) neutralises formula cells like the portal's own exports.
"""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
import tablib
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.messages.storage.cookie import CookieStorage
from django.forms.models import model_to_dict
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, reverse
from import_export import fields
from import_export.admin import ExportMixin, ImportMixin
from openpyxl import load_workbook
from simple_history.admin import SimpleHistoryAdmin

from anyang_hte.core.admin_export import NeutralisedModelResource
from anyang_hte.core.models import AuditLog, CalendarDay, Jurisdiction, TimeLimit, User
from anyang_hte.core.roles import Role
from enterprises.admin import EnterpriseAdmin, QualificationInline
from enterprises.models import AnnualFigures, Enterprise, LedgerMilestone, Qualification, ServiceVisit
from incentives.models import OfficialList, PayoutBatch, Reward, RewardRule
from tests.factories import (
    EnterpriseFactory,
    FiguresFactory,
    MilestoneFactory,
    QualificationFactory,
    UserFactory,
    VisitFactory,
)

LEDGER_MODELS = (Enterprise, AnnualFigures, LedgerMilestone, ServiceVisit)
# Every registration the admin may only read.
READ_ONLY_MODELS = (*LEDGER_MODELS, Reward, PayoutBatch, OfficialList, AuditLog)
# The registrations the admin may write: people, reference data, reward rules (through the services)
# and django-axes' lock-out records.
WRITABLE_MODELS = {
    User,
    Group,
    Jurisdiction,
    RewardRule,
    CalendarDay,  # holidays and make-up working days: data the administrator keeps
    TimeLimit,  # time limits: changed, never added or deleted
    apps.get_model("axes", "AccessAttempt"),
    apps.get_model("axes", "AccessLog"),
    apps.get_model("axes", "AccessFailureLog"),
}
FORMULA_NAMES = [
    '=HYPERLINK("http://evil","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]


# A form control a user could fill in (hidden inputs are the CSRF token and the inline management form).
EDITABLE_CONTROL = re.compile(r'<(?:input(?![^>]*type="hidden")|select|textarea)[^>]* name="')


def ledger_snapshot(*, with_admin_log=True):
    """Every row, every value of the ledger (with its history), money and assessment tables, and the
    audit log; with_admin_log adds the admin's own LogEntry (a refused write logs nothing either)."""
    models = [
        *apps.get_app_config("enterprises").get_models(),  # the historical models too
        *apps.get_app_config("incentives").get_models(),
        *apps.get_app_config("assessment").get_models(),
        AuditLog,
    ]
    if with_admin_log:
        models.append(LogEntry)
    return {m._meta.label: list(m._base_manager.order_by("pk").values()) for m in models}


def admin_info(model):
    return f"admin:{model._meta.app_label}_{model._meta.model_name}"


def make_staff_admin(username="site_admin"):
    """The portal's 系统管理员 as seed_demo makes it: staff and superuser."""
    return UserFactory(
        username=username, role=Role.ADMIN, jurisdiction=None, is_staff=True, is_superuser=True
    )


@pytest.fixture
def admin_user(db):
    return make_staff_admin()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def ledger(db):
    """One enterprise with a qualification, figures, a milestone and a visit; each row has two history
    versions (so a revert to the first would change something)."""
    enterprise = EnterpriseFactory(name="安阳原名科技有限公司")
    rows = {
        Enterprise: enterprise,
        Qualification: QualificationFactory(
            enterprise=enterprise,
            kind="tech_sme",
            granted_on=datetime.date(2024, 4, 1),
            number="2024410500001",
        ),
        AnnualFigures: FiguresFactory(enterprise=enterprise, year=2024),
        LedgerMilestone: MilestoneFactory(enterprise=enterprise, title="原节点"),
        ServiceVisit: VisitFactory(enterprise=enterprise, visitors="原走访人"),
    }
    enterprise.name = "安阳现名科技有限公司"
    enterprise.save()
    rows[AnnualFigures].staff_count = 120
    rows[AnnualFigures].save()
    rows[LedgerMilestone].title = "现节点"
    rows[LedgerMilestone].save()
    rows[ServiceVisit].visitors = "现走访人"
    rows[ServiceVisit].save()
    return rows


def _form_data(obj, **changes):
    """What the admin's form would POST for ``obj`` (None as an empty field), with ``changes``."""
    data = {k: ("" if v is None else v) for k, v in model_to_dict(obj).items() if k != "id"}
    data.update(changes)
    return data


def _new_hte_qualification(enterprise):
    """Inline formset data adding an HTE certificate: the admin bypass this task closes."""
    return {
        "qualifications-TOTAL_FORMS": "2",
        "qualifications-INITIAL_FORMS": "1",
        "qualifications-MIN_NUM_FORMS": "0",
        "qualifications-MAX_NUM_FORMS": "1000",
        "qualifications-0-id": str(enterprise.qualifications.get().pk),
        "qualifications-0-enterprise": str(enterprise.pk),
        "qualifications-0-kind": "tech_sme",
        "qualifications-0-number": "2024410500001",
        "qualifications-0-granted_on": "2024-04-01",
        "qualifications-0-source": "manual",
        "qualifications-1-enterprise": str(enterprise.pk),
        "qualifications-1-kind": "hte",
        "qualifications-1-number": "GR202541000999",
        "qualifications-1-granted_on": "2025-12-01",
        "qualifications-1-expires_on": "2028-11-30",
        "qualifications-1-source": "manual",
    }


def _changed(model, obj):
    """Form data changing one visible value of ``obj``."""
    if model is Enterprise:
        return {**_form_data(obj, name="篡改后的企业名称"), **_new_hte_qualification(obj)}
    if model is AnnualFigures:
        return _form_data(obj, staff_count=200, sales_revenue="1.00")
    if model is LedgerMilestone:
        return _form_data(obj, title="篡改后的节点", done_on="2026-01-01")
    return _form_data(obj, visitors="篡改后的走访人")


def _added(model, obj):
    if model is Enterprise:
        return {
            **_form_data(obj, name="新增企业", credit_code="91410502MA00000000"),
            "qualifications-TOTAL_FORMS": "0",
            "qualifications-INITIAL_FORMS": "0",
        }
    if model is AnnualFigures:
        return _form_data(obj, year=2023)
    return _form_data(obj)


# --- the registrations -----------------------------------------------------------------------------


def test_ledger_and_money_registrations_are_read_only(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    for model in READ_ONLY_MODELS:
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model
        assert model_admin.has_view_permission(request), model
        assert "delete_selected" not in model_admin.get_actions(request), model
    inline = QualificationInline(Enterprise, admin.site)
    assert not inline.has_add_permission(request, None)
    assert not inline.has_change_permission(request)
    assert not inline.has_delete_permission(request)
    for model in LEDGER_MODELS:
        model_admin = admin.site._registry[model]
        assert isinstance(model_admin, SimpleHistoryAdmin)
        assert model_admin.revert_disabled(request)
        assert not model_admin.has_change_history_permission(request)


def test_nothing_else_in_the_admin_writes(rf, admin_user):
    """Any registration the administrator could write is one of the few kept in the admin on purpose."""
    request = rf.get("/admin/")
    request.user = admin_user
    writable = {
        model
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_add_permission(request)
        or model_admin.has_change_permission(request)
        or model_admin.has_delete_permission(request)
    }
    assert writable <= WRITABLE_MODELS, writable - WRITABLE_MODELS
    assert not {m._meta.app_label for m in writable} & {"enterprises", "assessment"}
    # Reward rules: no delete, and adds and changes go through incentives.services (tested there).
    assert not admin.site._registry[RewardRule].has_delete_permission(request)


def test_the_admin_imports_nothing():
    for model, model_admin in admin.site._registry.items():
        assert not isinstance(model_admin, ImportMixin), model
    for model in READ_ONLY_MODELS:
        with pytest.raises(NoReverseMatch):
            reverse(f"{admin_info(model)}_import")


# --- refused writes --------------------------------------------------------------------------------


@pytest.mark.parametrize("model", LEDGER_MODELS, ids=lambda m: m._meta.model_name)
def test_every_write_to_a_ledger_row_is_refused(admin_client, ledger, model):
    obj = ledger[model]
    info = admin_info(model)
    before = ledger_snapshot()
    stage = Enterprise.objects.get().stage
    first_version = obj.history.earliest()

    requests = [
        ("get", reverse(f"{info}_add"), None),
        ("post", reverse(f"{info}_add"), _added(model, obj)),
        ("post", reverse(f"{info}_change", args=[obj.pk]), _changed(model, obj)),
        ("post", reverse(f"{info}_change", args=[obj.pk]), {**_changed(model, obj), "_saveasnew": "1"}),
        ("post", reverse(f"{info}_change", args=[obj.pk]), {**_changed(model, obj), "_continue": "1"}),
        ("get", reverse(f"{info}_delete", args=[obj.pk]), None),
        ("post", reverse(f"{info}_delete", args=[obj.pk]), {"post": "yes"}),
        (
            "post",
            reverse(f"{info}_changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "index": "0"},
        ),
        (
            "post",
            reverse(f"{info}_changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        ),
        (
            "post",
            reverse(f"{info}_simple_history", args=[obj.pk, first_version.history_id]),
            _form_data(first_version.instance),
        ),
        (
            "post",
            reverse(f"{info}_simple_history", args=[obj.pk, first_version.history_id]),
            {**_form_data(first_version.instance), "_change_history": "1"},
        ),
    ]
    for method, url, data in requests:
        response = getattr(admin_client, method)(url, data) if data is not None else admin_client.get(url)
        assert response.status_code == 403, (method, url, response.status_code)

    assert ledger_snapshot() == before
    assert Enterprise.objects.get().stage == stage


def test_an_hte_certificate_cannot_be_recorded_through_the_admin(admin_client, ledger):
    """The bypass this closes: an inline HTE qualification saved with no reward, no audit, a stale stage."""
    enterprise = ledger[Enterprise]
    counts = {
        m: m.objects.count()
        for m in (Qualification, Reward, AuditLog, Enterprise.history.model, Qualification.history.model)
    }
    response = admin_client.post(
        reverse("admin:enterprises_enterprise_change", args=[enterprise.pk]), _changed(Enterprise, enterprise)
    )
    assert response.status_code == 403
    assert not Qualification.objects.filter(kind="hte").exists()
    assert {m: m.objects.count() for m in counts} == counts
    enterprise_after = Enterprise.objects.get()
    assert (enterprise_after.name, enterprise_after.stage) == (enterprise.name, enterprise.stage)


def test_simple_history_would_revert_without_the_guard(admin_user, ledger):
    """Why ReadOnlyHistoryAdmin refuses the POST itself: simple-history's history_form_view checks only
    the *view* permission before saving, and SIMPLE_HISTORY_REVERT_DISABLED / revert_disabled() only
    hide the button, so a read-only admin without the guard still reverts a POSTed version."""

    class Unguarded(type(admin.site._registry[Enterprise])):
        history_form_view = SimpleHistoryAdmin.history_form_view

    model_admin = Unguarded(Enterprise, admin.AdminSite(name="probe"))
    enterprise = ledger[Enterprise]
    first = enterprise.history.earliest()
    request = RequestFactory().post("/", {})
    request.user = admin_user
    request._messages = CookieStorage(request)
    with override_settings(SIMPLE_HISTORY_REVERT_DISABLED=True):
        assert not model_admin.has_change_permission(request, enterprise)
        assert model_admin.revert_disabled(request, enterprise)
        model_admin.history_form_view(request, str(enterprise.pk), str(first.history_id))
    assert Enterprise.objects.get().name == "安阳原名科技有限公司"  # reverted: the hole the guard closes


# --- what the admin still reads --------------------------------------------------------------------


@pytest.mark.parametrize("model", LEDGER_MODELS, ids=lambda m: m._meta.model_name)
def test_the_admin_reads_the_ledger(admin_client, ledger, model):
    obj = ledger[model]
    info = admin_info(model)

    changelist = admin_client.get(reverse(f"{info}_changelist"), {"q": "安阳"})
    assert changelist.status_code == 200
    page = changelist.content.decode()
    assert "readonly-note" in page and "培育台账" in page
    assert 'name="action"' not in page and "delete_selected" not in page

    change = admin_client.get(reverse(f"{info}_change", args=[obj.pk]))
    assert change.status_code == 200
    page = change.content.decode()
    assert "readonly-note" in page and "培育台账" in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert not EDITABLE_CONTROL.search(page)
    if model is Enterprise:
        assert "2024410500001" in page  # the qualification inline, shown read-only

    history = admin_client.get(reverse(f"{info}_history", args=[obj.pk]))
    assert history.status_code == 200
    first = obj.history.earliest()
    version = admin_client.get(reverse(f"{info}_simple_history", args=[obj.pk, first.history_id]))
    assert version.status_code == 200
    page = version.content.decode()
    assert 'name="_save"' not in page
    assert not EDITABLE_CONTROL.search(page)


def test_the_admin_reads_the_money_rows_and_the_audit_log(admin_client, db):
    from tests.incentives.factories import PayoutBatchFactory, RewardWithLinesFactory

    reward = RewardWithLinesFactory()
    batch = PayoutBatchFactory()
    for model, obj in ((Reward, reward), (PayoutBatch, batch)):
        info = admin_info(model)
        assert admin_client.get(reverse(f"{info}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"{info}_change", args=[obj.pk])).status_code == 200
        before = ledger_snapshot()
        assert admin_client.post(reverse(f"{info}_change", args=[obj.pk]), {}).status_code == 403
        assert admin_client.post(reverse(f"{info}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
        assert admin_client.post(reverse(f"{info}_add"), {}).status_code == 403
        assert ledger_snapshot() == before
    assert admin_client.get(reverse("admin:core_auditlog_changelist")).status_code == 200


# --- the export ------------------------------------------------------------------------------------


def _export(admin_client, fmt):
    """What a browser gets: the export page, then its form POSTed with the format and every field."""
    url = reverse("admin:enterprises_enterprise_export")
    page = admin_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    select = re.search(r'<select name="format".*?</select>', html, re.S).group(0)
    options = re.findall(r'<option value="(\d+)"[^>]*>(\w+)</option>', select)
    formats = {label: value for value, label in options}
    assert set(formats) == {"xlsx", "csv"}  # settings.IMPORT_EXPORT_FORMATS: nothing else offered
    data = {"format": formats[fmt]}
    for name, value in re.findall(r'<input type="hidden" name="(resource)" value="(\d+)"', html):
        data[name] = value
    for name in re.findall(r'<input type="checkbox" name="(enterpriseresource_\w+)"', html):
        data[name] = "on"
    assert "enterpriseresource_name" in data
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return response


@pytest.fixture
def formula_enterprises(db):
    safe = EnterpriseFactory(name="安阳正常科技有限公司")
    return safe, [EnterpriseFactory(name=name) for name in FORMULA_NAMES]


def test_admin_xlsx_export_writes_formulas_as_text(admin_client, formula_enterprises):
    response = _export(admin_client, "xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows())
    headers = [c.value for c in rows[0]]
    name_col = headers.index("name")
    names = {row[name_col].value: row[name_col] for row in rows[1:]}
    assert "安阳正常科技有限公司" in names
    for name in FORMULA_NAMES:
        cell = names["'" + name]
        assert cell.data_type == "s" and cell.value.startswith("'")
    assert not [c.coordinate for row in rows for c in row if c.data_type == "f"]


def test_admin_csv_export_writes_formulas_as_text(admin_client, formula_enterprises):
    response = _export(admin_client, "csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    name_col = rows[0].index("name")
    names = [row[name_col] for row in rows[1:]]
    assert "安阳正常科技有限公司" in names
    for name in FORMULA_NAMES:
        assert "'" + name in names and name not in names
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_every_admin_export_uses_the_neutralising_resource(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    exporting = [ma for ma in admin.site._registry.values() if isinstance(ma, ExportMixin)]
    assert EnterpriseAdmin in {type(ma) for ma in exporting}
    for model_admin in exporting:
        for resource_class in model_admin.get_export_resource_classes(request):
            assert issubclass(resource_class, NeutralisedModelResource), (model_admin, resource_class)


class FiguresResource(NeutralisedModelResource):
    formula = fields.Field(column_name="=HEADER()")

    class Meta:
        model = AnnualFigures
        fields = ("enterprise__name", "year", "sales_revenue", "staff_count", "formula")

    def dehydrate_formula(self, obj):
        return "-1+1"


@pytest.mark.parametrize("force_native_type", [True, False], ids=["xlsx", "csv"])
def test_the_resource_neutralises_text_and_headers_not_numbers(db, force_native_type):
    figures = FiguresFactory(
        enterprise=EnterpriseFactory(name="@公司"), sales_revenue=Decimal("-12.50"), staff_count=30
    )
    dataset = FiguresResource().export(
        queryset=AnnualFigures.objects.filter(pk=figures.pk), force_native_type=force_native_type
    )
    assert dataset.headers[-1] == "'=HEADER()"
    name, year, revenue, staff, formula = dataset[0]
    assert name == "'@公司" and formula == "'-1+1"
    assert str(revenue) == "-12.50" and str(year) == "2025" and Decimal(str(staff)) == 30
    assert isinstance(revenue, Decimal) is force_native_type


def test_import_export_formula_escape_is_not_enough():
    """django-import-export 4.4's own escape only strips a leading '=' (and leaves headers): not relied on."""
    from import_export.formats.base_formats import CSV

    dataset = tablib.Dataset(["=1+1", "+1", "-1+1", "@SUM(A1)"], headers=["=A", "+B", "-C", "@D"])
    with override_settings(IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT=True):
        out = CSV().export_data(dataset)
    assert out.splitlines() == ["=A,+B,-C,@D", "1+1,+1,-1+1,@SUM(A1)"]


def test_closing_a_rule_without_its_end_date_is_a_form_error(admin_client):
    """Found by the admin matrix: an empty 截止日期 on a rule with rewards went on to rule_close, a 500."""
    from tests.incentives.factories import RewardWithLinesFactory, hte_rule

    rule = hte_rule()
    RewardWithLinesFactory(rule=rule)
    before = ledger_snapshot()
    response = admin_client.post(
        reverse("admin:incentives_rewardrule_change", args=[rule.pk]), {"effective_to": ""}
    )
    assert response.status_code == 200
    assert "effective_to" in response.context["adminform"].form.errors
    assert ledger_snapshot() == before
