"""The firm's pages (信息填报, 自我评价) and the county's (queue, diff, accept/return, the innovation draft)
through the test client."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from anyang_hte.core.dates import today
from anyang_hte.core.roles import Role
from enterprises import submission_diff
from enterprises.models import (
    AnnualFigures,
    FirmSubmission,
    InnovationAssessment,
    InnovationDraft,
    SubmissionFile,
)
from enterprises.services import submissions as services
from tests.enterprises.test_submissions import PDF, figures_data
from tests.factories import EnterpriseFactory, FiguresFactory, UserFactory, jurisdiction

pytestmark = pytest.mark.django_db

THIS = today().year
NEXT = THIS + 1
S = FirmSubmission.Status
# Inside every band of the factory's figures with 5 conversions a year (as tests/enterprises/test_readiness).
PASSING = {
    "ip_advancement": 8,
    "ip_core_support": 8,
    "ip_quantity": 8,
    "ip_acquisition": 6,
    "ip_self_developed": True,
    "standard_bonus": False,
    "conversion": 30,
    "rd_management": 6,
    "rd_institution": 6,
    "conversion_system": 4,
    "talent": 4,
    "net_asset_growth": 0,
    "sales_growth": 0,
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ent(db):
    return EnterpriseFactory(jurisdiction=jurisdiction("410502"), registered_on=datetime.date(2015, 3, 5))


@pytest.fixture
def firm(ent):
    return UserFactory(username="firm_p", role=Role.ENTERPRISE, jurisdiction=None, enterprise=ent)


@pytest.fixture
def other(db):
    ent = EnterpriseFactory(jurisdiction=jurisdiction("410502"))
    return UserFactory(username="firm_q", role=Role.ENTERPRISE, jurisdiction=None, enterprise=ent)


def test_firm_submits_figures_and_a_bad_value_keeps_the_input(client, firm, ent):
    client.force_login(firm)
    url = reverse("firms:submission_figures") + f"?year={THIS - 1}"
    page = client.get(url)
    assert page.status_code == 200 and "总收入" in page.content.decode()
    bad = client.post(url, figures_data(staff_count="九十", action="submit"))
    body = bad.content.decode()
    assert bad.status_code == 400 and 'value="九十"' in body and "未保存" in body
    assert 'id="id_staff_count"' in body and "is-invalid" in body
    assert not FirmSubmission.objects.exists()
    ok = client.post(url, figures_data(action="submit"))
    assert ok.status_code == 302
    submission = FirmSubmission.objects.get()
    assert submission.status == S.SUBMITTED and submission.year == THIS - 1
    listing = client.get(reverse("firms:submissions")).content.decode()
    assert "待县区确认" in listing


def test_a_returned_submission_shows_the_reason_and_what_was_typed(client, firm, ent, county_official):
    submission = services.submission_save(
        enterprise=ent, kind="figures", data=figures_data(sales_revenue="3,000.5"), by=firm, submit=True
    )
    services.submission_return(submission=submission, by=county_official, reason="请附审计报告")
    client.force_login(firm)
    listing = client.get(reverse("firms:submissions")).content.decode()
    assert "请附审计报告" in listing and "已退回" in listing
    form = client.get(reverse("firms:submission_edit", args=[submission.pk])).content.decode()
    assert "请附审计报告" in form and 'value="3,000.5"' in form
    resubmit = client.post(
        reverse("firms:submission_edit", args=[submission.pk]),
        figures_data(sales_revenue="3001", action="submit"),
    )
    assert resubmit.status_code == 302
    submission.refresh_from_db()
    assert submission.status == S.SUBMITTED and submission.data["sales_revenue"] == "3001"


def test_county_queue_diff_accept_and_return(client, firm, ent, county_official, other_county_official):
    FiguresFactory(enterprise=ent, year=THIS - 1, sales_revenue=Decimal("25000000"))
    submission = services.submission_save(
        enterprise=ent, kind="figures", data=figures_data(), by=firm, submit=True
    )
    client.force_login(county_official)
    queue = client.get(reverse("enterprises:submissions"))
    assert queue.status_code == 200 and ent.name in queue.content.decode()
    assert 'data-testid="total-submitted">1<' in queue.content.decode()
    filtered = client.get(reverse("enterprises:submissions"), {"kind": "profile"}).content.decode()
    assert ent.name not in filtered
    detail = client.get(reverse("enterprises:submission_detail", args=[submission.pk])).content.decode()
    assert (
        "2500.00" in detail
        and "3000.00" in detail
        and 'data-testid="diff-sales_revenue" data-changed="1"' in detail
    )
    block = client.get(reverse("enterprises:detail", args=[ent.pk])).content.decode()
    assert 'data-testid="open-submissions"' in block
    refused = client.post(reverse("enterprises:submission_return", args=[submission.pk]), {"reason": ""})
    assert refused.status_code == 400
    seen = submission_diff.diff(submission).seen
    accepted = client.post(reverse("enterprises:submission_accept", args=[submission.pk]), {"seen": seen})
    assert accepted.status_code == 302
    assert AnnualFigures.objects.get(enterprise=ent, year=THIS - 1).sales_revenue == Decimal("30000000")

    client.force_login(other_county_official)
    assert client.get(reverse("enterprises:submission_detail", args=[submission.pk])).status_code == 404
    assert ent.name not in client.get(reverse("enterprises:submissions"), {"status": ""}).content.decode()


def test_files_own_only(client, firm, other, ent, county_official, other_county_official):
    client.force_login(firm)
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = client.post(
        reverse("firms:submission_file_add"),
        {"kind": "audit_report", "year": THIS - 1, "upload": SimpleUploadedFile("假.pdf", b"GIF89a")},
    )
    assert bad.status_code == 400 and "不是有效的 PDF" in bad.content.decode()
    client.post(
        reverse("firms:submission_file_add"),
        {"kind": "audit_report", "year": THIS - 1, "upload": SimpleUploadedFile("审计报告.pdf", PDF)},
    )
    item = SubmissionFile.objects.get()
    assert client.get(reverse("firms:submission_file", args=[item.pk])).status_code == 200
    client.force_login(other)
    assert client.get(reverse("firms:submission_file", args=[item.pk])).status_code == 404
    assert "审计报告.pdf" not in client.get(reverse("firms:submissions")).content.decode()
    client.force_login(county_official)
    assert client.get(reverse("enterprises:submission_file", args=[item.pk])).status_code == 200
    client.force_login(other_county_official)
    assert client.get(reverse("enterprises:submission_file", args=[item.pk])).status_code == 404


def test_firm_sees_only_its_own_submissions(client, firm, other, ent):
    submission = services.submission_save(enterprise=ent, kind="figures", data=figures_data(), by=firm)
    client.force_login(other)
    assert client.get(reverse("firms:submission_edit", args=[submission.pk])).status_code == 404
    assert client.post(reverse("firms:submission_submit", args=[submission.pk])).status_code == 404
    assert client.post(reverse("firms:submission_withdraw", args=[submission.pk])).status_code == 404
    submission.refresh_from_db()
    assert submission.status == S.DRAFT


def test_evaluation_says_missing_then_ready(client, firm, ent):
    client.force_login(firm)
    page = client.get(reverse("firms:evaluation")).content.decode()
    assert "待补充" in page and 'data-testid="evaluation-missing"' in page
    for year in (THIS - 2, THIS - 1, THIS):
        FiguresFactory(enterprise=ent, year=year, conversions_count=5)
    InnovationAssessment.objects.create(
        enterprise=ent, application_year=NEXT, scored_at=timezone.now(), **PASSING
    )
    page = client.get(reverse("firms:evaluation")).content.decode()
    assert (
        f"符合高企认定条件（{NEXT}年申报）" in page
        and "待补充" not in page.split('data-testid="readiness"')[0]
    )
    assert 'data-testid="criterion-rd_ratio"' in page and 'data-testid="forward-gaps"' in page


def test_innovation_self_score_and_county_adoption(client, firm, ent, county_official):
    for year in (THIS - 2, THIS - 1, THIS):
        FiguresFactory(enterprise=ent, year=year, conversions_count=5)
    client.force_login(firm)
    form = client.get(reverse("firms:innovation_draft"))
    assert form.status_code == 200
    bad = client.post(reverse("firms:innovation_draft"), PASSING | {"conversion": 99})
    assert bad.status_code == 200 and "未保存" in bad.content.decode()
    assert not InnovationDraft.objects.exists()
    post = {k: ("True" if v is True else "" if v is False else v) for k, v in PASSING.items()}
    assert client.post(reverse("firms:innovation_draft"), post).status_code == 302
    draft = InnovationDraft.objects.get()
    assert draft.points["conversion"] == 30 and draft.adopted_at is None
    assert "80分" in client.get(reverse("firms:evaluation")).content.decode()

    client.force_login(county_official)
    url = reverse("enterprises:innovation_score", args=[ent.pk, NEXT])
    page = client.get(url).content.decode()
    assert 'data-testid="innovation-draft"' in page and 'data-testid="adopt-draft"' in page
    prefilled = client.get(url + "?draft=1").content.decode()
    assert 'data-testid="draft-prefilled"' in prefilled and 'name="conversion" value="30"' in prefilled
    assert client.post(url, post | {"conversion": 28}).status_code == 302
    draft.refresh_from_db()
    assert draft.adopted_by == county_official
    assert InnovationAssessment.objects.get(enterprise=ent, application_year=NEXT).conversion == 28


def test_not_a_firm_page_for_others(client, county_official):
    client.force_login(county_official)
    assert client.get(reverse("firms:submissions")).status_code == 403
    assert client.get(reverse("firms:evaluation")).status_code == 403


def test_an_accepted_submission_shows_what_it_changed(client, firm, ent, county_official):
    submission = services.submission_save(
        enterprise=ent, kind="figures", data=figures_data(), by=firm, submit=True
    )
    services.submission_accept(
        submission=submission, by=county_official, seen=submission_diff.diff(submission).seen
    )
    client.force_login(county_official)
    page = client.get(reverse("enterprises:submission_detail", args=[submission.pk])).content.decode()
    assert 'data-testid="applied"' in page and "营业收入（万元）" in page and "3000.00" in page
    client.force_login(firm)
    view = client.get(reverse("firms:submission_edit", args=[submission.pk])).content.decode()
    assert "已确认" in view and "3000" in view


def test_the_firm_removes_a_file_it_uploaded_but_not_another_firms(client, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from anyang_hte.core.models import AuditLog
    from enterprises.models import SubmissionFile
    from enterprises.services import submissions
    from tests.factories import EnterpriseFactory, UserFactory, jurisdiction

    wf = jurisdiction("410502")
    own, other = EnterpriseFactory(jurisdiction=wf), EnterpriseFactory(jurisdiction=wf)
    firm = UserFactory(username="rm_firm", role="enterprise", jurisdiction=None, enterprise=own)
    other_firm = UserFactory(username="rm_other", role="enterprise", jurisdiction=None, enterprise=other)

    def upload(enterprise, by):
        return submissions.submission_file_add(
            enterprise=enterprise,
            kind="audit_report",
            upload=SimpleUploadedFile("a.pdf", b"%PDF-1.7\n"),
            by=by,
        )

    mine, theirs = upload(own, firm), upload(other, other_firm)
    client.force_login(firm)
    assert client.post(reverse("firms:submission_file_remove", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("firms:submission_file_remove", args=[mine.pk]), follow=True)
    assert "已删除材料" in response.content.decode()
    assert list(SubmissionFile.objects.all()) == [theirs]
    assert AuditLog.objects.filter(action="enterprises.submission_file.removed", data__name="a.pdf").exists()
