"""Dashboards per unit and for the province (R-4.6, R-15.3, R-16.5): complete and signed records, changes waiting, overdue
obligations, by sub-unit and by month, drawn as charts, within the reader's scope."""

import datetime

from django.utils import timezone

from approvals import services as approvals
from approvals.signing import SoftwareSigner
from compliance import dashboards, services
from compliance.models import UnitSnapshot
from people import services as people
from people.models import Person
from tests.conftest import KEY_PASSWORD, UserFactory
from tests.people.conftest import RECORD, sample_record, unit

TODAY = timezone.localdate()
FINANCE, BUDGET, OFFICE = "000.00.01.H19", "000.02.01.H19", "000.01.01.H19"


def staff(admin, code: str, count: int, first: int = 0):
    records = [sample_record(identity={**RECORD["identity"], "full_name": f"Hồ Văn Tư {n}", "citizen_id": f"0750850088{n:02d}"})
               for n in range(first, first + count)]
    people.load_approved([(unit(code).pk, record) for record in records], approved_by=admin, valid_from=datetime.date(2025, 1, 1))


def test_a_units_dashboard_sums_its_subtree_and_each_sub_unit_R_4_6(person, admin_user, head, head_key):
    staff(admin_user, OFFICE, 3)
    Person.objects.filter(pk=person.pk).update(completeness=80)
    approvals.approve(head, [approvals.version_token(person.pk, 1)], SoftwareSigner(head_key, KEY_PASSWORD.encode()))
    services.refresh()
    dashboards.take_snapshot()
    data = dashboards.dashboard(unit(FINANCE).pk)
    totals = data["totals"]
    assert totals["working"] == 4 and totals["signed"] == 1 and totals["signed_share"] == 25 and totals["approved_month"] == 1
    complete = Person.objects.filter(unit__in=[unit(OFFICE), unit(BUDGET)], completeness=100).count()
    assert totals["complete"] == complete and totals["incomplete"] == 4 - complete
    assert totals["obligations_open"] + totals["obligations_overdue"] > 0  # accounts to create, the month's approval
    rows = {row["code"]: row for row in data["children"]}
    assert rows[BUDGET]["working"] == 1 and rows[BUDGET]["signed_share"] == 100 and rows[OFFICE]["working"] == 3
    assert data["own"]["working"] == 0


def test_the_trend_keeps_the_last_snapshot_of_each_month_R_15_3(person, admin_user):
    dashboards.take_snapshot()
    UnitSnapshot.objects.update(day=datetime.date(2026, 3, 31))
    staff(admin_user, BUDGET, 2)
    dashboards.take_snapshot()
    points = dashboards.dashboard(unit(FINANCE).pk)["trend"]
    assert [(p["day"], p["working"]) for p in points] == [(datetime.date(2026, 3, 31), 1), (TODAY, 3)]
    assert dashboards.take_snapshot() and UnitSnapshot.objects.filter(day=TODAY).count() == 1  # taken again: replaced, not added


def test_the_dashboard_page_draws_charts_and_stays_in_scope_R_4_6(client, person, hr, admin_user):
    staff(admin_user, OFFICE, 2)
    dashboards.take_snapshot()
    client.force_login(hr)
    page = client.get("/compliance/").content.decode()
    assert "Sở Tài chính" in page and "<svg" in page and "Phòng Ngân sách" in page
    assert client.get("/compliance/", {"unit": "000.00.02.H19"}).status_code == 403  # another department
    assert "000.00.99.H19" in client.get("/compliance/", {"unit": "000.00.99.H19"}).content.decode()  # named in the message
    drill = client.get("/compliance/", {"unit": unit(BUDGET).pk}).content.decode()
    assert "Phòng Ngân sách" in drill
    employee = UserFactory(username="nv", grant=("employee", BUDGET))
    client.force_login(employee)
    assert client.get("/compliance/").status_code == 403


def test_the_dashboard_api_R_16_5(client, person, admin_user, viewer):
    dashboards.take_snapshot()
    client.force_login(viewer)
    data = client.get("/api/v1/dashboard", {"unit": "000.00.00.H19"}).json()
    assert data["totals"]["working"] == 1 and {row["code"] for row in data["children"]} >= {FINANCE, "000.00.02.H19"}
    assert client.get("/api/v1/dashboard", {"unit": "nope"}).status_code == 400
    for odd in ("¹", "٣٣", "9" * 30):  # digits int() refuses or reads, numbers no id holds: refused, never a crash
        answer = client.get("/api/v1/dashboard", {"unit": odd})
        assert answer.status_code in (400, 403) and "detail" in answer.json()
