import datetime

import pytest

from people import services
from tests.people.conftest import sample_record, unit

LOADED_ON = datetime.date(2025, 1, 1)


def make_person(code: str, citizen_id: str, *, name: str = "Trần Thị Lan", gender: str = "2", birth_date: str = "1990-06-01",
                category: str = "CC", rank: str = "01.003", qualification: str = "DH", ethnicity: str = "01", party: bool = False,
                state_management: str = "CV", political_theory: str = "TRUNG_CAP", title: str = "", valid_from=LOADED_ON):
    """An approved record in the unit with this identifier code."""
    record = sample_record()
    record["identity"].update(full_name=name, gender=gender, birth_date=birth_date, citizen_id=citizen_id, ethnicity=ethnicity)
    record["employment"]["category"] = category
    record["salary"] = {"rank": rank, "professional_title": title} if title else {"rank": rank}
    record["education"].update(qualification=qualification, state_management=state_management, political_theory=political_theory)
    record["party"] = {"party_admitted_on": "2015-01-01"} if party else {}
    services.load_approved([(unit(code).pk, record)], valid_from=valid_from)
    return services.Person.objects.get(citizen_id_index=services.blind_index(citizen_id))


@pytest.fixture
def staff(small_tree):
    """Five people: three civil servants in Sở Tài chính (one in its office), one in Sở KH&ĐT, one public employee."""
    return [
        make_person("000.00.01.H19", "075190000001", name="Trần Thị Lan", party=True),
        make_person("000.02.01.H19", "075085000002", name="Nguyễn Văn Dũng", gender="1", birth_date="1960-02-01", rank="01.002",
                    qualification="THS", state_management="CVC"),
        make_person("000.01.01.H19", "075195000003", name="Lò Thị Mai", birth_date="1999-12-31", ethnicity="04", rank="01.004",
                    qualification="CD"),
        make_person("000.00.02.H19", "075080000004", name="Phạm Văn Hùng", gender="1", birth_date="1980-05-05", qualification="TS"),
        make_person("000.00.01.H19", "075192000005", name="Vũ Thị Hoa", category="VC", rank="", title="V.07.02.25"),
    ]
