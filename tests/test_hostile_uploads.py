"""Hostile supporting documents through the pages that take them: the county's reward documents, the
firm's reward documents and the firm's own supporting files. Each is refused with its reason, nothing is
stored (no row, no file), and a file larger than any form accepts is never kept in memory or on disk.

The files are built here (nothing binary is committed); tests/hostile.py builds the spreadsheets.
"""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from anyang_hte.core.roles import Role
from anyang_hte.core.uploads import OversizedUpload, SizeCappedUploadHandler
from enterprises.models import SubmissionFile
from incentives.models import Reward, RewardDocument
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import RewardWithLinesFactory

MB = 1024 * 1024


def _bomb() -> bytes:
    """A zip of zeros that inflates a thousandfold (named .pdf, it is not a PDF)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (16 * MB))
    return out.getvalue()


# (case, file name, content, what the refusal says)
CASES = [
    ("executable", "证书.pdf", b"MZ\x90\x00\x03" + b"\0" * 64, "不是有效的 PDF 文件"),
    ("html_as_png", "扫描件.png", b"<html><script>alert(1)</script></html>", "不是有效的 PNG 文件"),
    ("zip_bomb_as_pdf", "证书.pdf", _bomb(), "不是有效的 PDF 文件"),
    ("xlsx_as_jpg", "证书.jpg", b"PK\x03\x04" + b"\0" * 100, "不是有效的 JPEG 文件"),
    ("wrong_type", "证书.docx", b"PK\x03\x04", "文件类型不支持"),
    ("no_extension", "证书", b"%PDF-1.4 x", "文件类型不支持"),
    ("over_the_document_limit", "证书.pdf", b"%PDF-1.4" + b"\0" * (11 * MB), "上限"),
    ("over_every_limit", "证书.pdf", b"%PDF-1.4" + b"\0" * (21 * MB), "上限"),
]
IDS = [case[0] for case in CASES]


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()


@pytest.fixture
def world(db):
    wf = jurisdiction("410502")
    own = EnterpriseFactory(jurisdiction=wf, bank_name="中国银行安阳分行", bank_account="6222000011112222")
    return {
        "county": UserFactory(username="county_up", role=Role.COUNTY_OFFICIAL, jurisdiction=wf),
        "firm": UserFactory(username="firm_up", role=Role.ENTERPRISE, jurisdiction=None, enterprise=own),
        "reward": RewardWithLinesFactory(enterprise=own, status=Reward.Status.GENERATED),
    }


def _county_document(client, world, name, content):
    client.force_login(world["county"])
    url = reverse("incentives:document_upload", args=[world["reward"].pk])
    return client.post(url, {"kind": "bank", "file": SimpleUploadedFile(name, content)}, follow=True)


def _firm_document(client, world, name, content):
    client.force_login(world["firm"])
    reward = world["reward"]
    url = reverse("firms:reward_document_upload", args=[reward.pk])
    data = {f"r{reward.pk}-kind": "bank", f"r{reward.pk}-file": SimpleUploadedFile(name, content)}
    return client.post(url, data, follow=True)


def _firm_file(client, world, name, content):
    client.force_login(world["firm"])
    year = world["reward"].created_at.year - 1
    data = {"kind": "audit_report", "year": year, "upload": SimpleUploadedFile(name, content)}
    return client.post(reverse("firms:submission_file_add"), data, follow=True)


PATHS = {"county_reward_document": _county_document, "firm_reward_document": _firm_document}
PATHS["firm_supporting_file"] = _firm_file


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize(("case", "name", "content", "says"), CASES, ids=IDS)
def test_a_hostile_document_is_refused_and_nothing_is_stored(
    client, world, settings, path, case, name, content, says
):
    response = PATHS[path](client, world, name, content)
    assert response.status_code in (200, 400), response.status_code
    assert says in response.content.decode()
    assert not RewardDocument.objects.exists() and not SubmissionFile.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == []


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_good_document_still_goes_through(client, world, settings, path):
    PATHS[path](client, world, "../../etc/证书.pdf", b"%PDF-1.4 a real scan")
    assert RewardDocument.objects.count() + SubmissionFile.objects.count() == 1
    (stored,) = stored_files(settings.MEDIA_ROOT)
    assert stored.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())  # no path of the client's
    assert ".." not in stored.name and "etc" not in stored.relative_to(settings.MEDIA_ROOT).parts


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_name_with_control_characters_is_refused_or_kept_clean(client, world, path):
    """The control characters never reach a stored name (Django's parser may already drop them)."""
    response = PATHS[path](client, world, "证\x01书\x7f.pdf", b"%PDF-1.4 a scan")
    assert response.status_code in (200, 400)
    names = [*RewardDocument.objects.values_list("original_name", flat=True)]
    names += [*SubmissionFile.objects.values_list("original_name", flat=True)]
    assert all(ch.isprintable() for name in names for ch in name), names
    if not names:
        assert "控制字符" in response.content.decode()


def test_a_file_over_every_limit_is_counted_and_dropped_as_it_arrives(settings):
    """The handler keeps none of an oversized file's bytes: the form receives its name and true size."""
    settings.IMPORT_MAX_BYTES = 1 * MB
    settings.REWARD_DOCUMENT_MAX_BYTES = 1 * MB
    big = b"%PDF-1.4" + b"\0" * (3 * MB)
    request = RequestFactory().post("/any/", {"file": SimpleUploadedFile("big.pdf", big)})
    assert isinstance(request.upload_handlers[0], SizeCappedUploadHandler)  # settings.FILE_UPLOAD_HANDLERS
    upload = request.FILES["file"]
    assert isinstance(upload, OversizedUpload)
    assert upload.size == len(big) and upload.read() == b""
    small = RequestFactory().post("/any/", {"file": SimpleUploadedFile("ok.pdf", b"%PDF-1.4 ok")})
    assert small.FILES["file"].read() == b"%PDF-1.4 ok"
