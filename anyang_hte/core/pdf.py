"""HTML to PDF on the server (WeasyPrint), for the documents the portal issues under a 文号.

:func:`render_pdf` takes an HTML string (a template rendered by the caller) and returns the PDF's bytes,
with the official-document base stylesheet (``templates/documents/official.css``: A4, margins, the red
header 红头, the page numbers) applied first. The fonts come from the system's fontconfig: a CJK font
(Noto Serif CJK SC / Noto Sans CJK SC, Debian's fonts-noto-cjk) is embedded as a subset, so the PDF
shows the Chinese on a machine without it. Nothing is fetched from a network or the disk: the fetcher
allows ``data:`` URLs only (the charts are inline SVG).

WeasyPrint needs pango at import time; it is imported on first use, so the portal starts (and
``manage.py check`` can say what is missing, see checks.py) on a machine without it.
"""

import ctypes.util
import shutil
import subprocess

from django.template.loader import render_to_string

BASE_STYLESHEET = "documents/official.css"
CJK_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "Source Han Sans SC")


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot run here (pango missing): the set-up's system packages are not installed."""


def _weasyprint():
    try:
        import weasyprint
    except OSError as exc:  # pango / gobject not found by cffi
        raise PdfUnavailable(
            "WeasyPrint cannot load pango: run scripts/ensure_system_packages.sh (as root) "
            f"to install the PDF documents' system packages ({exc})"
        ) from exc
    return weasyprint


def render_pdf(html: str, *, stylesheets: tuple[str, ...] = ()) -> bytes:
    """The PDF of ``html`` (a whole document), the base stylesheet first, then ``stylesheets`` (template
    names of CSS files, e.g. ``assessment/bulletin_pdf.css``: no ``<style>`` in an .html template)."""
    weasyprint = _weasyprint()
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    sheets = [
        weasyprint.CSS(string=render_to_string(name), url_fetcher=fetcher)
        for name in (BASE_STYLESHEET, *stylesheets)
    ]
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=sheets)


def missing_libraries() -> list[str]:
    """The shared libraries WeasyPrint loads that the system lacks (cheap: no WeasyPrint import)."""
    names = ("pango-1.0", "pangoft2-1.0", "harfbuzz")
    return [name for name in names if ctypes.util.find_library(name) is None]


def cjk_fonts() -> list[str] | None:
    """The CJK font families fontconfig knows (``fc-list :lang=zh``), or None when fc-list is missing."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return sorted({name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()})
