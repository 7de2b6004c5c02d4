"""The yearly report on database management (R-15.6, R-16.7): generated from the data for a unit or the province,
written and edited by the unit, exported as DOCX and PDF, submitted, and its deadline tracked as an obligation."""

import datetime
import io

import docx
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEvent
from common.errors import ServiceError
from compliance import annual, dashboards, services
from compliance.models import AnnualReport, Obligation
from orgs.models import ReorgPlan
from tests.conftest import UserFactory
from tests.people.conftest import unit

TODAY = timezone.localdate()
# A unit's report is made from 1 December of the year it covers: last year's always can be, this year's in December.
YEAR = TODAY.year if TODAY.month == 12 else TODAY.year - 1
ROOT, FINANCE, PLANNING = "000.00.00.H19", "000.00.01.H19", "000.00.02.H19"


@pytest.fixture
def counted(person):
    dashboards.take_snapshot(datetime.date(YEAR, 12, 1))


def test_a_unit_reports_its_year_from_the_data_writes_it_and_submits_it_R_15_6(counted, hr):
    report = annual.prepare(hr, unit_id=unit(FINANCE).pk, year=YEAR)
    assert not report.to_ministry and report.figures["records"]["working"] == 1
    assert [row["name"] for row in report.figures["sub_units"]] == ["Phòng Ngân sách", "Văn phòng Sở Tài chính"]
    annual.edit(hr, report, texts={"assessment": "Cập nhật đầy đủ, kịp thời.", "difficulties": "", "proposals": "Tập huấn thêm."})
    submitted = annual.submit(hr, AnnualReport.objects.get(pk=report.pk))
    assert submitted.state == "submitted" and submitted.submitted_by == hr
    assert AuditEvent.objects.filter(action="compliance.annual_report.submit", object_id=str(report.pk)).exists()


def test_a_report_for_a_year_not_yet_ended_is_refused_and_nothing_stored_R_15_6(hr):
    with pytest.raises(ServiceError) as refused:
        annual.prepare(hr, unit_id=unit(FINANCE).pk, year=TODAY.year + 1)
    assert refused.value.field == "year" and str(TODAY.year + 1) in refused.value.message and "01/12" in refused.value.message
    assert not AnnualReport.objects.exists()
    assert AuditEvent.objects.filter(action="compliance.annual_report", outcome="refused").exists()


def test_the_province_reports_to_the_ministry_only_once_the_year_has_ended_R_16_7(counted, admin_user):
    with pytest.raises(ServiceError) as refused:
        annual.prepare(admin_user, unit_id=unit(ROOT).pk, year=TODAY.year)
    assert refused.value.field == "year" and f"01/01/{TODAY.year + 1}" in refused.value.message
    report = annual.prepare(admin_user, unit_id=unit(ROOT).pk, year=TODAY.year - 1)
    assert report.to_ministry and len(report.figures["sub_units"]) == 3
    assert annual.due_on(report.year, report.to_ministry) == datetime.date(TODAY.year, 1, 31)


def test_a_submitted_report_is_final_R_15_6(counted, hr):
    report = annual.prepare(hr, unit_id=unit(FINANCE).pk, year=YEAR)
    annual.edit(hr, report, texts={"assessment": "Đạt yêu cầu."})
    annual.submit(hr, report)
    with pytest.raises(ServiceError):
        annual.edit(hr, report, texts={"assessment": "Sửa sau khi gửi"})
    with pytest.raises(ServiceError) as again:
        annual.prepare(hr, unit_id=unit(FINANCE).pk, year=YEAR)
    assert again.value.field == "year"
    assert AnnualReport.objects.get().assessment == "Đạt yêu cầu."


def test_a_report_without_the_units_assessment_is_not_submitted_R_15_6(counted, hr):
    report = annual.prepare(hr, unit_id=unit(FINANCE).pk, year=YEAR)
    with pytest.raises(ServiceError) as refused:
        annual.submit(hr, report)
    assert refused.value.field == "assessment" and AnnualReport.objects.get().state == "draft"


def test_regenerating_a_draft_keeps_its_text_and_counts_again_R_15_6(counted, hr, admin_user):
    report = annual.prepare(hr, unit_id=unit(FINANCE).pk, year=YEAR)
    annual.edit(hr, report, texts={"assessment": "Giữ nguyên."})
    Obligation.objects.create(key="t:1", kind="account", unit=unit(FINANCE), start_on=datetime.date(YEAR, 3, 2),
                              due_on=datetime.date(YEAR, 3, 9), met_on=datetime.date(YEAR, 3, 12))
    again = annual.prepare(hr, unit_id=unit(FINANCE).pk, year=YEAR)
    assert again.pk == report.pk and again.assessment == "Giữ nguyên." and again.figures["obligations"]["late"] == 1


def test_other_units_reports_are_neither_read_nor_written_R_15_6(counted, hr, admin_user):
    theirs = annual.prepare(admin_user, unit_id=unit(PLANNING).pk, year=YEAR)
    with pytest.raises(PermissionDenied):
        annual.prepare(hr, unit_id=unit(PLANNING).pk, year=YEAR)
    with pytest.raises(PermissionDenied):
        annual.get_visible(hr, theirs.pk)
    viewer = UserFactory(username="lanhdao.tc", grant=("leader_viewer", FINANCE))
    mine = annual.prepare(hr, unit_id=unit(FINANCE).pk, year=YEAR)
    assert annual.get_visible(viewer, mine.pk) == mine
    with pytest.raises(PermissionDenied):
        annual.edit(viewer, mine, texts={"assessment": "x"})


def test_the_report_is_exported_as_docx_and_pdf_in_vietnamese_R_15_6(counted, hr):
    report = annual.prepare(hr, unit_id=unit(FINANCE).pk, year=YEAR)
    annual.edit(hr, report, texts={"assessment": "Dữ liệu được cập nhật thường xuyên."})
    report.refresh_from_db()
    data, content_type, name = annual.export(hr, report, "docx")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert name.endswith(".docx") and "wordprocessingml" in content_type
    assert "SỞ TÀI CHÍNH" in text and f"năm {YEAR}" in text and "Kính gửi: Sở Nội vụ" in text and "cập nhật thường xuyên" in text
    data, content_type, _name = annual.export(hr, report, "pdf")
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert content_type == "application/pdf" and "Kính gửi: Sở Nội vụ" in pdf_text and "Phòng Ngân sách" in pdf_text
    assert AuditEvent.objects.filter(action="compliance.annual_report.export").count() == 2


def test_the_reports_deadlines_are_obligations_met_by_submission_R_16_7(counted, hr):
    ReorgPlan.objects.update(created_at=timezone.make_aware(datetime.datetime(YEAR, 1, 1)))  # the database was set up that year
    day = datetime.date(YEAR, 12, 2)
    wanted = annual.report_obligations(day)
    finance = wanted[f"annual_report:{unit(FINANCE).pk}:{YEAR}"]
    assert (finance.start_on, finance.due_on, finance.met_on) == (datetime.date(YEAR, 12, 1), datetime.date(YEAR, 12, 31), None)
    assert f"annual_report:{unit(ROOT).pk}:{YEAR}" not in wanted  # the province reports to the Ministry, in January
    assert f"ministry_report:{unit(ROOT).pk}:{YEAR}" not in wanted
    january = annual.report_obligations(datetime.date(YEAR + 1, 1, 5))[f"ministry_report:{unit(ROOT).pk}:{YEAR}"]
    assert january.due_on == datetime.date(YEAR + 1, 1, 31)
    assert f"annual_report:{unit(FINANCE).pk}:{YEAR - 1}" not in wanted  # due before the database was set up: on paper
    services.refresh()
    key = f"annual_report:{unit(FINANCE).pk}:{YEAR}"
    assert Obligation.objects.get(key=key).met_on is None
    report = annual.prepare(hr, unit_id=unit(FINANCE).pk, year=YEAR)
    annual.edit(hr, report, texts={"assessment": "Đạt."})
    annual.submit(hr, report)
    assert Obligation.objects.get(key=key).met_on == TODAY


def test_the_report_pages_and_api_R_15_6(client, counted, hr):
    client.force_login(hr)
    created = client.post("/compliance/reports/new/", {"unit": "", "year": YEAR})
    report = AnnualReport.objects.get()
    assert created.status_code == 302 and created.url == f"/compliance/reports/{report.pk}/"
    refused = client.post("/compliance/reports/new/", {"unit": "", "year": TODAY.year + 1})
    assert refused.status_code == 400 and str(TODAY.year + 1) in refused.content.decode()
    empty = client.post(f"/compliance/reports/{report.pk}/edit/", {"assessment": "", "difficulties": "", "proposals": "", "submit": "1"})
    assert empty.status_code == 400 and AnnualReport.objects.get().state == "draft"
    body = client.patch(f"/api/v1/annual-reports/{report.pk}", {"assessment": "Tốt."}, content_type="application/json").json()
    assert body["assessment"] == "Tốt." and body["due_on"] == f"{YEAR}-12-31"
    assert client.post(f"/api/v1/annual-reports/{report.pk}/submit").json()["state"] == "submitted"
    document = client.get(f"/api/v1/annual-reports/{report.pk}/document?format=docx")
    assert document.status_code == 200 and document.content[:2] == b"PK"
    assert client.get(f"/compliance/reports/{report.pk}/report.pdf").content[:5] == b"%PDF-"
    assert client.get("/api/v1/annual-reports").json()["items"][0]["state"] == "submitted"
