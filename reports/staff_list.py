"""The printed staff list of a unit (danh sách cán bộ, công chức, viên chức): the people in office in the unit and the units
under it, grouped by category, with the columns the reader is cleared for on that unit (R-4.3), audited as an export (R-9.3).

The fixed wording of the paper list (heading, title, signature blocks) is the official Vietnamese text whatever the interface
language; column headers follow the active language, like the résumé (people.printing).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import authz
from audit.services import record as audit
from catalogs.models import CatalogEntry
from orgs.models import Unit
from orgs.services import ancestors_on, version_on
from people.models import Person
from people.services import CatalogNames, PeopleQuery, search_people

from .columns import cleared_columns
from .documents import Rendered
from .list_pdf import FONT, ListPdf

COLUMNS = ("full_name", "birth_date", "gender", "position", "rank", "professional_title", "qualification")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
LINE = 5


def staff_list_pdf(user, unit_id: int, request=None) -> Rendered:
    day = timezone.localdate()
    unit = Unit.objects.filter(pk=unit_id).first()
    version = version_on(unit, day) if unit else None
    if version is None:
        raise Http404(_("The unit does not exist."))
    if not authz.can(user, "people.view", unit_id):
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    shown = {column.key: column for column in cleared_columns(authz.clearance(user, unit_id), COLUMNS)}
    groups = _groups(user, unit_id, shown)
    pdf = _document(version, ancestors_on(unit_id, day), shown, groups, day)
    count = sum(len(rows) for _category, rows in groups)
    audit(user, "reports.export", unit_id=unit_id, details={"source": "staff_list", "format": "pdf", "columns": sorted(shown),
                                                             "rows": count, "day": day.isoformat()}, request=request)
    title = f"Danh sách cán bộ, công chức, viên chức – {version.name}"
    return Rendered(pdf=pdf, title=title, unit_id=unit_id, subject={"unit_id": unit_id, "day": day.isoformat(), "columns": sorted(shown)})


def _groups(user, unit_id: int, shown: dict) -> list[tuple[str, list[list[str]]]]:
    """(category name, rows) in the catalog's order of categories, people by name within each."""
    names = CatalogNames()
    fields = ["category", "full_name", "birth_date", "gender", "position", "rank", "professional_title", "qualification"]
    people = (search_people(user, PeopleQuery(unit_id=unit_id)).exclude(status__in=Person.CLOSED)
              .order_by("search_key", "pk").values_list(*fields))
    by_category: dict[str, list[list[str]]] = {}
    for category, full_name, birth_date, gender, position, rank, title, qualification in people:
        grade = (names.name("civil_servant_rank", rank) if rank and "rank" in shown else "") or \
                (names.name("professional_title", title) if title and "professional_title" in shown else "")
        row = {"full_name": full_name, "birth_date": f"{birth_date:%d/%m/%Y}" if birth_date else "",
               "gender": names.name("gender", gender) if gender else "", "position": names.name("position", position) if position else "",
               "grade": grade, "qualification": names.name("qualification_level", qualification) if qualification else ""}
        by_category.setdefault(category, []).append([row[key] for key in _keys(shown)])
    order = list(CatalogEntry.objects.filter(catalog__code="person_category").values_list("code", flat=True))
    ordered = sorted(by_category, key=lambda code: (order.index(code) if code in order else len(order), code))
    return [(names.name("person_category", code), by_category[code]) for code in ordered]


def _keys(shown: dict) -> list[str]:
    """The printed columns: rank and professional title share one ("ngạch hoặc chức danh nghề nghiệp")."""
    keys = [key for key in ("full_name", "birth_date", "gender", "position") if key in shown]
    if "rank" in shown or "professional_title" in shown:
        keys.append("grade")
    return keys + (["qualification"] if "qualification" in shown else [])


HEADERS = {"full_name": (gettext_lazy("Full name"), 4), "birth_date": (gettext_lazy("Date of birth"), 1.8), "gender": (gettext_lazy("Sex"), 1.1),
           "position": (gettext_lazy("Position"), 3.2), "grade": (gettext_lazy("Rank or professional title"), 3.6),
           "qualification": (gettext_lazy("Qualification"), 2.6)}


def _document(version, ancestors, shown: dict, groups, day) -> bytes:
    keys = _keys(shown)
    pdf = ListPdf([_("No. in list"), *[str(HEADERS[key][0]) for key in keys]], [0.8, *[HEADERS[key][1] for key in keys]],
                  footer_text=f"{version.name} – in ngày {day:%d/%m/%Y}", size=9)
    pdf.set_title(f"Danh sách cán bộ, công chức, viên chức – {version.name}")
    pdf.add_page()
    _heading(pdf, version, ancestors)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 7, "DANH SÁCH CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 6, version.name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, f"(Tính đến ngày {day:%d/%m/%Y})", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.start_table()
    for index, (category, rows) in enumerate(groups):
        pdf.group(f"{ROMAN[index] if index < len(ROMAN) else index + 1}. {category} ({len(rows)})")
        for number, row in enumerate(rows, 1):
            pdf.row([number, *row])
    if not groups:
        pdf.row(["", "Không có người đang công tác.", *[""] * (len(keys) - 1)])
    pdf.in_table = False  # the signature blocks below are not a table: no header row on a page of their own
    _signatures(pdf, day)
    return bytes(pdf.output())


def _heading(pdf: ListPdf, version, ancestors) -> None:
    """The governing body and the unit on the left, the national motto on the right, as on an official paper."""
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    top = pdf.get_y()
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(half, LINE, (ancestors[-1].name if ancestors else "").upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(half, LINE, version.name.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    below = pdf.get_y()
    pdf.set_xy(pdf.l_margin + half, top)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(half, LINE, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LEFT", new_y="NEXT")
    pdf.cell(half, LINE, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    motto = pdf.get_string_width("Độc lập - Tự do - Hạnh phúc")
    pdf.line(pdf.l_margin + 1.5 * half - motto / 2, pdf.get_y() + 0.5, pdf.l_margin + 1.5 * half + motto / 2, pdf.get_y() + 0.5)
    pdf.set_y(max(below, pdf.get_y()) + 4)


def _signatures(pdf: ListPdf, day) -> None:
    """Who drew the list up and the head who signs it off, with room to sign, kept together on one page."""
    if pdf.will_page_break(45):
        pdf.add_page()
    pdf.ln(6)
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    top = pdf.get_y()
    pdf.set_xy(pdf.l_margin + half, top)
    pdf.set_font(FONT, "", 10)
    pdf.cell(half, LINE, f"......, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}", align="C")
    for x, title, note in ((pdf.l_margin, "Người lập biểu", "(Ký, ghi rõ họ tên)"),
                           (pdf.l_margin + half, "Thủ trưởng đơn vị", "(Ký tên, đóng dấu)")):
        pdf.set_xy(x, top + LINE + 1)
        pdf.set_font(FONT, "B", 10)
        pdf.cell(half, LINE, title, align="C", new_x="LEFT", new_y="NEXT")
        pdf.set_font(FONT, "", 9)
        pdf.cell(half, LINE, note, align="C")
