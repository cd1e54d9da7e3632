from pypinyin import Style, lazy_pinyin


def name_initials(name: str) -> str:
    """Pinyin initials of an enterprise name, lower-case: 安阳市鑫源科技 -> ayxykj."""
    letters = lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors=lambda chars: list(chars))
    return "".join(part[:1] for part in letters if part[:1].isalnum()).lower()[:200]
