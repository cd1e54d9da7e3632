"""A firm enters, its county confirms: submission → diff → accept (the ledger changes, the history and the
audit name both the firm user and the official) or return (the firm's input kept, with the reason), and
every refusal (another firm, another county, the wrong role, a bad value, a bad file)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from anyang_hte.core.audit import AuditLog
from anyang_hte.core.dates import today
from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import Notification
from anyang_hte.core.roles import Role
from enterprises import submission_diff
from enterprises.models import AnnualFigures, FirmSubmission, IntellectualProperty, SubmissionFile
from enterprises.selectors import enterprise_history
from enterprises.services import figures_save
from enterprises.services import submissions as services
from tests.factories import EnterpriseFactory, FiguresFactory, UserFactory, jurisdiction

pytestmark = pytest.mark.django_db

S = FirmSubmission.Status
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
YEAR = today().year - 1


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ent(db):
    return EnterpriseFactory(jurisdiction=jurisdiction("410502"), name="安阳自填科技有限公司")


@pytest.fixture
def firm(ent):
    return UserFactory(
        username="firm_user", display_name="王会计", role=Role.ENTERPRISE, jurisdiction=None, enterprise=ent
    )


@pytest.fixture
def other_firm(db):
    other = EnterpriseFactory(jurisdiction=jurisdiction("410502"))
    return UserFactory(username="firm_other", role=Role.ENTERPRISE, jurisdiction=None, enterprise=other)


def figures_data(**overrides):
    """What a firm types on the figures form: 万元 and head counts, as strings."""
    data = {
        "year": str(YEAR),
        "sales_revenue": "3000",
        "total_income": "3100",
        "rd_expense": "180",
        "rd_expense_domestic": "180",
        "total_costs": "2500",
        "hightech_revenue": "2400",
        "total_assets": "5000",
        "net_assets": "3000",
        "industrial_value_added": "800",
        "staff_count": "100",
        "st_staff_count": "20.5",
        "ip_class1_count": "1",
        "ip_class2_count": "5",
        "conversions_count": "3",
    }
    return data | overrides


def submitted(ent, firm, **overrides):
    return services.submission_save(
        enterprise=ent, kind="figures", data=figures_data(**overrides), by=firm, submit=True
    )


def test_submit_diff_accept_changes_the_ledger_and_names_both(ent, firm, county_official):
    FiguresFactory(enterprise=ent, year=YEAR, sales_revenue=Decimal("25000000"), staff_count=100)
    submission = submitted(ent, firm)
    assert submission.status == S.SUBMITTED and submission.data["sales_revenue"] == "3000"
    assert Notification.objects.filter(user=county_official, url__contains=str(submission.pk)).exists()
    # Nothing reached the ledger yet.
    assert AnnualFigures.objects.get(enterprise=ent, year=YEAR).sales_revenue == Decimal("25000000")

    diff = submission_diff.diff(submission)
    rows = {row.name: row for row in diff.rows}
    assert rows["sales_revenue"].changed and rows["sales_revenue"].ledger == "2500.00"
    assert rows["sales_revenue"].submitted == "3000.00"
    assert not rows["staff_count"].changed  # the same as the ledger
    assert rows["st_staff_count"].changed and rows["st_staff_count"].submitted == "20.5"

    services.submission_accept(submission=submission, by=county_official, seen=diff.seen)
    figures = AnnualFigures.objects.get(enterprise=ent, year=YEAR)
    assert figures.sales_revenue == Decimal("30000000") and figures.st_staff_count == Decimal("20.5")
    submission.refresh_from_db()
    assert submission.status == S.ACCEPTED and submission.decided_by == county_official
    assert "sales_revenue" in submission.applied and "staff_count" not in submission.applied
    # The field history: the official saved it, the firm user entered it.
    record = figures.history.latest()
    assert record.history_user == county_official and str(firm) in record.history_change_reason
    who = [e.who for e in enterprise_history(ent) if "年度数据" in e.what][0]
    assert str(county_official) in who and str(firm) in who
    audit = AuditLog.objects.get(action="enterprises.submission.accepted")
    assert audit.user == county_official
    assert audit.data["entered_by"] == firm.pk and audit.data["confirmed_by"] == county_official.pk
    assert Notification.objects.filter(user=firm, title__contains="已确认").exists()


def test_a_new_year_is_created_and_an_empty_field_never_blanks_the_ledger(ent, firm, county_official):
    FiguresFactory(enterprise=ent, year=YEAR, industrial_value_added=Decimal("8000000"))
    submission = submitted(ent, firm, industrial_value_added="")
    diff = submission_diff.diff(submission)
    assert not {r.name: r for r in diff.rows}["industrial_value_added"].changed
    services.submission_accept(submission=submission, by=county_official, seen=diff.seen)
    assert AnnualFigures.objects.get(enterprise=ent, year=YEAR).industrial_value_added == Decimal("8000000")

    fresh = submitted(ent, firm, year=str(YEAR - 1))
    services.submission_accept(submission=fresh, by=county_official, seen=submission_diff.diff(fresh).seen)
    assert AnnualFigures.objects.get(enterprise=ent, year=YEAR - 1).total_income == Decimal("31000000")


def test_accept_applies_only_what_the_official_saw(ent, firm, county_official):
    FiguresFactory(enterprise=ent, year=YEAR)
    submission = submitted(ent, firm)
    seen = submission_diff.diff(submission).seen
    # The ledger changes after the official opened the diff page ...
    figures_save(enterprise=ent, year=YEAR, sales_revenue=Decimal("31000000"), by=county_official)
    with pytest.raises(DomainError, match="重新核对|最新的差异"):
        services.submission_accept(submission=submission, by=county_official, seen=seen)
    assert AnnualFigures.objects.get(enterprise=ent, year=YEAR).sales_revenue == Decimal("31000000")
    # ... and the new diff marks the field the ledger changed since the firm submitted.
    diff = submission_diff.diff(submission)
    assert {r.name: r for r in diff.rows}["sales_revenue"].moved
    services.submission_accept(submission=submission, by=county_official, seen=diff.seen)
    assert AnnualFigures.objects.get(enterprise=ent, year=YEAR).sales_revenue == Decimal("30000000")


def test_return_keeps_what_was_typed_and_the_firm_resubmits(ent, firm, county_official):
    submission = submitted(ent, firm, sales_revenue="3,000")
    with pytest.raises(DomainError) as exc:
        services.submission_return(submission=submission, by=county_official, reason="  ")
    assert exc.value.field == "reason"
    services.submission_return(submission=submission, by=county_official, reason="营业收入与审计报告不一致")
    submission.refresh_from_db()
    assert submission.status == S.RETURNED and submission.return_reason == "营业收入与审计报告不一致"
    assert submission.data["sales_revenue"] == "3,000"  # exactly as typed
    assert not AnnualFigures.objects.filter(enterprise=ent).exists()
    assert Notification.objects.filter(user=firm, body__contains="营业收入与审计报告不一致").exists()

    services.submission_save(
        submission=submission,
        enterprise=ent,
        kind="figures",
        data=figures_data(sales_revenue="2950"),
        by=firm,
        submit=True,
    )
    submission.refresh_from_db()
    assert submission.status == S.SUBMITTED and submission.data["sales_revenue"] == "2950"
    assert AuditLog.objects.filter(action="enterprises.submission.resubmitted").exists()
    services.submission_accept(
        submission=submission, by=county_official, seen=submission_diff.diff(submission).seen
    )
    assert AnnualFigures.objects.get(enterprise=ent, year=YEAR).sales_revenue == Decimal("29500000")


def test_a_bad_value_is_refused_naming_the_field_and_nothing_is_stored(ent, firm):
    with pytest.raises(DomainError) as exc:
        services.submission_save(
            enterprise=ent,
            kind="figures",
            data=figures_data(staff_count="abc", st_staff_count="200", rd_expense_domestic="999"),
            by=firm,
        )
    assert "staff_count" in exc.value.errors
    assert "rd_expense_domestic" in exc.value.errors
    assert not FirmSubmission.objects.exists()
    with pytest.raises(DomainError) as exc:
        services.submission_save(enterprise=ent, kind="figures", data=figures_data(year="2999"), by=firm)
    assert exc.value.field == "year"


def test_one_open_submission_per_year_and_withdraw(ent, firm):
    first = submitted(ent, firm)
    with pytest.raises(DomainError, match="待县区确认"):
        submitted(ent, firm)
    services.submission_withdraw(submission=first, by=firm)
    second = submitted(ent, firm)
    assert second.status == S.SUBMITTED
    with pytest.raises(DomainError, match="不能变更"):
        services.submission_submit(submission=first, by=firm)  # a withdrawn one stays withdrawn


def test_profile_and_rd_institution_through_the_ledger(ent, firm, county_official):
    data = {
        "contact_name": "赵六",
        "bank_account": "6222 0001",
        "rd_institution": "安阳市工程技术研究中心",
        "rd_institution_level": "city",
    }
    submission = services.submission_save(enterprise=ent, kind="profile", data=data, by=firm, submit=True)
    services.submission_accept(
        submission=submission, by=county_official, seen=submission_diff.diff(submission).seen
    )
    ent.refresh_from_db()
    assert (ent.contact_name, ent.rd_institution, ent.rd_institution_level) == (
        "赵六",
        "安阳市工程技术研究中心",
        "city",
    )
    assert ent.history.latest().history_user == county_official


def test_ip_item_through_the_ledger(ent, firm, county_official):
    data = {
        "kind": "invention",
        "title": "一种检测方法",
        "number": "ZL2025100001",
        "granted_on": f"{YEAR}-05-01",
        "acquisition": "self",
    }
    submission = services.submission_save(enterprise=ent, kind="ip", data=data, by=firm, submit=True)
    services.submission_accept(
        submission=submission, by=county_official, seen=submission_diff.diff(submission).seen
    )
    item = IntellectualProperty.objects.get(enterprise=ent, number="ZL2025100001")
    assert item.history.latest().history_user == county_official
    future = data | {"number": "ZL2", "granted_on": f"{today().year + 1}-01-01"}
    with pytest.raises(DomainError) as exc:
        services.submission_save(enterprise=ent, kind="ip", data=future, by=firm)
    assert "granted_on" in exc.value.errors or exc.value.field == "granted_on"


def test_refusals_for_the_wrong_firm_county_or_role(
    ent, firm, other_firm, county_official, other_county_official
):
    with pytest.raises(DomainError, match="本企业"):
        services.submission_save(enterprise=ent, kind="figures", data=figures_data(), by=other_firm)
    with pytest.raises(DomainError, match="企业用户本人"):
        services.submission_save(enterprise=ent, kind="figures", data=figures_data(), by=county_official)
    submission = submitted(ent, firm)
    seen = submission_diff.diff(submission).seen
    with pytest.raises(DomainError, match="本企业"):
        services.submission_withdraw(submission=submission, by=other_firm)
    with pytest.raises(DomainError, match="县区"):
        services.submission_accept(submission=submission, by=other_county_official, seen=seen)
    with pytest.raises(DomainError):
        services.submission_accept(submission=submission, by=firm, seen=seen)  # a firm confirms nothing
    with pytest.raises(DomainError):
        services.submission_return(submission=submission, by=other_county_official, reason="x")
    submission.refresh_from_db()
    assert submission.status == S.SUBMITTED and not AnnualFigures.objects.filter(enterprise=ent).exists()


def _upload(name="审计报告.pdf", content=PDF):
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("报告.docx", PDF, "文件类型不支持"),
        ("假的.pdf", b"MZ\x90\x00 not a pdf", "不是有效的 PDF"),
        ("空.pdf", b"", "空文件"),
    ],
)
def test_bad_files_refused(ent, firm, name, content, message):
    with pytest.raises(DomainError, match=message):
        services.submission_file_add(
            enterprise=ent, kind="audit_report", upload=_upload(name, content), by=firm
        )
    assert not SubmissionFile.objects.exists()


def test_file_size_limit_and_stored_name(ent, firm, other_firm, settings):
    settings.REWARD_DOCUMENT_MAX_BYTES = 1024
    with pytest.raises(DomainError, match="超过了"):
        services.submission_file_add(
            enterprise=ent, kind="audit_report", upload=_upload(content=PDF.ljust(1025, b" ")), by=firm
        )
    item = services.submission_file_add(
        enterprise=ent, kind="rd_ledger", year=YEAR, upload=_upload("..\\研发辅助账.pdf"), by=firm
    )
    assert item.original_name == "研发辅助账.pdf" and "研发" not in item.file.name
    with pytest.raises(DomainError, match="本企业"):
        services.submission_file_add(enterprise=ent, kind="other", upload=_upload(), by=other_firm)


def test_demo_seeds_one_waiting_and_one_returned(ent, firm, county_official):
    from enterprises.demo import seed_firm_submissions

    waiting, returned = seed_firm_submissions(enterprise=ent, firm_user=firm)
    assert waiting.status == S.SUBMITTED and returned.status == S.RETURNED
    assert returned.decided_by == county_official and returned.return_reason
    assert len(seed_firm_submissions(enterprise=ent, firm_user=firm)) == 2  # run twice: nothing new
    diff = submission_diff.diff(waiting)
    assert diff.error is None and diff.changed_count > 0
