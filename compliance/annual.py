"""The yearly report on database management: each unit's to Sở Nội vụ by 31 December (R-15.6) and Sở Nội vụ's on the
province to the Ministry of Home Affairs by 31 January (R-16.7).

The figures are generated from the data of the unit's subtree for the year; the unit writes its assessment, difficulties
and proposals, may generate the figures again while the report is a draft, and submits it; a submitted report is final.
A unit's report can be made from 1 December, the last month of the year it reports on, so that it reaches Sở Nội vụ by
the deadline; the province's report only once the year has ended.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import authz
from approvals.models import Rejection, VersionSignature
from audit.services import record as audit
from audit.services import record_refusal, refuse
from common.errors import ServiceError
from common.text import nfc
from orgs.models import ReorgPlan
from orgs.services import children_map, fmt_date, subtree_ids, versions_on
from people.models import Person

from .dashboards import sum_snapshots, year_snapshots
from .models import AnnualReport, Finding, Obligation
from .report_documents import blocks, docx_bytes, pdf_bytes
from .services import Wanted, store_obligations

Kind = Obligation.Kind
TEXT_LIMIT = 20000


def is_province(unit_id: int, today: datetime.date) -> bool:
    """The root of the tree reports on the whole province, to the Ministry."""
    return unit_id in children_map(today).get(None, [])


def opens_on(year: int, to_ministry: bool) -> datetime.date:
    return datetime.date(year + 1, 1, 1) if to_ministry else datetime.date(year, 12, 1)


def due_on(year: int, to_ministry: bool) -> datetime.date:
    return datetime.date(year + 1, 1, 31) if to_ministry else datetime.date(year, 12, 31)


def report_obligations(today: datetime.date) -> dict:
    """R-15.6: every unit directly under the province on 1 December reports on the year by 31 December; R-16.7: the
    province reports to the Ministry from 1 to 31 January. Met on the day the report is submitted. A deadline that fell
    before the database was set up (its first organization plan) is not owed to it: that report went on paper."""
    started = ReorgPlan.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if started is None:
        return {}
    submitted = {(unit, year): day for unit, year, day in AnnualReport.objects.filter(state=AnnualReport.State.SUBMITTED)
                 .values_list("unit_id", "year", "submitted_at")}
    wanted = {}
    for year in (today.year - 1, today.year):
        for to_ministry, kind in ((False, Kind.ANNUAL_REPORT), (True, Kind.MINISTRY_REPORT)):
            opening = opens_on(year, to_ministry)
            if today < opening or due_on(year, to_ministry) < timezone.localtime(started).date():
                continue
            tree = children_map(opening)
            roots = tree.get(None, [])
            for unit in roots if to_ministry else [child for root in roots for child in tree.get(root, [])]:
                met = submitted.get((unit, year))
                wanted[f"{kind}:{unit}:{year}"] = Wanted(kind, unit, opening, due_on(year, to_ministry),
                                                         met_on=timezone.localtime(met).date() if met else None)
    return wanted


def figures(unit_id: int, year: int, today: datetime.date) -> dict:
    """What the report states, from the data of the unit's subtree: the records at the year's last dashboard snapshot, and
    what happened in the year up to today."""
    day = min(today, datetime.date(year, 12, 31))
    start = datetime.date(year, 1, 1)
    moments = (timezone.make_aware(datetime.datetime.combine(start, datetime.time.min)),
               timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)))
    tree = children_map(today)
    subtree = subtree_ids([unit_id], tree)
    snapshots = year_snapshots(subtree, year, day)
    totals = sum_snapshots(snapshots, subtree)
    obligations = (Obligation.objects.filter(unit_id__in=subtree, due_on__gte=start, due_on__lte=day, dropped_on__isnull=True)
                   .aggregate(due=Count("pk"), in_time=Count("pk", filter=Q(met_on__lte=F("due_on"))),
                              late=Count("pk", filter=Q(met_on__gt=F("due_on"))), overdue=Count("pk", filter=Q(met_on__isnull=True))))
    found = Finding.objects.filter(unit_id__in=subtree)
    names = dict(versions_on(today).filter(unit_id__in=tree.get(unit_id, [])).values_list("unit_id", "name"))
    sub_units = []
    for child in tree.get(unit_id, []):
        child_totals = sum_snapshots(snapshots, subtree_ids([child], tree))
        sub_units.append({"name": names[child], "working": child_totals["working"], "complete": child_totals["complete"],
                          "signed": child_totals["signed"], "complete_share": child_totals["complete_share"],
                          "signed_share": child_totals["signed_share"]})
    return {
        "as_of": str(day), "snapshot_day": str(next(iter(snapshots.values())).day) if snapshots else None,
        "records": {name: totals[name] for name in ("working", "archived", "complete", "incomplete", "complete_share", "signed",
                                                   "signed_share", "completeness_average")},
        "year": {
            "opened": Person.objects.filter(unit_id__in=subtree, created_at__range=moments).count(),
            "signed": VersionSignature.objects.filter(version__unit_id__in=subtree, signed_at__range=moments).count(),
            "sent_back": Rejection.objects.filter(change_set__person__unit_id__in=subtree, rejected_at__range=moments).count(),
        },
        "obligations": obligations,
        "findings": {"found": found.filter(found_on__range=(start, day)).count(),
                     "resolved": found.filter(resolved_on__range=(start, day)).count(),
                     "open": found.filter(resolved_on__isnull=True).count()},
        "sub_units": sorted(sub_units, key=lambda row: row["name"]),
    }


def visible(user):
    """The reports of the units in the user's reporting scope."""
    if not authz.can(user, "reports.view"):
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    return authz.scope(user, "reports.view").filter(AnnualReport.objects.all())


def get_visible(user, pk: int) -> AnnualReport:
    report = visible(user).filter(pk=pk).first()
    if report is None:
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    return report


def _require_writer(actor, unit_id: int, action: str, request) -> None:
    if not authz.can(actor, "reports.submit", unit_id):
        record_refusal(actor, action, reason="out of scope", unit_id=unit_id, request=request)
        raise PermissionDenied(_("You are not allowed to do this for this unit."))


def prepare(actor, *, unit_id: int, year: int, request=None) -> AnnualReport:
    """Generate the unit's report on a year, or generate the figures of its draft again (the text is kept)."""
    action = "compliance.annual_report"
    _require_writer(actor, unit_id, action, request)
    today = timezone.localdate()
    to_ministry = is_province(unit_id, today)
    if not 2020 <= year <= 2100:
        refuse(actor, action, _("Year: reports are made for the years from 2020."), "year", unit_id, request)
    opening = opens_on(year, to_ministry)
    if today < opening:
        message = (_("Year: %(year)s has not ended; the report to the Ministry on it is made from %(day)s.") if to_ministry
                   else _("Year: %(year)s has not ended; a unit's report on it is made from %(day)s, the year's last month."))
        refuse(actor, action, message % {"year": year, "day": fmt_date(opening)}, "year", unit_id, request)
    earlier = AnnualReport.objects.filter(unit_id=unit_id, year=year).first()
    if earlier is not None and earlier.state == AnnualReport.State.SUBMITTED:
        refuse(actor, action, _("Year: the report on %(year)s was submitted on %(day)s and cannot change.")
               % {"year": year, "day": fmt_date(timezone.localtime(earlier.submitted_at).date())}, "year", unit_id, request)
    with transaction.atomic():
        report = AnnualReport.objects.select_for_update().filter(unit_id=unit_id, year=year).first()
        if report is not None and report.state == AnnualReport.State.SUBMITTED:  # submitted meanwhile
            raise ServiceError(_("Report: it was submitted and cannot change."), "state")
        report = report or AnnualReport(unit_id=unit_id, year=year, to_ministry=to_ministry, created_by=actor)
        report.figures, report.generated_at = figures(unit_id, year, today), timezone.now()
        report.save()
        audit(actor, action, obj=report, unit_id=unit_id, request=request, details={"year": year, "generated": True})
    return report


def _locked_draft(report: AnnualReport) -> AnnualReport:
    locked = AnnualReport.objects.select_for_update().get(pk=report.pk)
    if locked.state != AnnualReport.State.DRAFT:
        raise ServiceError(_("Report: it was submitted and cannot change."), "state")
    return locked


def edit(actor, report: AnnualReport, *, texts: dict[str, str], request=None) -> AnnualReport:
    """The unit writes its assessment, difficulties and proposals."""
    action = "compliance.annual_report"
    cleaned = {name: nfc(texts.get(name, "")) for name in AnnualReport.TEXTS}
    too_long = next((name for name, text in cleaned.items() if len(text) > TEXT_LIMIT), None)
    if too_long:
        refuse(actor, action, _("%(field)s: at most %(limit)s characters.") % {
            "field": AnnualReport._meta.get_field(too_long).verbose_name.capitalize(), "limit": TEXT_LIMIT}, too_long, report.unit_id, request)
    _require_writer(actor, report.unit_id, action, request)
    with transaction.atomic():
        locked = _locked_draft(report)
        for name, text in cleaned.items():
            setattr(locked, name, text)
        locked.save()
        audit(actor, action, obj=locked, unit_id=locked.unit_id, request=request, details={"edited": list(cleaned)})
    return locked


def submit(actor, report: AnnualReport, *, request=None) -> AnnualReport:
    """Submit the report to Sở Nội vụ (or to the Ministry): final, and the year's reporting obligation is met."""
    action = "compliance.annual_report.submit"
    _require_writer(actor, report.unit_id, action, request)
    if not AnnualReport.objects.get(pk=report.pk).assessment.strip():
        refuse(actor, action, _("Overall assessment: write the unit's assessment of the year before submitting."), "assessment",
               report.unit_id, request)
    with transaction.atomic():
        locked = _locked_draft(report)
        locked.state, locked.submitted_at, locked.submitted_by = AnnualReport.State.SUBMITTED, timezone.now(), actor
        locked.save()
        store_obligations(report_obligations(timezone.localdate()))
        audit(actor, action, obj=locked, unit_id=locked.unit_id, request=request, details={"year": locked.year})
    return locked


FORMATS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "pdf": "application/pdf"}


def export(user, report: AnnualReport, fmt: str, *, request=None) -> tuple[bytes, str, str]:
    """The report as a DOCX or PDF file: its bytes, content type and file name; audited."""
    today = timezone.localdate()
    name = versions_on(today).filter(unit_id=report.unit_id).values_list("name", flat=True).first() or ""
    content = blocks(report, name, today)
    data = docx_bytes(content) if fmt == "docx" else pdf_bytes(content, f"Báo cáo năm {report.year}")
    audit(user, "compliance.annual_report.export", obj=report, unit_id=report.unit_id, request=request, details={"format": fmt})
    return data, FORMATS[fmt], f"bao-cao-csdl-{report.year}-{report.unit_id}.{fmt}"
