"""Uploading a reorganization plan as a spreadsheet, the way the 2025 reform was prepared (R-3.9)."""

import datetime
import io

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from orgs import services
from orgs.demo import seed_demo_tree
from orgs.models import ReorgPlan, Unit
from tests.conftest import UserFactory

TEMPLATE = settings.BASE_DIR / "orgs" / "static" / "orgs" / "plan-template.csv"


@pytest.fixture
def demo_client(client, catalogs):
    seed_demo_tree(None)
    admin = UserFactory(grant=("doha_admin", "000.00.00.H19"))
    client.force_login(admin)
    plan = ReorgPlan.objects.create(title="Sắp xếp", effective_date=datetime.date.today(), created_by=admin)
    return client, plan


def xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_downloadable_template_applies_to_the_demo_province_R_3_9(demo_client):
    client, plan = demo_client
    response = client.post(f"/orgs/plans/{plan.pk}/steps/upload/",
                           {"file": SimpleUploadedFile("plan.csv", TEMPLATE.read_bytes(), content_type="text/csv")})
    assert response.status_code == 302
    assert [s.operation for s in plan.steps.all()] == ["merge", "consolidate", "create", "update", "move", "dissolve"]
    preview = services.preview_plan(plan)
    assert preview.error is None, preview.error
    services.apply_plan(plan, None)
    assert Unit.objects.get(versions__code="000.00.09.H19").end_reason == Unit.EndReason.MERGED


def test_excel_upload_with_a_bad_row_names_the_row_and_column_and_adds_nothing(demo_client):
    client, plan = demo_client
    content = xlsx([["operation", "unit", "target"], ["sáp nhập", "000.00.09.H19", "000.00.08.H19"], ["bay lên", "000.00.05.H19", ""]])
    response = client.post(f"/orgs/plans/{plan.pk}/steps/upload/", {"file": SimpleUploadedFile("plan.xlsx", content)})
    assert response.status_code == 400
    assert "Dòng 3" in response.content.decode() and "operation" in response.content.decode()
    assert plan.steps.count() == 0


def test_excel_upload_of_good_rows(demo_client):
    client, plan = demo_client
    content = xlsx([["operation", "unit", "target", "keep_source"], ["merge", "000.00.09.H19", "000.00.08.H19", None]])
    client.post(f"/orgs/plans/{plan.pk}/steps/upload/", {"file": SimpleUploadedFile("plan.xlsx", content)})
    assert [(s.operation, s.params) for s in plan.steps.all()] == [("merge", {"source": "000.00.09.H19", "target": "000.00.08.H19"})]


def test_a_broken_excel_file_is_refused_with_a_message(demo_client):
    client, plan = demo_client
    response = client.post(f"/orgs/plans/{plan.pk}/steps/upload/", {"file": SimpleUploadedFile("plan.xlsx", b"not a zip")})
    assert response.status_code == 400 and plan.steps.count() == 0
