"""The résumé (sơ yếu lý lịch) as a PDF, laid out like form 2C as kept by the annex of Circular 06/2023/TT-BNV.

The fixed wording of the form (title, photo box, footer) is the official Vietnamese text whatever the interface
language; item labels come from people.form and follow the active language like the rest of the record.
The fonts are vendored in data/fonts so that Vietnamese prints the same on a machine without system fonts.
"""

import datetime

from django.conf import settings
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from people.form import SECTIONS, Section

FONT = "DejaVu"
SIZE = 10
LINE = 5.5  # mm per line of 10 pt text
PHOTO = (30, 40)  # the 3x4 cm photo box, in mm
BLANK = "." * 40  # an empty item stays visibly empty, as on the paper form
CONTRACT_WORKER = "NLD"
# Relative column widths by field kind, so long descriptions get the room and dates do not;
# headers are a size smaller so that the longest English header word still fits a date column.
HEADER = FontFace(emphasis="BOLD", size_pt=SIZE - 2)
WIDTHS = {"long_text": 4, "date": 1.7, "year": 1.2, "int": 1.2, "decimal": 1.2, "bool": 1.5}


class _Resume(FPDF):
    """A4 pages that all carry the version and print date, so a loose page still says what it is a copy of."""

    def __init__(self, footer_text: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        fonts = settings.BASE_DIR / "data" / "fonts"
        self.add_font(FONT, "", fonts / "DejaVuSans.ttf")
        self.add_font(FONT, "B", fonts / "DejaVuSans-Bold.ttf")
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=18)

    def footer(self):
        self.set_y(-13)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"{self.footer_text} – trang {self.page_no()}/{{nb}}", align="C")


def resume_pdf(record: dict, names, *, unit_name: str, version: int, printed_on: datetime.date) -> bytes:
    """Print a record as filtered for its reader: absent sections are left out, absent fields print blank."""
    pdf = _Resume(f"Phiên bản {version} – in ngày {printed_on:%d/%m/%Y}")
    pdf.set_title("Sơ yếu lý lịch")
    pdf.set_lang("vi")
    pdf.add_page()
    _head(pdf, unit_name, record.get("employment", {}).get("category") == CONTRACT_WORKER)
    for section in SECTIONS:
        if section.name not in record or (section.name == "contract" and not record["contract"]):
            continue
        _title(pdf, str(section.label))
        if section.repeating:
            _table(pdf, section, record[section.name], names)
        else:
            _items(pdf, section, record[section.name], names)
    return bytes(pdf.output())


def _head(pdf: FPDF, unit_name: str, contract_worker: bool) -> None:
    top = pdf.t_margin
    photo_x = pdf.w - pdf.r_margin - PHOTO[0]
    pdf.set_font(FONT, "", SIZE)
    pdf.multi_cell(photo_x - pdf.l_margin - 5, LINE, f"Cơ quan, đơn vị: {unit_name}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    below = max(pdf.get_y(), top + PHOTO[1]) + 4
    pdf.rect(photo_x, top, *PHOTO)
    pdf.set_xy(photo_x, top + (PHOTO[1] - LINE) / 2)
    pdf.cell(PHOTO[0], LINE, "Ảnh 3x4", align="C")
    pdf.set_xy(pdf.l_margin, below)
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 8, "SƠ YẾU LÝ LỊCH", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if contract_worker:
        pdf.set_font(FONT, "B", 12)
        pdf.cell(0, 7, "Người lao động", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _title(pdf: FPDF, text: str) -> None:
    """A section title, moved to the next page rather than left alone at the foot of one."""
    if pdf.will_page_break(4 * LINE):
        pdf.add_page()
    pdf.ln(1)
    pdf.set_font(FONT, "B", SIZE)
    pdf.multi_cell(0, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _items(pdf: FPDF, section: Section, values: dict, names) -> None:
    """Numbered lines '{number}) {label}: {value}', with the item numbers of the printed form."""
    pdf.set_font(FONT, "", SIZE)
    for item in section.fields:
        value = str(names.display(section.name, item.name, values.get(item.name)))
        number = f"{item.number}) " if item.number else ""
        pdf.multi_cell(0, LINE, f"{number}{item.label}: {value or BLANK}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(pdf: FPDF, section: Section, rows: list, names) -> None:
    """One row per entry under a header of the field labels, repeated on each page the table runs over."""
    pdf.set_font(FONT, "", SIZE - 1)
    widths = [WIDTHS.get(item.kind, 2) for item in section.fields]
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=LINE - 1, headings_style=HEADER) as table:
        table.row([str(item.label) for item in section.fields])
        for row in rows:
            table.row([str(names.display(section.name, item.name, row.get(item.name))) for item in section.fields])
    pdf.ln(2)
