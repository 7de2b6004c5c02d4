
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import authz

from . import services
from .forms import AsOfForm, DissolveForm, MoveForm, PlanForm, PositionForm, QuotaForm, StepForm, StepsUploadForm, UnitForm
from .models import JobPosition, ReorgPlan, Unit


def _managed(request) -> frozenset[int]:
    """Units the user may change; refuses users who may change none."""
    allowed = authz.scope(request.user, "org.manage").unit_ids
    if not allowed:
        authz.require(request.user, "org.manage")
    return allowed
UNIT_FORM_FIELDS = ("name", "short_name", "code", "kind", "level", "address", "managing_body")


@login_required
def tree(request):
    filters = AsOfForm(request.GET or None)
    day = filters.day()
    visible = authz.scope(request.user, "org.view", day)
    if not visible:
        authz.require(request.user, "org.view", day=day)
    query = filters.cleaned_data.get("q", "") if filters.is_valid() else ""
    roots = services.tree_on(day, query, visible.limit)
    context = {"filters": filters, "day": day, "roots": roots, "query": query, "can_manage": authz.can(request.user, "org.manage"),
               "total": sum(root.count() for root in roots)}
    template = "orgs/_tree.html" if request.htmx and request.htmx.target == "tree" else "orgs/tree.html"
    return render(request, template, context)


@login_required
def unit_detail(request, pk, quota_form=None, position_form=None, status=200):
    unit = get_object_or_404(Unit, pk=pk)
    filters = AsOfForm(request.GET or None)
    day = filters.day()
    authz.require(request.user, "org.view", unit.pk, services.last_day_alive(unit, day))
    version = services.version_on(unit, day)
    context = {
        "unit": unit,
        "day": day,
        "filters": filters,
        "version": version,
        "ancestors": services.ancestors_on(unit.pk, day) if version else [],
        "children": authz.scope(request.user, "org.view", day).filter(services.versions_on(day).filter(parent=unit))
                    .select_related("kind").order_by("name"),
        "history": unit.versions.select_related("parent", "kind", "level", "step__plan").order_by("-valid_from"),
        "quotas": services.quotas_of(unit),
        "positions": services.positions_on(unit, day),
        "links": services.successions_of(unit),
        "can_manage": authz.can(request.user, "org.manage", unit.pk),
        "quota_form": quota_form or QuotaForm(),
        "position_form": position_form or PositionForm(),
    }
    return render(request, "orgs/unit_detail.html", context, status=status)


def _unit_sub_form(request, pk, form_class, save, form_name):
    """Post of a form on the unit page: saved and back to the page, or the page again with the errors."""
    unit = get_object_or_404(Unit, pk=pk)
    authz.require(request.user, "org.manage", unit.pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            save(unit, **form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("orgs:unit", unit.pk)
        except services.ReorgError as exc:
            exc.add_to_form(form)
    return unit_detail(request, pk, status=400, **{form_name: form})


@require_POST
@login_required
def unit_set_quota(request, pk):
    return _unit_sub_form(request, pk, QuotaForm, services.set_quota, "quota_form")


@require_POST
@login_required
def unit_add_position(request, pk):
    return _unit_sub_form(request, pk, PositionForm, services.add_position, "position_form")


@require_POST
@login_required
def unit_close_position(request, pk, position_id):
    position = get_object_or_404(JobPosition, pk=position_id, unit_id=pk)
    authz.require(request.user, "org.manage", pk)
    try:
        services.close_position(position, valid_to=timezone.localdate())
        messages.success(request, _("Saved."))
    except services.ReorgError as exc:
        messages.error(request, str(exc))
    return redirect("orgs:unit", pk)


def _change(request, form, operation, params, title, success_url, template, context):
    try:
        plan = services.change_tree(
            operation, params, effective_date=form.cleaned_data["effective_date"], user=request.user, title=title,
            decision_number=form.cleaned_data.get("decision_number", ""), allowed=_managed(request),
        )
    except services.ReorgError as exc:
        exc.add_to_form(form)
        return render(request, template, {**context, "form": form}, status=400)
    if plan.status == ReorgPlan.Status.SCHEDULED:
        messages.success(request, _("Scheduled for %(date)s.") % {"date": services.fmt_date(plan.effective_date)})
    else:
        messages.success(request, _("Saved."))
    return HttpResponseRedirect(success_url)


@login_required
def unit_create(request):
    _managed(request)
    form = UnitForm(request.POST or None, initial={"parent": request.GET.get("parent", "")})
    context = {"form": form, "title": _("New unit")}
    if request.method == "POST" and form.is_valid():
        params = {k: form.cleaned_data[k] for k in UNIT_FORM_FIELDS}
        params["parent"] = form.cleaned_data["parent"] or None
        return _change(request, form, "create", params, _("Create %(name)s") % {"name": params["name"]},
                       reverse("orgs:tree"), "orgs/unit_form.html", context)
    return render(request, "orgs/unit_form.html", context, status=400 if form.errors else 200)


@login_required
def unit_edit(request, pk):
    unit = get_object_or_404(Unit, pk=pk, ended_on__isnull=True)
    authz.require(request.user, "org.manage", unit.pk)
    current = unit.versions.get(valid_to__isnull=True)
    initial = {"name": current.name, "short_name": current.short_name, "code": current.code, "kind": current.kind.code,
               "level": current.level.code, "address": current.address,
               "managing_body": current.managing_body.versions.order_by("-valid_from").first().code if current.managing_body_id else ""}
    form = UnitForm(request.POST or None, initial=initial)
    del form.fields["parent"]
    context = {"form": form, "title": _("Change %(name)s") % {"name": current.name}, "unit": unit}
    if request.method == "POST" and form.is_valid():
        params = {k: form.cleaned_data[k] for k in UNIT_FORM_FIELDS}
        params["unit"] = unit.pk
        return _change(request, form, "update", params, context["title"], reverse("orgs:unit", args=[unit.pk]),
                       "orgs/unit_form.html", context)
    return render(request, "orgs/unit_form.html", context, status=400 if form.errors else 200)


@login_required
def unit_move(request, pk):
    unit = get_object_or_404(Unit, pk=pk, ended_on__isnull=True)
    authz.require(request.user, "org.manage", unit.pk)
    form = MoveForm(request.POST or None)
    context = {"form": form, "title": _("Move %(name)s") % {"name": unit}, "unit": unit}
    if request.method == "POST" and form.is_valid():
        params = {"unit": unit.pk, "parent": form.cleaned_data["parent"]}
        return _change(request, form, "move", params, context["title"], reverse("orgs:unit", args=[unit.pk]),
                       "orgs/unit_form.html", context)
    return render(request, "orgs/unit_form.html", context, status=400 if form.errors else 200)


@login_required
def unit_dissolve(request, pk):
    unit = get_object_or_404(Unit, pk=pk, ended_on__isnull=True)
    authz.require(request.user, "org.manage", unit.pk)
    form = DissolveForm(request.POST or None)
    context = {"form": form, "title": _("Dissolve %(name)s") % {"name": unit}, "unit": unit, "danger": True}
    if request.method == "POST" and form.is_valid():
        params = {"unit": unit.pk, **{key: form.cleaned_data[key] or None for key in ("children_to", "people_to")}}
        return _change(request, form, "dissolve", params, context["title"], reverse("orgs:unit", args=[unit.pk]),
                       "orgs/unit_form.html", context)
    return render(request, "orgs/unit_form.html", context, status=400 if form.errors else 200)


@login_required
def plan_list(request):
    _managed(request)
    plans = ReorgPlan.objects.select_related("created_by").order_by("-created_at")[:200]
    return render(request, "orgs/plan_list.html", {"plans": plans, "can_manage": True})


@login_required
def plan_create(request):
    _managed(request)
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        plan = services.create_plan(user=request.user, **form.cleaned_data)
        return redirect("orgs:plan", plan.pk)
    return render(request, "orgs/plan_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def plan_detail(request, pk, step_form=None, upload_form=None, status=200):
    _managed(request)
    plan = get_object_or_404(ReorgPlan, pk=pk)
    steps = list(plan.steps.all())
    names = services.unit_names_by_code()
    for step in steps:
        step.described = services.describe_params(step.params, names)
    context = {
        "plan": plan,
        "steps": steps,
        "step_form": step_form or StepForm(),
        "upload_form": upload_form or StepsUploadForm(),
        "step_fields": StepForm.FIELDS,
        "can_manage": True,
        "units": services.versions_on(plan.effective_date).only("code", "name").exclude(code="").order_by("code"),
    }
    return render(request, "orgs/plan_detail.html", context, status=status)


@require_POST
@login_required
def plan_add_step(request, pk):
    _managed(request)
    plan = get_object_or_404(ReorgPlan, pk=pk)
    form = StepForm(request.POST)
    if form.is_valid():
        try:
            services.add_step(plan, form.cleaned_data["operation"], form.params())
            return redirect("orgs:plan", plan.pk)
        except services.ReorgError as exc:
            exc.add_to_form(form)
    return plan_detail(request, pk, step_form=form, status=400)


@require_POST
@login_required
def plan_upload_steps(request, pk):
    _managed(request)
    plan = get_object_or_404(ReorgPlan, pk=pk)
    form = StepsUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_steps(plan, form.cleaned_data["file"])
            return redirect("orgs:plan", plan.pk)
        except services.ReorgError as exc:
            form.add_error("file", str(exc))
    return plan_detail(request, pk, upload_form=form, status=400)


@require_POST
@login_required
def plan_remove_step(request, pk, position):
    _managed(request)
    plan = get_object_or_404(ReorgPlan, pk=pk)
    try:
        services.remove_step(plan, position)
    except services.ReorgError as exc:
        messages.error(request, str(exc))
    return redirect("orgs:plan", plan.pk)


@login_required
def plan_preview(request, pk):
    allowed = _managed(request)
    plan = get_object_or_404(ReorgPlan, pk=pk)
    return render(request, "orgs/_preview.html", {"plan": plan, "preview": services.preview_plan(plan, allowed)})


@require_POST
@login_required
def plan_apply(request, pk):
    allowed = _managed(request)
    plan = get_object_or_404(ReorgPlan, pk=pk)
    try:
        if request.POST.get("action") == "schedule":
            services.schedule_plan(plan, request.user, allowed)
            messages.success(request, _("Scheduled for %(date)s.") % {"date": services.fmt_date(plan.effective_date)})
        else:
            services.apply_plan(plan, request.user, allowed=allowed)
            messages.success(request, _("The plan was applied."))
    except services.ReorgError as exc:
        messages.error(request, str(exc))
    return redirect("orgs:plan", plan.pk)
