"""Retirement dates by the roadmap of Decree 135/2020/NĐ-CP (Labor Code 2019 Art. 169), checked against its annex."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from common.crypto import blind_index
from people import services
from people.models import Person
from people.retirement import retirement_age_months, retirement_date, upcoming
from tests.people.conftest import RECORD, sample_record, unit

MALE, FEMALE = "1", "2"


@pytest.mark.parametrize(("gender", "year", "months"), [
    (MALE, 2021, 60 * 12 + 3), (MALE, 2024, 61 * 12), (MALE, 2028, 62 * 12), (MALE, 2040, 62 * 12),
    (FEMALE, 2021, 55 * 12 + 4), (FEMALE, 2023, 56 * 12), (FEMALE, 2035, 60 * 12), (FEMALE, 2050, 60 * 12),
])
def test_the_retirement_age_rises_by_the_roadmap_R_8_5(gender, year, months):
    assert retirement_age_months(gender, year) == months


@pytest.mark.parametrize(("gender", "born", "retires"), [
    # Annex I of Decree 135/2020: men born 1/1961 retire in 4/2021 (60y3m); born 10/1961, in 4/2022 (60y6m).
    (MALE, datetime.date(1961, 1, 15), datetime.date(2021, 4, 30)),
    (MALE, datetime.date(1961, 10, 3), datetime.date(2022, 4, 30)),
    (MALE, datetime.date(1966, 6, 1), datetime.date(2028, 6, 30)),  # 62 years from 2028
    # women born 1/1966 retire in 5/2021 (55y4m); born 9/1966, in 5/2022 (55y8m); from 1975 at 60.
    (FEMALE, datetime.date(1966, 1, 20), datetime.date(2021, 5, 31)),
    (FEMALE, datetime.date(1966, 9, 9), datetime.date(2022, 5, 31)),
    (FEMALE, datetime.date(1980, 2, 29), datetime.date(2040, 2, 29)),
    # before 2021: 60 and 55 (Labor Code 2012)
    (MALE, datetime.date(1958, 7, 4), datetime.date(2018, 7, 31)),
    (FEMALE, datetime.date(1965, 12, 1), datetime.date(2020, 12, 31)),
])
def test_the_retirement_day_is_the_end_of_the_month_the_age_is_reached_R_8_5(gender, born, retires):
    assert retirement_date(born, gender) == retires


def test_no_date_without_a_birth_date_or_a_known_sex():
    assert retirement_date(None, MALE) is None and retirement_date(datetime.date(1970, 1, 1), "") is None


def load_person(admin_user, citizen_id, birth_date, gender, unit_code="000.02.01.H19"):
    record = sample_record(identity={**RECORD["identity"], "citizen_id": citizen_id, "birth_date": birth_date.isoformat(), "gender": gender,
                                     "full_name": f"Người {citizen_id[-3:]}"})
    services.load_approved([(unit(unit_code).pk, record)], approved_by=admin_user)
    return Person.objects.get(citizen_id_index=blind_index(citizen_id))


def test_upcoming_retirements_in_the_users_units_R_8_5(hr, admin_user):
    man = load_person(admin_user, "075065000101", datetime.date(1965, 1, 10), MALE)  # 61y6m in 2026: 31/7/2026
    woman = load_person(admin_user, "075170000102", datetime.date(1970, 3, 1), FEMALE)  # 57y4m in 2027: 31/7/2027
    load_person(admin_user, "075090000103", datetime.date(1990, 5, 5), MALE)
    load_person(admin_user, "075064000104", datetime.date(1964, 6, 1), MALE, unit_code="000.00.02.H19")  # outside hr's scope
    within_a_year = upcoming(hr, months=12, day=datetime.date(2026, 1, 1))
    assert within_a_year == [(man, datetime.date(2026, 7, 31))]
    assert [p for p, _day in upcoming(hr, months=24, day=datetime.date(2026, 1, 1))] == [man, woman]
    retired = man
    retired.status = Person.Status.RETIRED
    retired.save()
    assert upcoming(hr, months=12, day=datetime.date(2026, 1, 1)) == []


def test_someone_who_sees_no_records_is_refused_R_4_4(person):
    with pytest.raises(PermissionDenied):
        upcoming(person.account, months=12)


def test_the_page_and_the_api_list_upcoming_retirements(client, hr, admin_user):
    today = datetime.date.today()
    born = next(d for d in (datetime.date(today.year - 55, 1, 1) - datetime.timedelta(days=30 * k) for k in range(100))
                if today < retirement_date(d, FEMALE) <= today + datetime.timedelta(days=180))
    person = load_person(admin_user, "075166000105", born, FEMALE)
    client.force_login(hr)
    page = client.get(reverse("people:retirements") + "?months=12").content.decode()
    assert person.full_name in page and retirement_date(born, FEMALE).strftime("%d/%m/%Y") in page
    found = client.get("/api/v1/people/retirements?months=12&unit=000.00.01.H19").json()
    assert [(row["person"]["id"], row["retires_on"]) for row in found["items"]] == [(person.pk, retirement_date(born, FEMALE).isoformat())]
    assert client.get("/api/v1/people/retirements?months=0").status_code == 422
