"""Two-factor authentication with TOTP (an authenticator app) and one-time recovery codes (django-otp)."""

import base64

import segno
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import record

RECOVERY_CODES = 10


def has_confirmed_device(user) -> bool:
    return any(True for _device in devices_for_user(user, confirmed=True))


def verify_any(user, token: str):
    """The confirmed device (authenticator or recovery code) that accepts this token, if any."""
    token = token.strip().replace(" ", "")
    for device in devices_for_user(user, confirmed=True):
        if device.verify_token(token):
            return device
    return None


def _new_recovery_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@login_required
def enroll(request):
    """Show a new authenticator secret as a QR code; it counts once the user types a code it produced."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first() or TOTPDevice.objects.create(
        user=request.user, name="authenticator", confirmed=False)
    error, codes = None, None
    if request.method == "POST":
        if device.verify_token(request.POST.get("token", "").strip()):
            TOTPDevice.objects.filter(user=request.user, confirmed=True).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(request.user)
            otp_login(request, device)
            record(request.user, "accounts.2fa_enrolled", obj=request.user, unit_id=request.user.unit_id, request=request)
        else:
            error = _("The code is not correct; check the time on your phone and try the new code.")
    qr = segno.make(device.config_url, micro=False).svg_inline(scale=4)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")  # for typing into an app without a camera
    return render(request, "accounts/2fa_enroll.html", {"qr": qr, "secret": secret, "error": error, "codes": codes},
                  status=400 if error else 200)


@login_required
def verify(request):
    """After the password, the second factor: a code from the authenticator or a recovery code."""
    if not has_confirmed_device(request.user):
        return redirect("accounts:2fa_enroll")
    error = None
    if request.method == "POST":
        device = verify_any(request.user, request.POST.get("token", ""))
        if device is not None:
            otp_login(request, device)
            return redirect(request.GET.get("next") or "orgs:tree")
        error = _("The code is not correct.")
        record(request.user, "accounts.2fa_failed", outcome="refused", obj=request.user, unit_id=request.user.unit_id, request=request)
    return render(request, "accounts/2fa_verify.html", {"error": error}, status=400 if error else 200)
