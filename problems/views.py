from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from audit.services import record as audit
from common.errors import ServiceError
from people.services import document_bytes

from . import services
from .forms import ProblemForm, ReplyForm, StateFilter
from .models import ProblemReport


@login_required
@require_safe
def report_list(request):
    """The user's own problem reports and, for Sở Nội vụ, every report of the units in their scope; newest first (R-19.5)."""
    form = StateFilter(request.GET or None)
    found = services.visible_reports(request.user)
    if form.is_valid() and form.cleaned_data["state"]:
        found = found.filter(state=form.cleaned_data["state"])
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "problems/list.html", {"form": form, "page": page, "query_string": query.urlencode(),
                                                  "handles": services.handles_any(request.user)})


@login_required
def report_new(request):
    """Report a problem to Sở Nội vụ in writing, with scans or screenshots."""
    form = ProblemForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = services.file_report(request.user, category=data["category"], subject=data["subject"],
                                              description=data["description"], uploads=data["files"], request=request)
                messages.success(request, _("Your problem report was sent to Sở Nội vụ."))
                return redirect("problems:detail", report.pk)
            except ServiceError as exc:
                exc.add_to_form(form)
        status = 400
    return render(request, "problems/new.html", {"form": form}, status=status)


def _detail_page(request, report: ProblemReport, reply_form=None, state_error=None, status=200):
    handler = services.is_handler(request.user, report)
    return render(request, "problems/detail.html", {
        "report": report, "conversation": services.conversation(request.user, report), "handler": handler,
        "reply_form": reply_form or ReplyForm(handler=handler), "states": [(state, ProblemReport.State(state).label)
                                                                          for state in services.allowed_states(request.user, report)],
        "state_error": state_error, "open": report.state != ProblemReport.State.CLOSED}, status=status)


@login_required
@require_safe
def report_detail(request, pk):
    """The report and its conversation; the reply form; the state buttons of whoever may move it."""
    return _detail_page(request, services.get_visible(request.user, pk))


@login_required
@require_POST
def report_reply(request, pk):
    report = services.get_visible(request.user, pk)
    form = ReplyForm(request.POST, request.FILES, handler=services.is_handler(request.user, report))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.reply(request.user, report, text=data["text"], uploads=data["files"], internal=data.get("internal", False),
                           request=request)
            messages.success(request, _("Message sent."))
            return redirect("problems:detail", report.pk)
        except ServiceError as exc:
            exc.add_to_form(form)
    return _detail_page(request, report, reply_form=form, status=400)


@login_required
@require_POST
def report_state(request, pk):
    report = services.get_visible(request.user, pk)
    try:
        services.set_state(request.user, report, request.POST.get("state", ""), request=request)
        messages.success(request, _("The report is now %(state)s.") % {"state": report.get_state_display()})
        return redirect("problems:detail", report.pk)
    except ServiceError as exc:
        return _detail_page(request, report, state_error=exc.message, status=400)


@login_required
@require_safe
def attachment(request, pk, attachment_id):
    """A file sent with a report, to those who see the report."""
    report = services.get_visible(request.user, pk)
    found = services.visible_attachment(request.user, report, attachment_id)
    audit(request.user, "problems.read_attachment", obj=report, unit_id=report.unit_id, request=request,
          details={"attachment": found.pk, "sha256": found.document.sha256})
    response = HttpResponse(document_bytes(found.document), content_type=found.document.content_type)
    response["Content-Disposition"] = content_disposition_header(False, found.file_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
