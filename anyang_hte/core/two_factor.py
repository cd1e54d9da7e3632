"""Two factors: an authenticator app (django-otp's ``TOTPDevice``) and single-use backup codes
(``StaticDevice``).

Who must pass a second factor: the roles that move money and the administrators, always
(:func:`~anyang_hte.core.roles.two_factor_required`); county officials and firm users once they opt in.
Where it is enforced: :class:`anyang_hte.core.middleware.TwoFactorMiddleware`, and nowhere else. This
module holds the reads and writes; the pages are in ``two_factor_views.py``.

The demo accounts of ``manage.py seed_demo`` share one public key, :data:`DEMO_TOTP_KEY`
(``manage.py demo_totp`` prints its current code). It is refused in production: seeding it and
verifying with it.
"""

import io
import math
import re
from base64 import b32decode, b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_log
from .errors import DomainError
from .guards import CITY_LEVEL, guard
from .models import AuditLog
from .roles import Right, two_factor_required

# The demo accounts' shared key (base32, as an authenticator app takes it). Public: development only.
DEMO_TOTP_KEY = "ANYANGHTEDEMOKEYANYANGHTEDEMOKEY"
DEMO_TOTP_KEY_HEX = b32decode(DEMO_TOTP_KEY).hex()

TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup"
# Session keys: the user has a second factor (set at log-in, so opted-in users are enforced without a
# query per request); the backup codes just made (shown once); where to go after the codes.
SESSION_ENABLED = "two_factor_enabled"
SESSION_NEW_CODES = "two_factor_new_codes"
SESSION_NEXT = "two_factor_next"

BACKUP_CODE_USED = "core.two_factor.backup_code_used"


def is_production() -> bool:
    return settings.PORTAL_ENVIRONMENT == "production"


# --- reads ------------------------------------------------------------------------------------------


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_two_factor(user) -> bool:
    """Whether ``user`` has a confirmed authenticator (and so must pass it at every log-in)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def backup_codes_current(user) -> set[str]:
    return set(
        StaticToken.objects.filter(device__user=user, device__confirmed=True).values_list("token", flat=True)
    )


def key_base32(device: TOTPDevice) -> str:
    """The secret as an authenticator app takes it when typed in by hand."""
    return b32encode(device.bin_key).decode("ascii").rstrip("=")


def is_demo_key(device) -> bool:
    return isinstance(device, TOTPDevice) and device.key.lower() == DEMO_TOTP_KEY_HEX


def totp_code(key_hex: str, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """The code an authenticator app shows for ``key_hex`` now (or at the Unix time ``at``)."""
    totp = TOTP(bytes.fromhex(key_hex), step=step, digits=digits)
    if at is not None:
        totp.time = at
    return f"{totp.token():0{digits}d}"


def qr_svg(device: TOTPDevice) -> bytes:
    """The device's otpauth:// address as an SVG QR code (drawn here: the secret never leaves the server)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def normalise_code(code: str) -> str:
    """What was typed, without spaces or dashes (apps show "123 456"), lower case (backup codes)."""
    return re.sub(r"[\s\-]", "", code or "").lower()


# --- writes -----------------------------------------------------------------------------------------


def _throttled(device) -> str | None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    locked_until = (info or {}).get("locked_until")
    if locked_until is None:
        return _("尝试次数过多，请稍后再试。")
    seconds = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
    return _("尝试次数过多：已连续输错 %(n)s 次，请等待 %(seconds)s 秒后再试。") % {
        "n": info.get("failure_count", 0),
        "seconds": seconds,
    }


def _replayed(device: TOTPDevice, code: str) -> bool:
    """Whether ``code`` is a right code of a time step already used (an app's code seen twice)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now_t = totp.t()
    return any(
        t <= device.last_t and hotp(device.bin_key, t, device.digits) == int(code)
        for t in range(now_t - device.tolerance, now_t + device.tolerance + 1)
    )


def _check_totp(device: TOTPDevice, code: str) -> str | None:
    """Verify ``code`` on ``device`` (inside the caller's transaction); the refusal, or None when right.
    A wrong code counts towards django-otp's throttling, so the caller commits before it refuses."""
    if not (code.isdigit() and len(code) == device.digits):
        return _("请输入身份验证器上显示的 %(digits)s 位数字验证码。") % {"digits": device.digits}
    throttled = _throttled(device)
    if throttled:
        return throttled
    if device.verify_token(code):
        return None
    if _replayed(device, code):
        return _("此验证码已使用过：请等待身份验证器显示下一个验证码后再输入。")
    return _("验证码不正确：请输入身份验证器上当前显示的 6 位数字（并确认手机时间准确）。")


def _new_backup_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes: list[str] = []
    while len(codes) < settings.TWO_FACTOR_BACKUP_CODES:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def two_factor_begin(*, user) -> TOTPDevice:
    """The not yet confirmed authenticator of ``user``'s enrolment (the same one until confirmed)."""
    if has_two_factor(user):
        raise DomainError(_("您已启用两步验证。"))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def two_factor_confirm(*, user, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the enrolment with the first code from the app; returns the new backup codes (shown once)."""
    code = normalise_code(code)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
        )
        if device is None:
            refusal = _("这次绑定已失效（可能已在另一窗口完成），请重新打开绑定页面。")
        else:
            refusal = _check_totp(device, code)
    if refusal:  # after the transaction: a wrong code's throttling count stays
        raise DomainError(refusal, field="code")
    with transaction.atomic():
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = _new_backup_codes(user)
        audit_log(user, "core.two_factor.enrolled", by=user, data={"backup_codes": len(codes)})
    device.confirmed = True
    return codes


def _code_hash(user, code: str) -> str:
    # A used backup code is remembered only as a keyed hash, so "already used" can be told from "wrong".
    return salted_hmac("anyang_hte.two_factor.backup", f"{user.pk}:{code}").hexdigest()


def _verify_backup(user, code: str):
    device = None
    with transaction.atomic():
        device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            refusal = _("您没有可用的备用码，请使用身份验证器上的 6 位验证码。")
        else:
            refusal = _throttled(device)
            if refusal is None and device.verify_token(code):
                left = device.token_set.count()
                audit_log(
                    user, BACKUP_CODE_USED, by=user, data={"left": left, "code": _code_hash(user, code)}
                )
            elif refusal is None:
                used = AuditLog.objects.filter(
                    content_type=ContentType.objects.get_for_model(user),
                    object_id=str(user.pk),
                    action=BACKUP_CODE_USED,
                    data__code=_code_hash(user, code),
                ).exists()
                if used:
                    refusal = _("此备用码已使用过：每个备用码只能使用一次，请换一个未用过的备用码。")
                else:
                    refusal = _("备用码不正确：请核对后重新输入（备用码为 8 位字母和数字）。")
    if refusal:
        raise DomainError(refusal, field="code")
    return device


def two_factor_verify(*, user, code: str):
    """Check the second factor of ``user``'s log-in: the 6-digit code of the app or a backup code.
    Returns the device that accepted it; refuses with the reason (wrong, used, too many tries)."""
    code = normalise_code(code)
    if not code:
        raise DomainError(_("请输入验证码。"), field="code")
    if not code.isdigit():
        return _verify_backup(user, code)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        )
        if device is None:
            refusal = _("您尚未绑定身份验证器。")
        elif is_demo_key(device) and is_production():
            refusal = _(
                "该账号绑定的是公开的演示密钥，生产环境拒绝使用。请联系系统管理员重置两步验证后重新绑定。"
            )
        else:
            refusal = _check_totp(device, code)
    if refusal:
        raise DomainError(refusal, field="code")
    return device


@transaction.atomic
def backup_codes_regenerate(*, user) -> list[str]:
    """A new set of backup codes for ``user`` (the old ones stop working); shown once."""
    if not has_two_factor(user):
        raise DomainError(_("请先启用两步验证。"))
    codes = _new_backup_codes(user)
    audit_log(user, "core.two_factor.backup_codes_regenerated", by=user, data={"backup_codes": len(codes)})
    return codes


def _remove_devices(user) -> int:
    count = TOTPDevice.objects.filter(user=user).count() + StaticDevice.objects.filter(user=user).count()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    return count


@transaction.atomic
def two_factor_disable(*, user) -> None:
    """A county official or firm user turns their own second factor off; the money roles cannot."""
    if two_factor_required(user):
        raise DomainError(_("您的角色必须使用两步验证，不能关闭。如身份验证器丢失，请联系系统管理员重置。"))
    if not has_two_factor(user):
        raise DomainError(_("您尚未启用两步验证。"))
    removed = _remove_devices(user)
    audit_log(user, "core.two_factor.disabled", by=user, data={"devices": removed})


@transaction.atomic
def two_factor_reset(*, user, by, reason: str = "") -> int:
    """An administrator removes ``user``'s authenticator and backup codes (a lost phone); at the next
    log-in the user enrols again (a money role must). Returns how many devices were removed."""
    guard(by, Right.TWO_FACTOR_RESET, jurisdiction_id=CITY_LEVEL)
    removed = _remove_devices(user)
    audit_log(user, "core.two_factor.reset", by=by, data={"devices": removed, "reason": reason})
    return removed


@transaction.atomic
def two_factor_seed_demo(*, user) -> TOTPDevice:
    """Give a demo account a confirmed authenticator with the public :data:`DEMO_TOTP_KEY` (never in
    production). Idempotent: a re-run keeps one such device."""
    if is_production():
        raise DomainError(_("生产环境禁止使用演示密钥。"))
    TOTPDevice.objects.filter(user=user).exclude(key=DEMO_TOTP_KEY_HEX).delete()
    device, _created = TOTPDevice.objects.update_or_create(
        user=user, key=DEMO_TOTP_KEY_HEX, defaults={"name": TOTP_DEVICE_NAME, "confirmed": True}
    )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    return device
