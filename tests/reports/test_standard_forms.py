import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from audit.models import AuditEvent
from common.errors import ServiceError
from people import services as people
from reports import standard_forms
from tests.conftest import UserFactory, open_version
from tests.reports.conftest import make_person

pytestmark = pytest.mark.django_db

ROOT, FINANCE, PLANNING = "000.00.00.H19", "000.00.01.H19", "000.00.02.H19"


def test_province_form_counts_quantity_and_quality_by_agency_R_9_2(admin_user, staff):
    report = standard_forms.build(admin_user, "civil-servants", open_version(ROOT).unit_id)
    rows = {row.label: row.counts for row in report.rows}
    finance = rows["Sở Tài chính"]
    # Sở Tài chính's subtree holds three civil servants; the public employee is on the other form.
    assert finance["total"] == 3
    assert (finance["women"], finance["party"], finance["minority"]) == (2, 1, 1)
    assert (finance["grade_a2"], finance["grade_a1"], finance["grade_b"]) == (1, 1, 1)
    assert (finance["master"], finance["university"], finance["college"]) == (1, 1, 1)
    assert (finance["sm_principal"], finance["sm_specialist"]) == (1, 2)
    assert rows["Sở Kế hoạch và Đầu tư"]["doctor"] == 1
    assert report.total.counts["total"] == 4
    # Each person falls in exactly one age band.
    assert sum(report.total.counts[c.key] for c in standard_forms.AGE.criteria) == 4


def test_age_bands_are_counted_on_the_reference_date_R_9_2(admin_user, staff):
    today = timezone.localdate()
    report = standard_forms.build(admin_user, "civil-servants", open_version(FINANCE).unit_id)
    born_1999 = (today - datetime.date(1999, 12, 31)).days // 365.2425
    band = "age_30" if born_1999 <= 30 else "age_31_40"
    office = next(row for row in report.rows if row.label == "Văn phòng Sở Tài chính")
    assert office.counts[band] == 1


def test_public_employee_form_counts_titles_by_grade_R_9_2(admin_user, staff):
    report = standard_forms.build(admin_user, "public-employees", open_version(ROOT).unit_id)
    assert report.total.counts["total"] == 1
    assert report.total.counts["grade_a1"] == 1  # preschool teacher grade II is paid on A1


def test_past_reference_date_counts_who_was_in_office_then_R_9_2(admin_user, staff):
    late = make_person(PLANNING, "075091000006", name="Đỗ Văn Nam", gender="1", valid_from=datetime.date(2026, 3, 1))
    before = standard_forms.build(admin_user, "civil-servants", open_version(ROOT).unit_id, datetime.date(2026, 2, 1))
    after = standard_forms.build(admin_user, "civil-servants", open_version(ROOT).unit_id, datetime.date(2026, 3, 2))
    assert (before.total.counts["total"], after.total.counts["total"]) == (4, 5)
    people.set_status(admin_user, late, status="retired", effective_on=datetime.date(2026, 4, 1), decision="QĐ 1")
    assert standard_forms.build(admin_user, "civil-servants", open_version(ROOT).unit_id,
                                datetime.date(2026, 4, 2)).total.counts["total"] == 4
    # On the day itself the version and status history agree with today's columns.
    today = standard_forms.build(admin_user, "civil-servants", open_version(ROOT).unit_id)
    yesterday = standard_forms.build(admin_user, "civil-servants", open_version(ROOT).unit_id,
                                     timezone.localdate() - datetime.timedelta(days=1))
    assert today.total.counts == yesterday.total.counts


def test_unit_report_stays_inside_its_subtree_R_9_3(staff):
    hr = UserFactory(username="tccb.khdt", grant=("hr_officer", PLANNING))
    report = standard_forms.build(hr, "civil-servants", open_version(PLANNING).unit_id)
    assert report.total.counts["total"] == 1
    with pytest.raises(PermissionDenied):
        standard_forms.build(hr, "civil-servants", open_version(FINANCE).unit_id)
    assert AuditEvent.objects.filter(actor=hr, action="reports.standard_form", outcome="refused").exists()


def test_columns_above_clearance_are_left_blank_R_4_3(staff):
    hr = UserFactory(username="tccb.stc", grant=("hr_officer", FINANCE))
    report = standard_forms.build(hr, "civil-servants", open_version(FINANCE).unit_id)
    # Party membership and ethnicity are restricted (level 3); an HR officer holds level 2.
    assert {"party", "minority"} <= report.hidden
    assert report.value(report.total, "party") is None
    assert report.value(report.total, "total") == 3


def test_future_date_and_unknown_form_are_refused_with_the_field_R_13_3(admin_user, staff):
    root = open_version(ROOT).unit_id
    with pytest.raises(ServiceError) as future:
        standard_forms.build(admin_user, "civil-servants", root, timezone.localdate() + datetime.timedelta(days=1))
    assert future.value.field == "day"
    with pytest.raises(ServiceError) as unknown:
        standard_forms.build(admin_user, "nonsense", root)
    assert unknown.value.field == "form"
