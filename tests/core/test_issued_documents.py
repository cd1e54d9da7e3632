"""Documents issued under a 文号 (anyang_hte/core/documents.py): the number series, the stored file, the
rendering helper's CJK text, the scoped list and download for every role, the set-up check."""

import datetime
import hashlib
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from anyang_hte.core import checks, pdf
from anyang_hte.core.documents import Numbering, format_number, issue_document, numbering
from anyang_hte.core.models import DocumentSeries, IssuedDocument
from anyang_hte.core.roles import Role
from assessment.documents import bulletin_issue
from incentives.models import FundingSource, PayoutBatch
from tests.factories import UserFactory, jurisdiction, rolled_up
from tests.incentives.factories import PayoutBatchFactory
from tests.pdf_text import pdf_text

pytestmark = [pytest.mark.django_db]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _issue(by=None, *, key="test:1", prefix="安测", source=None, kind="bulletin"):
    return issue_document(
        kind=kind,
        title="测试文件",
        numbering=Numbering(prefix, "安阳市测试局"),
        source_key=key,
        source=source,
        render=lambda issue: (
            f"<html><body><p>{issue.issuing_unit} {issue.number} 壹拾伍万元整</p></body></html>"
        ),
        by=by,
    )


def at(monkeypatch, moment: datetime.datetime):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_render_pdf_embeds_the_chinese():
    text = pdf_text(pdf.render_pdf("<html><body><h1>安阳市科学技术局</h1><p>叁拾万元整</p></body></html>"))
    assert "安阳市科学技术局" in text and "叁拾万元整" in text


def test_render_pdf_fetches_nothing_from_outside():
    html = '<html><body><img src="http://example.invalid/x.png"><img src="file:///etc/passwd"><p>好</p></body></html>'
    assert "好" in pdf_text(pdf.render_pdf(html))  # rendered, the images left out


def test_numbers_count_up_per_prefix_and_restart_each_year(monkeypatch):
    at(monkeypatch, datetime.datetime(2026, 12, 31, 23, 0, tzinfo=SHANGHAI))
    first, second = _issue(key="a"), _issue(key="b")
    other = _issue(key="c", prefix="安别")
    assert [first.number, second.number, other.number] == [
        "安测〔2026〕1号",
        "安测〔2026〕2号",
        "安别〔2026〕1号",
    ]
    at(monkeypatch, datetime.datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI))  # still 2026 in UTC
    assert _issue(key="a").number == "安测〔2027〕1号"
    assert DocumentSeries.objects.get(prefix="安测", year=2026).last_serial == 2


def test_a_document_keeps_its_file_size_and_digest():
    document = _issue()
    data = document.file.read()
    assert data.startswith(b"%PDF") and document.size == len(data)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert "安测〔" in pdf_text(data) and "安阳市测试局" in pdf_text(data)


def test_reissue_is_a_new_row_the_old_one_untouched():
    first = _issue()
    digest, name = first.sha256, first.file.name
    second = _issue()
    first.refresh_from_db()
    assert (first.sha256, first.file.name, first.is_latest) == (digest, name, False)
    assert second.is_latest and second.supersedes_id == first.pk and second.serial == first.serial + 1


def test_a_failed_render_takes_no_number_and_leaves_no_row():
    def broken(issue):
        raise RuntimeError("template broke")

    with pytest.raises(RuntimeError):
        issue_document(
            kind="bulletin",
            title="x",
            numbering=Numbering("安坏", "单位"),
            source_key="k",
            render=broken,
            by=None,
        )
    assert (
        not IssuedDocument.objects.exists() and not DocumentSeries.objects.filter(last_serial__gt=0).exists()
    )


def test_the_format_and_the_configured_prefixes():
    assert format_number("安科通", 2026, 3) == "安科通〔2026〕3号"
    assert numbering("bulletin") == Numbering("安科通", "安阳市科学技术局")
    county = numbering("payout_sheet", jurisdiction=jurisdiction("410581"))
    assert county.issuing_unit == "林州市财政局" and county.prefix.endswith("财拨")


# --- the list and the download, per role -----------------------------------------------------------


@pytest.fixture
def documents():
    """A bulletin, a city batch's sheet, a 文峰区 batch's sheet and a 林州市 batch's sheet."""
    rolled_up(timezone.localdate().year)
    bulletin = bulletin_issue(year=timezone.localdate().year, by=UserFactory(role=Role.TECH_REVIEWER))
    wf, lz = jurisdiction("410502"), jurisdiction("410581")

    def batch_doc(source, juris, name):
        batch = PayoutBatchFactory(
            name=name, source=source, jurisdiction=juris, status=PayoutBatch.Status.LOCKED
        )
        return _issue(key=f"payout_batch:{batch.pk}", prefix="安拨测", source=batch, kind="payout_sheet")

    return {
        "bulletin": bulletin,
        "city": batch_doc(FundingSource.CITY, None, "市级批次"),
        "wf": batch_doc(FundingSource.COUNTY, wf, "文峰区批次"),
        "lz": batch_doc(FundingSource.COUNTY, lz, "林州市批次"),
    }


SEES = {
    Role.TECH_REVIEWER: {"bulletin", "city", "wf", "lz"},
    Role.ADMIN: {"bulletin", "city", "wf", "lz"},
    Role.CITY_FINANCE: {"bulletin", "city"},
    Role.COUNTY_FINANCE: {"bulletin", "wf"},  # 文峰区's finance: its own county's batches only
    Role.COUNTY_OFFICIAL: {"bulletin"},
}


@pytest.mark.parametrize("role", list(SEES))
def test_the_list_and_the_download_are_scoped_per_role(client, documents, role):
    user = UserFactory(
        role=role,
        jurisdiction=jurisdiction("410502") if role in (Role.COUNTY_FINANCE, Role.COUNTY_OFFICIAL) else None,
    )
    client.force_login(user)
    page = client.get(reverse("document_list"))
    assert page.status_code == 200
    listed = {key for key, doc in documents.items() if doc.number in page.content.decode()}
    assert listed == SEES[role]
    for key, doc in documents.items():
        response = client.get(reverse("document_download", args=[doc.pk]))
        assert response.status_code == (200 if key in SEES[role] else 404), (role, key)
        if response.status_code == 200:
            assert response["Content-Disposition"].startswith("attachment")
            assert response["Content-Type"] == "application/pdf"


def test_a_firm_user_sees_no_documents(client, documents):
    from tests.factories import EnterpriseFactory

    firm = UserFactory(role=Role.ENTERPRISE, jurisdiction=None, enterprise=EnterpriseFactory())
    client.force_login(firm)
    assert client.get(reverse("document_list")).status_code == 403
    assert client.get(reverse("document_download", args=[documents["bulletin"].pk])).status_code == 404


def test_the_list_filters_by_kind_and_year(client, documents):
    client.force_login(UserFactory(role=Role.TECH_REVIEWER))
    page = client.get(reverse("document_list"), {"kind": "bulletin"}).content.decode()
    assert documents["bulletin"].number in page and documents["city"].number not in page
    page = client.get(reverse("document_list"), {"year": documents["city"].year + 1}).content.decode()
    assert 'data-testid="documents-empty"' in page
    bad = client.get(reverse("document_list"), {"kind": "nonsense"}).content.decode()
    assert 'data-testid="filter-errors"' in bad and documents["bulletin"].number not in bad


def test_the_navigation_links_the_list_for_those_who_may_see_any(client, documents):
    client.force_login(UserFactory(role=Role.COUNTY_OFFICIAL))
    assert 'data-testid="nav-documents"' in client.get(reverse("home"), follow=True).content.decode()


def test_the_list_runs_a_fixed_number_of_queries(client, documents, django_assert_max_num_queries):
    client.force_login(UserFactory(role=Role.TECH_REVIEWER))
    with django_assert_max_num_queries(15):
        assert client.get(reverse("document_list")).status_code == 200


# --- the set-up check ----------------------------------------------------------------------------


def test_the_check_is_quiet_when_pango_and_a_cjk_font_are_there():
    assert checks.check_pdf_fonts(None) == []


def test_the_check_warns_without_a_cjk_font(monkeypatch):
    monkeypatch.setattr(pdf, "cjk_fonts", lambda: ["DejaVu Sans"])
    (warning,) = checks.check_pdf_fonts(None)
    assert warning.id == "portal.W012" and "ensure_system_packages.sh" in warning.hint


def test_the_check_warns_without_pango(monkeypatch):
    monkeypatch.setattr(pdf, "missing_libraries", lambda: ["pango-1.0"])
    (warning,) = checks.check_pdf_fonts(None)
    assert warning.id == "portal.W010"
