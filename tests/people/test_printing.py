import datetime
import io

import pytest
from django.utils import translation
from pypdf import PdfReader

from people import services
from people.printing import resume_pdf
from tests.people.conftest import sample_record

pytestmark = pytest.mark.django_db

CONTRACT = {"contract_no": "15/2025/HĐLĐ", "contract_type": "definite", "start_date": "2025-01-02", "end_date": "2026-12-31",
            "job": "Lái xe", "pay_amount": "6500000"}


def pages(record: dict) -> list[str]:
    with translation.override("vi"):
        data = resume_pdf(record, services.CatalogNames(), unit_name="Phòng Ngân sách", version=1, printed_on=datetime.date(2025, 6, 30))
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_resume_pdf_prints_every_section_in_vietnamese_R_6_1a(person):
    text = "\n".join(pages(services.approved_record(person)))
    assert "SƠ YẾU LÝ LỊCH" in text
    assert "Cơ quan, đơn vị: Phòng Ngân sách" in text
    assert "Nguyễn Văn Dũng" in text
    assert "Kinh" in text
    assert "14/03/1985" in text
    assert "Chuyên viên Phòng Ngân sách, Sở Tài chính tỉnh Đồng Nai" in " ".join(text.split())
    assert "Nguyễn Văn An" in text
    assert "Phiên bản 1 – in ngày 30/06/2025 – trang 1/" in text
    assert "Người lao động" not in text


def test_resume_pdf_omits_sections_the_reader_cannot_see_R_4_3(person):
    record = services.approved_record(person)
    del record["family"]
    del record["identity"]["citizen_id"]
    text = "\n".join(pages(record))
    assert "Nguyễn Văn Dũng" in text
    assert "075085001234" not in text
    assert "Nguyễn Văn An" not in text


def test_contract_worker_resume_has_the_contract_R_6_1b(small_tree):
    record = sample_record(contract=CONTRACT)
    record["employment"] = {"category": "NLD", "joined_unit_on": "2025-01-02"}
    text = "\n".join(pages(record))
    assert "Người lao động" in text
    assert "15/2025/HĐLĐ" in text
    assert "Lái xe" in text
    assert "31/12/2026" in text


def test_a_long_work_history_runs_over_several_pages_R_6_1a(small_tree):
    rows = [{"from_date": f"{1960 + i}-01-01", "to_date": f"{1960 + i}-12-31", "description": f"Công tác tại đơn vị số {i}, " + "nhiệm vụ " * 12}
            for i in range(60)]
    texts = pages(sample_record(work_history=rows))
    assert len(texts) > 1
    joined = "\n".join(texts)
    assert "đơn vị số 0," in joined and "đơn vị số 59," in joined
    assert f"trang {len(texts)}/{len(texts)}" in texts[-1]
