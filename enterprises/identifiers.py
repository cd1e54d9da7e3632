"""Unified social credit code (统一社会信用代码, GB 32100-2015): normalise, then check with python-stdnum."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc

_SPACES = re.compile(r"[\s\u3000\u200b\ufeff]+")


def normalise_credit_code(raw) -> str:
    """Trim, fold full-width characters to ASCII, drop inner spaces, upper-case."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    return _SPACES.sub("", text).upper()


def validate_credit_code(raw) -> str:
    """Return the normalised code or raise ``ValidationError`` naming the check that failed."""
    code = normalise_credit_code(raw)
    if not code:
        raise ValidationError(_("请填写统一社会信用代码。"), code="required")
    try:
        return uscc.validate(code)
    except stdnum_errors.InvalidLength:
        raise ValidationError(
            _("统一社会信用代码应为18位，实际为%(n)d位（长度检查）。") % {"n": len(code)}, code="length"
        ) from None
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            _("统一社会信用代码第18位校验码不符（GB 32100-2015 校验位检查），请核对是否抄错。"),
            code="checksum",
        ) from None
    except (stdnum_errors.InvalidFormat, stdnum_errors.InvalidComponent):
        raise ValidationError(
            _(
                "统一社会信用代码含有不允许的字符（字符集检查：只能是数字和除 I、O、Z、S、V 以外的大写字母）。"  # noqa: E501
            ),
            code="format",
        ) from None


def credit_code_with_check_digit(first17: str) -> str:
    """Complete a 17-character body with its check character (used by the demo data)."""
    return first17 + uscc.calc_check_digit(first17)
