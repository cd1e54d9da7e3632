"""Pinyin initials of enterprise names, for the ledger's search by 拼音首字母.

pypinyin's dictionaries take about 55 MB once loaded, so they are imported on the first name that needs
them, not when the ledger's modules are: a web process that never saves an enterprise (an export, a
page) never holds them.
"""

from functools import cache


@cache
def _pinyin():
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin, Style.FIRST_LETTER


def name_initials(name: str) -> str:
    """Pinyin initials of an enterprise name, lower-case: 安阳市鑫源科技 -> aysxykj."""
    lazy_pinyin, first_letter = _pinyin()
    letters = lazy_pinyin(name or "", style=first_letter, errors=lambda chars: list(chars))
    return "".join(part[:1] for part in letters if part[:1].isalnum()).lower()[:200]
