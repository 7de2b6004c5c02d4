"""Demo problem report: an employee reports a data error in their record with a scan, and Sở Nội vụ answers it, so the
conversation of R-19.5 can be tried. Demo database only."""

from django.core.files.uploadedfile import SimpleUploadedFile

from .models import ProblemReport
from .services import file_report, handlers, reply

# A one-page PDF standing for the scanned proof.
SCAN = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n% problem report demo\n"


def seed_demo_problem(reporter) -> ProblemReport:
    """One report by the reporter with a scan attached, answered by a handler of their unit (or, when none, followed by the
    reporter's own addition)."""
    report = file_report(reporter, category=ProblemReport.Category.DATA, subject="Sai ngày vào Đảng trong hồ sơ",
                         description="Hồ sơ của tôi ghi ngày vào Đảng 03/02/2012, đúng là 03/02/2011 theo thẻ đảng viên "
                                     "(bản chụp đính kèm). Đề nghị Sở Nội vụ hướng dẫn cách sửa.",
                         uploads=[SimpleUploadedFile("the-dang-vien.pdf", SCAN)])
    found = handlers(report)
    if found:
        reply(found[0], report, text="Sở Nội vụ đã nhận phản ánh. Anh/chị mở hồ sơ, sửa mục Đảng, Đoàn thể, đính kèm bản chụp "
                                     "thẻ đảng viên và gửi duyệt; thủ trưởng đơn vị ký duyệt là xong.")
    else:
        reply(reporter, report, text="Bổ sung: quyết định kết nạp số 15-QĐ/ĐU ngày 03/02/2011.")
    return report
