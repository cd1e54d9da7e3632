"""Checks on an uploaded supporting document: type by extension *and* content, and size.

Shared by every app that keeps uploaded files (reward documents, a firm's supporting files), so each
refuses the same files with the same words.
"""

import io
import os
import uuid

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from anyang_hte.core.errors import DomainError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# extension -> (type name, the bytes such a file starts with)
SIGNATURES: dict[str, tuple[str, bytes]] = {
    ".pdf": ("PDF", b"%PDF-"),
    ".jpg": ("JPEG", b"\xff\xd8\xff"),
    ".jpeg": ("JPEG", b"\xff\xd8\xff"),
    ".png": ("PNG", b"\x89PNG\r\n\x1a\n"),
}


def max_bytes() -> int:
    return int(getattr(settings, "REWARD_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def original_name(upload) -> str:
    """The client's file name without any path part, cut to the column's length."""
    name = (getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if len(name) > 200:
        stem, ext = os.path.splitext(name)
        name = stem[: 200 - len(ext)] + ext
    return name or "upload"


def check_upload(upload) -> str:
    """Refuse what is not a PDF, JPEG or PNG (by name and by content) or is too big or empty.

    Returns the normalised extension (``.pdf``, ``.jpg``, ``.png``) for the stored file name.
    """
    name = original_name(upload)
    if any(not char.isprintable() for char in name):
        raise DomainError(_("文件名含有控制字符，请重命名后再上传。"), field="upload")
    ext = os.path.splitext(name)[1].lower()
    if ext not in SIGNATURES:
        raise DomainError(
            _("“%(name)s”的文件类型不支持，只能上传 PDF、JPG 或 PNG 文件。") % {"name": name}, field="upload"
        )
    size = upload.size
    if not size:
        raise DomainError(_("“%(name)s”是空文件。") % {"name": name}, field="upload")
    limit = max_bytes()
    if size > limit:
        raise DomainError(
            _("“%(name)s”大小为 %(size)s，超过了 %(limit)s 的上限。")
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
            field="upload",
        )
    kind, magic = SIGNATURES[ext]
    upload.seek(0)
    head = upload.read(len(magic))
    upload.seek(0)
    if head != magic:
        raise DomainError(
            _("“%(name)s”的内容不是有效的 %(kind)s 文件，请确认文件未损坏且扩展名正确。")
            % {"name": name, "kind": kind},
            field="upload",
        )
    return ".jpg" if ext == ".jpeg" else ext


def stored_name(ext: str) -> str:
    """A generated file name: nothing the client sent reaches the file system."""
    return f"{uuid.uuid4().hex}{ext}"


# --- the request body ----------------------------------------------------------------------------


def upload_keep_max_bytes() -> int:
    """The largest file any form of the portal accepts (an import file or a supporting document)."""
    return max(int(getattr(settings, "IMPORT_MAX_BYTES", 0)), max_bytes())


class OversizedUpload(UploadedFile):
    """A file the browser sent that is larger than any form accepts: its name and true ``size`` only.

    The bytes were counted and dropped as they arrived (:class:`SizeCappedUploadHandler`), so nothing
    of it reaches memory or the disk; the form's size check then refuses it, naming the limit.
    """

    def __init__(self, name: str, content_type: str, size: int, charset=None):
        super().__init__(io.BytesIO(b""), name, content_type, size, charset)


class SizeCappedUploadHandler(FileUploadHandler):
    """First of ``FILE_UPLOAD_HANDLERS``: the chunks of a file past :func:`upload_keep_max_bytes` are
    counted and dropped (the handlers after it, which keep files in memory or in a temporary file, never
    see them), and the form gets an :class:`OversizedUpload` with the true size to refuse."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.limit = upload_keep_max_bytes()
        self.received = 0
        self.oversized = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.oversized = True
            return None  # the later handlers get nothing more of this file
        return raw_data

    def file_complete(self, file_size):
        if self.oversized:
            return OversizedUpload(self.file_name, self.content_type, self.received, self.charset)
        return None  # the next handler completes the file
