"""The org pages and the JSON API: who may do what, and bad input refused with a clear message (R-3.9, R-4.4)."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from orgs.models import ReorgPlan, Unit, UnitVersion
from tests.conftest import DAY, open_version

TODAY = datetime.date.today().isoformat()


@pytest.fixture
def admin_client(client, admin_user, small_tree):
    client.force_login(admin_user)
    return client


def test_pages_need_login(client, db):
    response = client.get("/orgs/")
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert client.get("/api/v1/units").status_code == 401


def test_tree_page_lists_units_and_filters_by_search_and_date_R_3_9(client, viewer, small_tree):
    client.force_login(viewer)
    page = client.get("/orgs/").content.decode()
    assert "Sở Tài chính" in page and "000.00.51.H19" in page
    found = client.get("/orgs/", {"q": "tran bien"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="tree").content.decode()
    assert "UBND phường Trấn Biên" in found and "Sở Kế hoạch" not in found and "<html" not in found
    before = client.get("/orgs/", {"as_of": "2025-06-30"}).content.decode()
    assert "Sở Tài chính" not in before


def test_unit_page_shows_quota_positions_and_history_R_3_1(client, viewer, small_tree):
    client.force_login(viewer)
    unit = open_version("000.00.01.H19").unit
    page = client.get(f"/orgs/units/{unit.pk}/").content.decode()
    assert "Kế toán viên" in page and ">38<" in page and "01/07/2025" in page
    assert "/edit/" not in page  # a viewer gets no change buttons


def test_viewer_cannot_change_the_tree(client, viewer, small_tree):
    client.force_login(viewer)
    assert client.get("/orgs/units/new/").status_code == 403
    response = client.post("/api/v1/units", {"name": "X", "kind": "DEPARTMENT", "level": "PROVINCE"}, content_type="application/json")
    assert response.status_code == 403


def test_create_unit_through_the_form_R_3_9(admin_client):
    response = admin_client.post("/orgs/units/new/", {
        "name": "Sở Ngoại vụ", "code": "000.00.06.H19", "kind": "DEPARTMENT", "level": "PROVINCE", "parent": "000.00.00.H19",
        "effective_date": TODAY, "decision_number": "12/QĐ-UBND", "managing_body": "000.00.01.H19",
    })
    assert response.status_code == 302
    created = open_version("000.00.06.H19")
    assert created.name == "Sở Ngoại vụ" and created.step.plan.decision_number == "12/QĐ-UBND"
    assert created.managing_body == open_version("000.00.01.H19").unit
    page = admin_client.get(f"/orgs/units/{created.unit_id}/edit/").content.decode()
    assert 'value="000.00.01.H19"' in page


def test_bad_code_in_the_form_is_shown_in_vietnamese_and_changes_nothing(admin_client):
    count = UnitVersion.objects.count()
    with translation.override("vi"):
        response = admin_client.post("/orgs/units/new/", {
            "name": "Sở X", "code": "000.00.01.H19", "kind": "DEPARTMENT", "level": "PROVINCE", "effective_date": TODAY,
        }, HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Mã định danh 000.00.01.H19 đã được sử dụng cho Sở Tài chính." in page and 'data-field="code"' in page
    assert UnitVersion.objects.count() == count and ReorgPlan.objects.count() == 1


def test_english_ui_shows_english_messages(admin_client):
    admin_client.post("/i18n/setlang/", {"language": "en"})
    response = admin_client.post("/orgs/units/new/", {"name": "", "kind": "DEPARTMENT", "level": "PROVINCE", "effective_date": TODAY})
    assert response.status_code == 400 and "This field is required." in response.content.decode()


def test_plan_editor_add_upload_preview_apply_R_3_9(admin_client):
    response = admin_client.post("/orgs/plans/new/", {"title": "Sắp xếp 2025", "effective_date": TODAY, "decision_number": "1/NQ"})
    plan = ReorgPlan.objects.get(title="Sắp xếp 2025")
    assert response.url == f"/orgs/plans/{plan.pk}/"
    admin_client.post(f"/orgs/plans/{plan.pk}/steps/", {"operation": "merge", "unit": "000.00.02.H19", "target": "000.00.01.H19"})
    steps = json.dumps([{"operation": "update", "params": {"unit": "000.00.51.H19", "name": "UBND phường Trấn Biên mới"}}])
    admin_client.post(f"/orgs/plans/{plan.pk}/steps/upload/", {"file": SimpleUploadedFile("steps.json", steps.encode())})
    assert plan.steps.count() == 2
    preview = admin_client.get(f"/orgs/plans/{plan.pk}/preview/").content.decode()
    assert "Sở Kế hoạch và Đầu tư" in preview and "Sở Tài chính" in preview
    assert Unit.objects.filter(ended_on__isnull=False).count() == 0
    admin_client.post(f"/orgs/plans/{plan.pk}/apply/", {"action": "apply"})
    plan.refresh_from_db()
    assert plan.status == ReorgPlan.Status.APPLIED
    assert open_version("000.00.51.H19").name == "UBND phường Trấn Biên mới"


def test_bad_upload_is_refused_with_the_reason(admin_client):
    plan = ReorgPlan.objects.create(title="p", effective_date=DAY)
    response = admin_client.post(f"/orgs/plans/{plan.pk}/steps/upload/", {"file": SimpleUploadedFile("s.json", b"{not json")})
    assert response.status_code == 400 and "JSON" in response.content.decode()
    bad = json.dumps([{"operation": "update", "params": {}}, {"operation": "teleport", "params": {}}]).encode()
    response = admin_client.post(f"/orgs/plans/{plan.pk}/steps/upload/", {"file": SimpleUploadedFile("s.json", bad)})
    assert response.status_code == 400 and "teleport" in response.content.decode()
    assert plan.steps.count() == 0


def test_openapi_document_lists_units_and_reorganizations(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/units", "/api/v1/units/tree", "/api/v1/reorganizations", "/api/v1/reorganizations/{plan_id}/apply"} <= set(paths)


def test_api_reads_units_as_of_a_date(admin_client):
    data = admin_client.get("/api/v1/units", {"q": "phuong"}).json()
    assert [u["code"] for u in data["items"]] == ["000.01.51.H19", "000.00.51.H19"]  # by name
    tree = admin_client.get("/api/v1/units/tree", {"as_of": DAY.isoformat()}).json()
    assert tree[0]["unit"]["code"] == "000.00.00.H19" and len(tree[0]["children"]) == 3
    unit = open_version("000.00.01.H19").unit
    detail = admin_client.get(f"/api/v1/units/{unit.pk}").json()
    assert detail["current"]["name"] == "Sở Tài chính" and {q["year"] for q in detail["quotas"]} == {2025, 2026}


def test_api_create_and_refuse_bad_input_R_3_9(admin_client):
    body = {"name": "Sở Ngoại vụ", "code": "000.00.06.H19", "kind": "DEPARTMENT", "level": "PROVINCE", "parent": "000.00.00.H19"}
    response = admin_client.post("/api/v1/units", body, content_type="application/json")
    assert response.status_code == 201 and response.json()["status"] == "applied"
    assert response.json()["unit_id"] == open_version("000.00.06.H19").unit_id
    response = admin_client.post("/api/v1/units", {**body, "name": "Khác"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "code"
    assert not UnitVersion.objects.filter(name="Khác").exists()


def test_api_reorganization_preview_then_apply_R_3_9(admin_client):
    body = {"title": "Hợp nhất", "effective_date": TODAY, "steps": [
        {"operation": "merge", "params": {"source": "000.00.02.H19", "target": "000.00.01.H19"}}]}
    plan = admin_client.post("/api/v1/reorganizations", body, content_type="application/json").json()
    preview = admin_client.post(f"/api/v1/reorganizations/{plan['id']}/preview").json()
    assert preview["ok"] and preview["totals"]["children_moved"] == 2
    applied = admin_client.post(f"/api/v1/reorganizations/{plan['id']}/apply").json()
    assert applied["status"] == "applied"
    again = admin_client.post(f"/api/v1/reorganizations/{plan['id']}/apply")
    assert again.status_code == 400


def test_api_bad_plan_reports_the_step_and_field(admin_client):
    body = {"title": "Sai", "effective_date": TODAY, "steps": [
        {"operation": "update", "params": {"unit": "000.00.01.H19", "name": "Đúng"}},
        {"operation": "merge", "params": {"source": "000.00.01.H19", "target": "000.01.01.H19"}}]}
    plan = admin_client.post("/api/v1/reorganizations", body, content_type="application/json").json()
    response = admin_client.post(f"/api/v1/reorganizations/{plan['id']}/apply")
    assert response.status_code == 400 and response.json()["position"] == 2 and response.json()["field"] == "target"
    assert open_version("000.00.01.H19").name == "Sở Tài chính"


def test_quota_and_positions_are_managed_on_the_unit_page_R_3_1(admin_client):
    unit = open_version("000.00.51.H19").unit
    response = admin_client.post(f"/orgs/units/{unit.pk}/quotas/", {"year": 2026, "category": "CC", "amount": 25})
    assert response.status_code == 302
    assert unit.quotas.get(year=2026, category__code="CC").amount == 25
    response = admin_client.post(f"/orgs/units/{unit.pk}/quotas/", {"year": 2026, "category": "CC", "amount": -3})
    assert response.status_code == 400 and unit.quotas.get(year=2026).amount == 25
    admin_client.post(f"/orgs/units/{unit.pk}/positions/", {"code": "VT1", "name": "Chuyên viên địa chính", "category": "CC",
                                                            "count": 2, "valid_from": "2025-07-01"})
    response = admin_client.post(f"/orgs/units/{unit.pk}/positions/", {"code": "VT1", "name": "Trùng", "category": "CC",
                                                                       "count": 1, "valid_from": "2025-07-01"})
    assert response.status_code == 400 and "VT1" in response.content.decode()
    position = unit.positions.get(code="VT1")
    admin_client.post(f"/orgs/units/{unit.pk}/positions/{position.pk}/close/")
    position.refresh_from_db()
    assert position.valid_to == datetime.date.today()


def test_api_quota_and_position_R_3_1(admin_client, viewer, client):
    unit = open_version("000.00.01.H19").unit
    assert admin_client.put(f"/api/v1/units/{unit.pk}/quotas", {"year": 2027, "category": "VC", "amount": 5},
                            content_type="application/json").json() == {"year": 2027, "category": "VC", "amount": 5}
    bad = admin_client.put(f"/api/v1/units/{unit.pk}/quotas", {"year": 2027, "category": "XX", "amount": 5}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "category"
    created = admin_client.post(f"/api/v1/units/{unit.pk}/positions", {"code": "P9", "name": "Thủ quỹ", "category": "CC"},
                                content_type="application/json")
    assert created.status_code == 201
    client.force_login(viewer)
    assert client.put(f"/api/v1/units/{unit.pk}/quotas", {"year": 2027, "category": "VC", "amount": 9},
                      content_type="application/json").status_code == 403


def test_ui_is_vietnamese_even_for_an_english_browser_until_the_user_switches(client, viewer, small_tree):
    client.force_login(viewer)
    page = client.get("/orgs/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Cây tổ chức" in page and 'lang="vi"' in page
    client.post("/i18n/setlang/", {"language": "en"})
    assert "Organization tree" in client.get("/orgs/").content.decode()


def test_plan_steps_read_with_unit_names(admin_client):
    plan = ReorgPlan.objects.create(title="p", effective_date=DAY)
    plan.steps.create(position=1, operation="merge", params={"source": "000.00.02.H19", "target": "000.00.01.H19"})
    page = admin_client.get(f"/orgs/plans/{plan.pk}/").content.decode()
    assert "000.00.02.H19 (Sở Kế hoạch và Đầu tư)" in page and "vào đơn vị:</span> 000.00.01.H19 (Sở Tài chính)" in page


def test_unit_names_are_escaped_in_the_tree(admin_client):
    admin_client.post("/orgs/units/new/", {"name": "<script>alert(1)</script>", "kind": "OTHER", "level": "PROVINCE",
                                           "parent": "000.00.00.H19", "effective_date": TODAY})
    page = admin_client.get("/orgs/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
