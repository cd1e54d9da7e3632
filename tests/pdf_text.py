"""The text of a PDF, for the tests of the issued documents (pypdf, a dev dependency)."""

import io

from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def document_text(document) -> str:
    with document.file.open("rb") as handle:
        return pdf_text(handle.read())


def flat_text(document) -> str:
    """The text without any whitespace: a name wrapped in a table cell reads whole again."""
    return "".join(document_text(document).split())
