import io

import openpyxl
import pytest
from django.urls import reverse

from common.errors import ServiceError
from people.services import PeopleQuery
from reports import statistics
from reports.models import SavedSearch
from tests.conftest import UserFactory, open_version

pytestmark = pytest.mark.django_db

FINANCE = "000.00.01.H19"


def test_two_dimension_aggregation_counts_and_totals_R_9_2(admin_user, staff):
    table = statistics.aggregate(admin_user, "unit", "gender", PeopleQuery())
    labels = dict(table.row_keys)
    finance = next(key for key, label in labels.items() if label == "Sở Tài chính")
    assert table.cells[(finance, "2")] == 3  # two women civil servants and the woman public employee, across its subtree
    assert table.cells[(finance, "1")] == 1
    assert table.row_totals[finance] == 4
    assert table.column_totals == {"1": 2, "2": 3}
    assert table.total == 5


def test_aggregation_honours_filters_and_age_bands_R_3_13(admin_user, staff):
    table = statistics.aggregate(admin_user, "age_band", "category", PeopleQuery(category="CC"))
    assert set(table.column_keys) == {("CC", "Công chức")}
    assert table.total == 4
    assert sum(table.row_totals.values()) == 4


def test_unit_user_counts_only_its_subtree_R_9_3(staff):
    hr = UserFactory(username="tccb.stc", grant=("hr_officer", FINANCE))
    table = statistics.aggregate(hr, "unit", "category", PeopleQuery())
    assert table.total == 4
    assert {label for _k, label in table.row_keys} <= {"Sở Tài chính", "Văn phòng Sở Tài chính", "Phòng Ngân sách"}


def test_dimension_above_clearance_is_refused_with_its_field_R_4_3(staff):
    hr = UserFactory(username="tccb.stc", grant=("hr_officer", FINANCE))
    with pytest.raises(ServiceError) as refused:
        statistics.aggregate(hr, "unit", "party_member", PeopleQuery())
    assert refused.value.field == "columns"
    assert "party_member" not in {d.key for d in statistics.allowed_dimensions(hr)}


def test_statistics_page_links_each_cell_to_the_people_it_counts_R_3_13(client, admin_user, staff):
    client.force_login(admin_user)
    page = client.get(reverse("reports:statistics"), {"rows": "gender", "columns": "category"})
    assert page.status_code == 200
    drill = next(row for row in page.context["grid"] if row["key"] == "2")
    count, link = next((n, link) for n, link in drill["cells"] if n == 2)
    people = client.get(link)
    assert people.context["page"].paginator.count == 2


def test_statistics_page_refuses_a_dimension_above_clearance_in_vietnamese_R_4_3(client, staff):
    hr = UserFactory(username="tccb.stc", grant=("hr_officer", FINANCE))
    client.force_login(hr)
    page = client.get(reverse("reports:statistics"), {"rows": "unit", "columns": "party_member"})
    assert page.status_code == 400
    assert "Đảng" not in page.content.decode().split('id="statistics-table"')[0] or page.context["table"] is None


def test_statistics_table_exports_as_xlsx_and_is_audited_R_3_13(client, admin_user, staff):
    from audit.models import AuditEvent

    client.force_login(admin_user)
    response = client.get(reverse("reports:statistics"), {"rows": "gender", "columns": "category", "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[-1][-1] == 5
    assert AuditEvent.objects.filter(actor=admin_user, action="reports.export", details__source="statistics").exists()


def test_saved_search_reopens_the_same_filters_for_its_owner_only_R_3_13(client, admin_user, staff):
    client.force_login(admin_user)
    saved = client.post(reverse("reports:saved_search_create"),
                        {"kind": "statistics", "name": "Nữ theo đơn vị", "query": "rows=unit&columns=category&gender=2"})
    assert saved.status_code == 302
    search = SavedSearch.objects.get(owner=admin_user)
    reopened = client.get(reverse("reports:saved_search_open", args=[search.pk]), follow=True)
    assert reopened.context["table"].total == 3
    other = UserFactory(username="other", grant=("doha_admin", "000.00.00.H19"))
    client.force_login(other)
    assert client.get(reverse("reports:saved_search_open", args=[search.pk])).status_code == 404


def test_standard_form_page_downloads_the_official_layout_R_9_2(client, admin_user, staff):
    client.force_login(admin_user)
    root = open_version("000.00.00.H19").unit_id
    page = client.get(reverse("reports:standard_form"), {"form": "civil-servants", "unit": root})
    assert page.status_code == 200
    assert "Số lượng, chất lượng cán bộ, công chức" in page.content.decode()
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(reverse("reports:standard_form"),
                                                         {"form": "civil-servants", "unit": root, "format": "xlsx"}).content)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "SỐ LƯỢNG, CHẤT LƯỢNG CÁN BỘ, CÔNG CHỨC" in cells
    assert "Tổng cộng" in cells
    total_row = next(row for row in sheet.iter_rows(values_only=True) if row[1] == "Tổng cộng")
    assert total_row[2] == 4
    pdf = client.get(reverse("reports:standard_form"), {"form": "civil-servants", "unit": root, "format": "pdf"})
    assert pdf.content.startswith(b"%PDF")


def test_staffing_compares_quota_and_positions_with_people_R_9_2(client, admin_user, staff):
    from reports.staffing import staffing

    result = staffing(admin_user, open_version("000.00.00.H19").unit_id, 2026)
    finance = next(row for row in result.rows if row.label == "Sở Tài chính")
    assert finance.quota["CC"] == 38
    assert finance.actual["CC"] == 3
    assert finance.difference("CC") == -35
    client.force_login(admin_user)
    page = client.get(reverse("reports:staffing"), {"unit": open_version(FINANCE).unit_id, "year": 2026})
    assert page.status_code == 200 and "Kế toán viên" in page.content.decode()


def test_api_statistics_and_standard_form_answer_in_scope_only_R_9_3(client, staff):
    hr = UserFactory(username="tccb.stc", grant=("hr_officer", FINANCE))
    client.force_login(hr)
    table = client.get("/api/v1/statistics", {"rows": "gender", "columns": "category"}).json()
    assert table["total"] == 4
    form = client.get("/api/v1/standard-forms/civil-servants", {"unit": FINANCE}).json()
    assert form["total"]["counts"]["total"] == 3
    assert form["total"]["counts"]["party"] is None and "party" in form["hidden"]
    assert client.get("/api/v1/standard-forms/civil-servants", {"unit": "000.00.02.H19"}).status_code == 403
    refused = client.get("/api/v1/statistics", {"rows": "unit", "columns": "party_member"})
    assert refused.status_code == 400 and refused.json()["field"] == "columns"
    xlsx = client.get("/api/v1/standard-forms/civil-servants/xlsx", {"unit": FINANCE})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_api_saved_searches_belong_to_their_owner_R_3_13(client, admin_user, staff):
    client.force_login(admin_user)
    created = client.post("/api/v1/saved-searches", {"kind": "people", "name": "Đảng viên", "query": {"party_member": ["true"]}},
                          content_type="application/json")
    assert created.status_code == 201
    assert [s["name"] for s in client.get("/api/v1/saved-searches").json()] == ["Đảng viên"]
    other = UserFactory(username="other", grant=("doha_admin", "000.00.00.H19"))
    client.force_login(other)
    assert client.delete(f"/api/v1/saved-searches/{created.json()['id']}").status_code == 404


def test_people_filter_on_state_management_and_job_position_R_3_13(admin_user, staff):
    from people.services import search_people

    assert search_people(admin_user, PeopleQuery(state_management="CVC")).count() == 1
    assert search_people(admin_user, PeopleQuery(job_position="ngân sách")).count() == 5
    # Education is internal (level 1): a leadership viewer of Sở Tài chính may filter on it, within their scope.
    viewer = UserFactory(username="lanhdao.stc", grant=("leader_viewer", FINANCE))
    assert search_people(viewer, PeopleQuery(state_management="CV")).count() == 3
