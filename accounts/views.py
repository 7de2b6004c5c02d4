from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.services import record
from common.errors import ServiceError
from orgs.services import unit_by_code

from . import authz, services
from .forms import (
    AgencyAccountForm,
    GrantChangeForm,
    GrantForm,
    LockForm,
    PasswordChangeForm,
    PasswordReportForm,
    PersonalAccountForm,
    RenameForm,
    SystemAccountForm,
    TokenForm,
    WrittenRequestForm,
)
from .models import PasswordReport, Role, RoleGrant, User, WrittenRequest
from .twofactor import has_confirmed_device


def _written_request(request, form):
    data = form.cleaned_data
    return services.record_written_request(request.user, document_number=data["document_number"],
                                           document_date=data["document_date"], scan=data["scan"])


def _form_errors_message(form) -> str:
    """A refused form shown as one message, each error after its field's label."""
    return " ".join(f"{form.fields[f].label}: {e[0]}" if f in form.fields else e[0] for f, e in form.errors.items())


def _show_password_once(request, user, password):
    # Shown on the next page only; the session copy is dropped as soon as it is displayed.
    request.session["one_time_password"] = {"username": user.username, "password": password}


@login_required
def my_account(request):
    context = {
        "grants": RoleGrant.objects.filter(user=request.user).select_related("role", "unit").order_by("-valid_from"),
        "logins": request.user.login_events.all()[:20],
        "tokens": request.user.api_tokens.order_by("-created_at"),
        "token_form": TokenForm(),
        "new_token": request.session.pop("new_token", None),
        "has_2fa": has_confirmed_device(request.user),
    }
    return render(request, "accounts/me.html", context)


def password_report(request):
    """Open to everyone: whoever lost their password cannot log in."""
    form = PasswordReportForm(request.POST or None, initial={"username": request.user.username if request.user.is_authenticated else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.report_password(request=request, **form.cleaned_data)
        except ServiceError as exc:
            exc.add_to_form(form)
        else:
            return render(request, "accounts/password_report_sent.html")
    return render(request, "accounts/form.html", {"form": form, "title": _("Report a lost or stolen password")},
                  status=400 if form.errors else 200)


@require_POST
@login_required
def password_report_resolve(request, pk):
    report = get_object_or_404(PasswordReport.objects.select_related("user"), pk=pk)
    if report.user is None or not services.may_manage(request.user, report.user):
        raise PermissionDenied
    try:
        password = services.resolve_password_report(request.user, report, request=request)
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("accounts:users")
    _show_password_once(request, report.user, password)
    return redirect("accounts:user", report.user_id)


@login_required
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_own_password(request.user, form.cleaned_data["old_password"], form.cleaned_data["new_password1"])
        except ServiceError as exc:
            exc.add_to_form(form)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed."))
            return redirect("accounts:me")
    return render(request, "accounts/password_change.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def user_list(request):
    if not authz.can(request.user, "accounts.view"):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()
    users = services.visible_accounts(request.user).order_by("unit_id", "last_name", "first_name")
    if query:
        users = users.filter(Q(username__icontains=query) | Q(last_name__icontains=query) | Q(first_name__icontains=query))
    context = {"users": users[:500], "query": query, "reports": services.open_password_reports(request.user),
               "can_create": authz.can(request.user, "accounts.manage"),
               "can_create_agency": authz.can(request.user, "accounts.manage_agency"),
               "can_create_system": authz.can(request.user, "roles.grant_any")}
    return render(request, "accounts/user_list.html", context)


def _create(request, form_class, create, template_title):
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            data = dict(form.cleaned_data)
            data["unit"] = unit_by_code(data["unit"])
            if form_class is AgencyAccountForm:
                data["written_request"] = _written_request(request, form)
                for key in ("document_number", "document_date", "scan"):
                    data.pop(key)
            user, password = create(request.user, request=request, **data)
        except ServiceError as exc:
            exc.add_to_form(form)
        else:
            _show_password_once(request, user, password)
            return redirect("accounts:user", user.pk)
    return render(request, "accounts/form.html", {"form": form, "title": template_title}, status=400 if form.errors else 200)


@login_required
def create_personal(request):
    if not authz.can(request.user, "accounts.manage"):
        raise PermissionDenied
    return _create(request, PersonalAccountForm, services.create_personal_account, _("New personal account"))


@login_required
def create_agency(request):
    if not authz.can(request.user, "accounts.manage_agency"):
        raise PermissionDenied
    return _create(request, AgencyAccountForm, services.create_agency_account, _("New agency account"))


@login_required
def create_system(request):
    authz.require(request.user, "roles.grant_any")
    form = SystemAccountForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            system = services.create_system_account(request.user, name=data["name"], unit=unit_by_code(data["unit"]), role=data["role"],
                                                    written_request=_written_request(request, form), request=request)
        except ServiceError as exc:
            exc.add_to_form(form)
        else:
            return redirect("accounts:user", system.pk)
    return render(request, "accounts/form.html", {"form": form, "title": _("New system client")}, status=400 if form.errors else 200)


@require_POST
@login_required
def system_token(request, pk):
    system = get_object_or_404(User, pk=pk, kind=User.Kind.SYSTEM)
    if not services.may_manage(request.user, system):
        raise PermissionDenied
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the token's name and period."))
        return redirect("accounts:user", pk)
    try:
        _token, raw = services.issue_system_token(request.user, system, request=request, **form.cleaned_data)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        request.session["new_token"] = raw
    return redirect("accounts:user", pk)


@login_required
def user_detail(request, pk, grant_form=None, status=200):
    user = get_object_or_404(User.objects.select_related("unit"), pk=pk)
    services.require_can_view_account(request.user, user)
    context = {
        "account": user,
        "grants": user.grants.select_related("role", "unit", "request").prefetch_related("changes__request").order_by("-valid_from"),
        "grant_form": grant_form or GrantForm(),
        "change_form": GrantChangeForm(),
        "rename_form": RenameForm(initial={"username": user.username}),
        "lock_form": LockForm(),
        "close_form": WrittenRequestForm(),
        "one_time_password": request.session.pop("one_time_password", None),
        "new_token": request.session.pop("new_token", None),
        "token_form": TokenForm(),
        "tokens": user.api_tokens.order_by("-created_at") if user.kind == User.Kind.SYSTEM else [],
        "can_grant": authz.can(request.user, "roles.grant"),
        "can_manage": services.may_manage(request.user, user),
        "logins": user.login_events.all()[:10],
    }
    return render(request, "accounts/user_detail.html", context, status=status)


@require_POST
@login_required
def user_grant(request, pk):
    user = get_object_or_404(User, pk=pk)
    services.require_can_view_account(request.user, user)
    authz.require(request.user, "roles.grant")
    form = GrantForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.grant_role(request.user, user=user, role=data["role"], unit=unit_by_code(data["unit"]),
                                valid_from=data["valid_from"], valid_to=data["valid_to"], read_only=data["read_only"],
                                include_subtree=data["include_subtree"], written_request=_written_request(request, form),
                                request=request)
        except ServiceError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:user", user.pk)
    return user_detail(request, pk, grant_form=form, status=400)


@require_POST
@login_required
def grant_change(request, pk):
    grant = get_object_or_404(RoleGrant.objects.select_related("user", "role"), pk=pk)
    authz.require(request.user, "roles.grant", grant.unit_id)
    form = GrantChangeForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            written = _written_request(request, form)
            if data["change"] == "revoke":
                services.revoke_grant(request.user, grant, written_request=written, request=request)
            elif data["change"] == "extend":
                services.extend_grant(request.user, grant, valid_to=data["valid_to"], written_request=written, request=request)
            else:
                unit = unit_by_code(data["unit"]) if data["unit"] else None
                services.restrict_grant(request.user, grant, read_only=data["read_only"], unit=unit, written_request=written,
                                        request=request)
            messages.success(request, _("Saved."))
        except ServiceError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, _form_errors_message(form))
    return redirect("accounts:user", grant.user_id)


def _account_action(request, pk, act, shows_password=False):
    user = get_object_or_404(User, pk=pk)
    if not services.may_manage(request.user, user):
        raise PermissionDenied
    try:
        result = act(user)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        if shows_password:
            _show_password_once(request, user, result)
        messages.success(request, _("Saved."))
    return redirect("accounts:user", user.pk)


@require_POST
@login_required
def user_reset_password(request, pk):
    return _account_action(request, pk, lambda user: services.reset_password(request.user, user, request=request), shows_password=True)


@require_POST
@login_required
def user_lock(request, pk):
    reason = request.POST.get("reason", "")
    return _account_action(request, pk, lambda user: services.lock_account(request.user, user, reason, request=request))


@require_POST
@login_required
def user_unlock(request, pk):
    return _account_action(request, pk, lambda user: services.unlock_account(request.user, user, request=request))


@require_POST
@login_required
def user_rename(request, pk):
    username = request.POST.get("username", "")
    return _account_action(request, pk, lambda user: services.rename_user(request.user, user, username, request=request))


@require_POST
@login_required
def user_close(request, pk):
    user = get_object_or_404(User, pk=pk)
    if not services.may_manage(request.user, user):
        raise PermissionDenied
    form = WrittenRequestForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _form_errors_message(form))
        return redirect("accounts:user", pk)
    try:
        services.close_account(request.user, user, written_request=_written_request(request, form), request=request)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The account is closed."))
    return redirect("accounts:user", pk)


@require_POST
@login_required
def user_end_sessions(request, pk):
    return _account_action(request, pk, lambda user: services.end_sessions_of(request.user, user, request=request))


@login_required
def role_list(request):
    """What each role may do; the same for everyone who may see accounts."""
    authz.require(request.user, "accounts.view")
    return render(request, "accounts/roles.html", {"roles": Role.objects.all(), "actions": authz.ACTIONS})


@login_required
def delegation_list(request):
    """Delegated account administration in the user's scope: who, over which units, until when, on which request."""
    authz.require(request.user, "accounts.view")
    delegations = authz.scope(request.user, "accounts.view").filter(
        RoleGrant.objects.filter(role__code="account_admin"), "unit_id").select_related("user", "unit", "request").order_by("-valid_from")
    return render(request, "accounts/delegations.html", {"delegations": delegations, "today": timezone.localdate()})


@login_required
def written_request_scan(request, pk):
    """The scanned request, to those who may see an account whose grant rests on it."""
    written = get_object_or_404(WrittenRequest, pk=pk)
    grants = RoleGrant.objects.filter(Q(request=written) | Q(changes__request=written)).select_related("user")
    if not any(g.user_id == request.user.pk or g.user.unit_id in authz.scope(request.user, "accounts.view") for g in grants):
        raise PermissionDenied
    record(request.user, "accounts.read_request_scan", obj=written, request=request)
    return FileResponse(written.scan.open("rb"), filename=written.scan.name.rsplit("/", 1)[-1])


@require_POST
@login_required
def token_create(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            _token, raw = services.create_token(request.user, **form.cleaned_data)
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            request.session["new_token"] = raw
    else:
        messages.error(request, _("Check the token's name and period."))
    return redirect("accounts:me")


@require_POST
@login_required
def token_revoke(request, pk):
    token = get_object_or_404(request.user.api_tokens, pk=pk)
    services.revoke_token(request.user, token)
    messages.success(request, _("Saved."))
    return redirect("accounts:me")
