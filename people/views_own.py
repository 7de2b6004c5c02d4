"""The person's own data (R-9.4): their whole record to download, and who accessed it."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import own_data, services


def _missing(request):
    message = _("No record is linked to your account yet. Ask your unit's personnel officer.")
    return render(request, "people/me_missing.html", {"message": message}, status=404)


def _download(data: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def my_record_pdf(request):
    person = services.person_for_user(request.user)
    if person is None:
        return _missing(request)
    pdf, number = own_data.export_pdf(request.user, person, request=request)
    return _download(pdf, "application/pdf", f"so-yeu-ly-lich-{person.pk}-v{number}.pdf")


@login_required
def my_record_json(request):
    person = services.person_for_user(request.user)
    if person is None:
        return _missing(request)
    data = own_data.export_json(request.user, person, request=request)
    return _download(data, "application/json; charset=utf-8", f"ho-so-{person.pk}-v{person.version}.json")


@login_required
def my_access(request):
    person = services.person_for_user(request.user)
    if person is None:
        return _missing(request)
    page = Paginator(own_data.access_history(request.user, person, request=request), 50).get_page(request.GET.get("page"))
    return render(request, "people/me_access.html", {"person": person, "page": page, "query_string": ""})
