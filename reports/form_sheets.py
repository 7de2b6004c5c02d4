"""A standard form as the Ministry's layout prints it: XLSX for sending, PDF for signing (R-9.2, R-9.5).

Header block (form number, reporting and receiving units), title, reference date, a two-level column header with the
column numbers row, one row per agency, the total, and the signature block of the person who made it and the head.
"""

import io

import xlsxwriter
from django.conf import settings
from fpdf import FPDF

from .standard_forms import Report

RECEIVER = "Bộ Nội vụ"
FONT = "DejaVu"


def _header_cells(report: Report) -> list[tuple[str, list[tuple[str, str]]]]:
    """(group label, [(criterion key, label)]) in the form's order; the total stands alone."""
    return [(group.label, [(c.key, c.label) for c in group.criteria]) for group in report.form.groups]


def _date_line(report: Report) -> str:
    return f"(Số liệu tính đến ngày {report.day:%d/%m/%Y})"


def report_xlsx(report: Report) -> bytes:
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet(report.form.number)
    bold = book.add_format({"bold": True, "font_name": "Times New Roman"})
    plain = book.add_format({"font_name": "Times New Roman"})
    title = book.add_format({"bold": True, "font_size": 14, "align": "center", "font_name": "Times New Roman"})
    italic = book.add_format({"italic": True, "align": "center", "font_name": "Times New Roman"})
    head = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True, "font_name": "Times New Roman",
                            "font_size": 10})
    number = book.add_format({"border": 1, "align": "center", "italic": True, "font_name": "Times New Roman", "font_size": 9})
    cell = book.add_format({"border": 1, "font_name": "Times New Roman"})
    count = book.add_format({"border": 1, "align": "center", "font_name": "Times New Roman"})
    total = book.add_format({"border": 1, "bold": True, "align": "center", "font_name": "Times New Roman"})
    groups = _header_cells(report)
    width = 2 + sum(len(items) for _label, items in groups)
    sheet.write(0, 0, report.form.number, bold)
    sheet.write(1, 0, "Ban hành kèm theo Thông tư số 18/2025/TT-BNV", plain)
    sheet.write(0, width - 6, f"Đơn vị báo cáo: {report.unit_name}", plain)
    sheet.write(1, width - 6, f"Đơn vị nhận báo cáo: {RECEIVER}", plain)
    sheet.merge_range(3, 0, 3, width - 1, report.form.title.upper(), title)
    sheet.merge_range(4, 0, 4, width - 1, _date_line(report), italic)
    top, sub = 6, 7
    sheet.merge_range(top, 0, sub, 0, "STT", head)
    sheet.merge_range(top, 1, sub, 1, "Tên cơ quan, đơn vị", head)
    column = 2
    for label, items in groups:
        if not label:
            for _key, text in items:
                sheet.merge_range(top, column, sub, column, text, head)
                column += 1
            continue
        if len(items) > 1:
            sheet.merge_range(top, column, top, column + len(items) - 1, label, head)
        else:
            sheet.write(top, column, label, head)
        for offset, (_key, text) in enumerate(items):
            sheet.write(sub, column + offset, text, head)
        column += len(items)
    sheet.write(sub + 1, 0, "A", number)
    sheet.write(sub + 1, 1, "B", number)
    for index in range(2, width):
        sheet.write(sub + 1, index, index - 1, number)
    keys = [key for _label, items in groups for key, _text in items]
    line = sub + 2
    for index, row in enumerate(report.rows, start=1):
        sheet.write(line, 0, index, count)
        sheet.write(line, 1, row.label, cell)
        for offset, key in enumerate(keys):
            value = report.value(row, key)
            sheet.write(line, 2 + offset, "" if value is None else value, count)
        line += 1
    sheet.write(line, 0, "", total)
    sheet.write(line, 1, report.total.label, total)
    for offset, key in enumerate(keys):
        value = report.value(report.total, key)
        sheet.write(line, 2 + offset, "" if value is None else value, total)
    if report.hidden:
        sheet.write(line + 1, 1, "Cột để trống: người lập biểu không được phép xem trường thông tin này.", italic)
    sheet.write(line + 3, 1, "NGƯỜI LẬP BIỂU", bold)
    sheet.write(line + 4, 1, "(Ký, ghi rõ họ tên)", plain)
    sheet.write(line + 2, width - 6, "......, ngày ... tháng ... năm ......", plain)
    sheet.write(line + 3, width - 6, "THỦ TRƯỞNG ĐƠN VỊ", bold)
    sheet.write(line + 4, width - 6, "(Ký, đóng dấu, ghi rõ họ tên)", plain)
    sheet.set_column(0, 0, 5)
    sheet.set_column(1, 1, 38)
    sheet.set_column(2, width - 1, 9)
    sheet.set_row(sub, 60)
    sheet.freeze_panes(sub + 2, 2)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    book.close()
    return output.getvalue()


def report_pdf(report: Report) -> bytes:
    """The same sheet on one A4 landscape page per 25 agencies, for signing as an official copy."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    fonts = settings.BASE_DIR / "data" / "fonts"
    pdf.add_font(FONT, "", fonts / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", fonts / "DejaVuSans-Bold.ttf")
    pdf.set_margins(8, 10, 8)
    pdf.set_title(report.form.title)
    pdf.set_lang("vi")
    pdf.add_page()
    pdf.set_font(FONT, "B", 8)
    pdf.cell(0, 4, report.form.number, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8)
    pdf.cell(0, 4, f"Đơn vị báo cáo: {report.unit_name} – Đơn vị nhận báo cáo: {RECEIVER}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 7, report.form.title.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8)
    pdf.cell(0, 5, _date_line(report), align="C", new_x="LMARGIN", new_y="NEXT")
    groups = _header_cells(report)
    keys = [key for _label, items in groups for key, _text in items]
    pdf.set_font(FONT, "", 5)
    with pdf.table(col_widths=[5, 34] + [8] * len(keys), text_align="CENTER", line_height=2.6, first_row_as_headings=True,
                   num_heading_rows=2) as table:
        first = table.row()
        first.cell("STT", rowspan=2)
        first.cell("Tên cơ quan, đơn vị", rowspan=2)
        for label, items in groups:
            if label:
                first.cell(label, colspan=len(items))
            else:
                for _key, text in items:
                    first.cell(text, rowspan=2)
        second = table.row()
        for label, items in groups:
            if label:
                for _key, text in items:
                    second.cell(text)
        for index, row in enumerate([*report.rows, report.total], start=1):
            cells = table.row()
            cells.cell(str(index) if row is not report.total else "")
            cells.cell(row.label, align="LEFT")
            for key in keys:
                value = report.value(row, key)
                cells.cell("" if value is None else str(value))
    pdf.ln(4)
    pdf.set_font(FONT, "B", 8)
    pdf.cell(130, 5, "NGƯỜI LẬP BIỂU", align="C")
    pdf.cell(0, 5, "THỦ TRƯỞNG ĐƠN VỊ", align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
