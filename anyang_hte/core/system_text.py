"""Texts the portal itself writes into rows (a sign-off comment, a move's reason): stored in Chinese, read in
the reader's language.

A row is a record: what the portal wrote stays in Chinese whoever's language triggered it. A page shows it
through :func:`shown`, which recognises a stored text by its Chinese msgid and renders the translation with
the same values. A text people typed is shown as typed.

Declare each such text once, beside the code that writes it::

    REVOKED = SystemText(gettext_noop("资质已于 %(d)s 撤销：%(r)s"))
    comment = REVOKED.stored(d=day, r=reason)

Values named in ``labels`` are choice labels (lazy strings): stored in Chinese, translated when shown.
"""

import re

from django.utils import translation
from django.utils.translation import gettext

STORED_LANGUAGE = "zh-hans"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_REGISTRY: list["SystemText"] = []


class SystemText:
    def __init__(self, msgid: str, *, labels: tuple[str, ...] = ()):
        self.msgid = msgid
        self.labels = frozenset(labels)
        parts = _PLACEHOLDER.split(msgid)  # literal, name, literal, name, ..., literal
        pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.*?)" for i, p in enumerate(parts))
        self._pattern = re.compile(pattern, re.DOTALL)
        _REGISTRY.append(self)

    def stored(self, **values) -> str:
        """The text as the row keeps it: Chinese, whatever language the request is in."""
        with translation.override(STORED_LANGUAGE):
            return gettext(self.msgid) % {name: str(value) for name, value in values.items()}

    def read(self, text: str) -> str | None:
        """``text`` in the current language if it is this system text, else ``None``."""
        match = self._pattern.fullmatch(text)
        if match is None:
            return None
        values = match.groupdict()
        for name in self.labels & values.keys():
            values[name] = gettext(values[name])
        return gettext(self.msgid) % values


def shown(text: str) -> str:
    """A stored comment or reason as the reader reads it: a system text translated, anything else as is."""
    if not text:
        return text
    for system_text in _REGISTRY:
        rendered = system_text.read(text)
        if rendered is not None:
            return rendered
    return text
