"""The annual report (R-15.6, R-16.7) as DOCX and PDF, laid out as an administrative report: the issuing body and the
national motto, the title, the recipient, the figures, then the unit's own text.

An official document is in Vietnamese whatever the interface language, as the printed résumé is. Both formats are
drawn from the same list of blocks, so they always say the same thing.
"""

import datetime
import io

from django.conf import settings
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from .models import AnnualReport

FONT = "DejaVu"


def _percent(value) -> str:
    return "—" if value is None else f"{value}%"


def blocks(report: AnnualReport, unit_name: str, today: datetime.date) -> list[tuple]:
    """(kind, content) in reading order: ("title", text), ("center", text), ("heading", text), ("para", text),
    ("table", [header, *rows])."""
    f = report.figures
    records, year, obligations, findings = f["records"], f["year"], f["obligations"], f["findings"]
    recipient = "Bộ Nội vụ" if report.to_ministry else "Sở Nội vụ"
    state = (f"Đã gửi ngày {report.submitted_at:%d/%m/%Y}" if report.submitted_at else "Dự thảo, chưa gửi")
    result = [
        ("center", unit_name.upper()),
        ("center", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"),
        ("title", f"BÁO CÁO\nCông tác quản lý cơ sở dữ liệu cán bộ, công chức, viên chức năm {report.year}"),
        ("center", f"Kính gửi: {recipient}"),
        ("para", f"Số liệu tính đến ngày {datetime.date.fromisoformat(f['as_of']):%d/%m/%Y}. {state}."),
        ("heading", "I. KẾT QUẢ CẬP NHẬT, PHÊ DUYỆT HỒ SƠ"),
        ("table", [["Nội dung", "Số lượng"],
                   ["Hồ sơ đang công tác", str(records["working"])],
                   ["Hồ sơ đầy đủ thông tin", f"{records['complete']} ({_percent(records['complete_share'])})"],
                   ["Hồ sơ chưa đầy đủ thông tin", str(records["incomplete"])],
                   ["Mức đầy đủ bình quân", _percent(records["completeness_average"])],
                   ["Hồ sơ có phiên bản hiện hành đã ký số phê duyệt", f"{records['signed']} ({_percent(records['signed_share'])})"],
                   ["Hồ sơ lưu trữ (đã nghỉ, chuyển đi)", str(records["archived"])],
                   [f"Hồ sơ lập mới trong năm {report.year}", str(year["opened"])],
                   ["Phiên bản được phê duyệt, ký số trong năm", str(year["signed"])],
                   ["Thay đổi bị trả lại để sửa trong năm", str(year["sent_back"])]]),
        ("heading", "II. THỰC HIỆN THỜI HẠN VÀ CHẤT LƯỢNG DỮ LIỆU"),
        ("table", [["Nội dung", "Số lượng"],
                   ["Nghĩa vụ có thời hạn đến hạn trong năm", str(obligations["due"])],
                   ["Hoàn thành đúng hạn", str(obligations["in_time"])],
                   ["Hoàn thành quá hạn", str(obligations["late"])],
                   ["Chưa hoàn thành", str(obligations["overdue"])],
                   ["Sai sót dữ liệu phát hiện trong năm", str(findings["found"])],
                   ["Sai sót đã khắc phục trong năm", str(findings["resolved"])],
                   ["Sai sót chưa khắc phục", str(findings["open"])]]),
    ]
    if f["sub_units"]:
        result += [("heading", "III. SỐ LIỆU THEO ĐƠN VỊ TRỰC THUỘC"),
                   ("table", [["Đơn vị", "Đang công tác", "Đầy đủ", "Đã ký số"],
                              *[[row["name"], str(row["working"]), _percent(row["complete_share"]), _percent(row["signed_share"])]
                                for row in f["sub_units"]]])]
    number = 4 if f["sub_units"] else 3
    for title, name in (("ĐÁNH GIÁ CHUNG", "assessment"), ("KHÓ KHĂN, VƯỚNG MẮC", "difficulties"), ("KIẾN NGHỊ, ĐỀ XUẤT", "proposals")):
        result += [("heading", f"{_roman(number)}. {title}"), ("para", getattr(report, name) or "(Không có)")]
        number += 1
    result.append(("para", f"Báo cáo được lập từ Cơ sở dữ liệu cán bộ, công chức, viên chức của tỉnh ngày {today:%d/%m/%Y}."))
    return result


def _roman(number: int) -> str:
    return ["", "I", "II", "III", "IV", "V", "VI", "VII"][number]


def docx_bytes(content: list[tuple]) -> bytes:
    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(13)
    for kind, value in content:
        if kind == "table":
            table = document.add_table(rows=0, cols=len(value[0]))
            table.style = "Table Grid"
            for index, row in enumerate(value):
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = text
                    if index == 0:
                        cell.paragraphs[0].runs[0].bold = True
            continue
        paragraph = document.add_paragraph()
        run = paragraph.add_run(value)
        run.bold = kind in ("title", "heading")
        if kind in ("title", "center"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(content: list[tuple], title: str) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    fonts = settings.BASE_DIR / "data" / "fonts"
    pdf.add_font(FONT, "", fonts / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", fonts / "DejaVuSans-Bold.ttf")
    pdf.set_title(title)
    pdf.set_lang("vi")
    pdf.set_margins(20, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    for kind, value in content:
        if kind == "table":
            pdf.set_font(FONT, "", 10)
            widths = (5, 2) if len(value[0]) == 2 else (4, 1.5, 1.2, 1.2)
            with pdf.table(col_widths=widths, line_height=6) as table:
                for row in value:
                    cells = table.row()
                    for text in row:
                        cells.cell(text)
            pdf.ln(3)
            continue
        pdf.set_font(FONT, "B" if kind in ("title", "heading") else "", 13 if kind == "title" else 11)
        pdf.multi_cell(0, 6, value, align="C" if kind in ("title", "center") else "L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
    return bytes(pdf.output())
