"""The bulletin issued as a PDF under a 文号: its text, its rights, the bulletin page's link and button."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog, IssuedDocument
from anyang_hte.core.roles import Role
from assessment.documents import bulletin_issue
from assessment.models import Target
from tests.factories import EnterpriseFactory, QualificationFactory, UserFactory, jurisdiction, rolled_up
from tests.pdf_text import flat_text

pytestmark = [pytest.mark.django_db]

YEAR = timezone.localdate().year


@pytest.fixture
def figures():
    from enterprises.services import qualification_expiry

    wf, lz = jurisdiction("410502"), jurisdiction("410581")
    for juris, n in ((wf, 3), (lz, 1)):
        for _ in range(n):
            granted = datetime.date(YEAR, 1, 1)
            QualificationFactory(
                enterprise=EnterpriseFactory(jurisdiction=juris),
                kind="hte",
                granted_on=granted,
                expires_on=qualification_expiry("hte", granted),
            )
        Target.objects.create(jurisdiction=juris, year=YEAR, indicator="new_hte", value=4)
    rolled_up(YEAR)


@pytest.fixture
def reviewer():
    return UserFactory(role=Role.TECH_REVIEWER, display_name="王审核")


def test_the_issued_bulletin_has_its_red_header_number_table_and_chart(figures, reviewer):
    document = bulletin_issue(year=YEAR, by=reviewer)
    assert document.number == f"安科通〔{timezone.localdate().year}〕1号"
    assert document.kind == "bulletin" and document.source_year == YEAR and document.is_latest
    text = flat_text(document)
    assert "安阳市科学技术局" in text  # the red header's unit
    assert document.number in text
    assert f"安阳市高新技术企业培育工作通报（{YEAR}年）" in text
    assert "文峰区" in text and "林州市" in text and "全市合计" in text  # the table
    assert "新认定高新技术企业完成数" in text  # the chart's caption (SVG text)
    assert document.size == document.file.size and len(document.sha256) == 64
    rows = {r["code"]: r for r in document.snapshot["rows"]}
    assert rows["410502"]["new_hte"][0] == "3" and rows["410581"]["new_hte"][0] == "1"
    assert AuditLog.objects.filter(action="core.document.issued", object_id=str(document.pk)).exists()


def test_reissuing_gives_a_new_number_and_keeps_the_old(figures, reviewer):
    first = bulletin_issue(year=YEAR, by=reviewer)
    second = bulletin_issue(year=YEAR, by=reviewer)
    first.refresh_from_db()
    assert (first.serial, second.serial) == (1, 2)
    assert not first.is_latest and second.is_latest and second.supersedes == first
    assert first.file.name != second.file.name and first.file.storage.exists(first.file.name)


@pytest.mark.parametrize(
    "role", [Role.COUNTY_OFFICIAL, Role.CITY_FINANCE, Role.COUNTY_FINANCE, Role.ENTERPRISE]
)
def test_only_the_bureau_issues_a_bulletin(figures, role):
    with pytest.raises(DomainError):
        bulletin_issue(year=YEAR, by=UserFactory(role=role))
    assert not IssuedDocument.objects.exists()


def test_a_year_still_computing_is_not_issued(reviewer):
    with pytest.raises(DomainError, match="汇总计算"):
        bulletin_issue(year=YEAR - 3, by=reviewer)


def test_the_bulletin_page_links_its_pdf_and_offers_the_button(client, figures, reviewer):
    client.force_login(reviewer)
    url = reverse("assessment:bulletin") + f"?year={YEAR}"
    page = client.get(url).content.decode()
    assert 'data-testid="bulletin-issue"' in page and 'data-testid="bulletin-pdf"' not in page
    response = client.post(reverse("assessment:bulletin_issue"), {"year": YEAR})
    assert response.status_code == 302
    document = IssuedDocument.objects.get()
    page = client.get(url).content.decode()
    assert reverse("document_download", args=[document.pk]) in page and document.number in page
    download = client.get(reverse("document_download", args=[document.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_city_finance_sees_the_link_but_no_button(client, figures, reviewer):
    document = bulletin_issue(year=YEAR, by=reviewer)
    client.force_login(UserFactory(role=Role.CITY_FINANCE))
    page = client.get(reverse("assessment:bulletin") + f"?year={YEAR}").content.decode()
    assert reverse("document_download", args=[document.pk]) in page
    assert 'data-testid="bulletin-issue"' not in page
    assert client.post(reverse("assessment:bulletin_issue"), {"year": YEAR}).status_code == 403
