"""Checks on an uploaded reward document: the portal's one set of file checks (``core.uploads``)."""

from anyang_hte.core.uploads import (
    DEFAULT_MAX_BYTES,
    SIGNATURES,
    check_upload,
    max_bytes,
    original_name,
    stored_name,
)

__all__ = ["DEFAULT_MAX_BYTES", "SIGNATURES", "check_upload", "max_bytes", "original_name", "stored_name"]
