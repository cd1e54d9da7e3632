"""Date formats of the portal (``FORMAT_MODULE_PATH``): one format everywhere, 2026-11-30, in Chinese and in
English alike, for ``{{ value }}``, ``|date`` without an argument and django-tables2's date columns.
Anything not set here falls back to Django's own format for the language."""
