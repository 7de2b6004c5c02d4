import datetime
import os

import factory
import pytest
from cryptography.hazmat.primitives import serialization
from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from hypothesis import settings as hypothesis_settings

from accounts.models import Role, RoleGrant
from accounts.services import load_roles
from catalogs.models import Catalog
from catalogs.services import load_catalogs
from common.crypto import blind_index
from orgs import services
from orgs.models import UnitVersion

DAY = datetime.date(2025, 7, 1)
HEAD_CITIZEN_ID = "075080000001"
KEY_PASSWORD = "mat-khau-khoa-ky"

# CI replays the same examples every run, so a red run is reproducible; locally each run explores new ones.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture
def english():
    """Messages asserted in English (the site's own language is Vietnamese): `pytestmark = pytest.mark.usefixtures("english")`."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def approval_window_always_open(settings):
    """Tests approve on any day of the month; the tests of the window narrow it again (R-7.1)."""
    settings.APPROVAL_WINDOW_DAYS = 31


@pytest.fixture
def ca(tmp_path, settings):
    """A test certification authority, the only trusted root (APPROVAL_TRUST_ROOTS)."""
    from approvals import services
    from approvals.testca import TestCA

    authority = TestCA()
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(authority.certificate.public_bytes(serialization.Encoding.PEM))
    settings.APPROVAL_TRUST_ROOTS = bundle
    services.trust_roots.cache_clear()
    yield authority
    services.trust_roots.cache_clear()


@pytest.fixture
def head_key(head, ca) -> bytes:
    """The head's signing key (PKCS#12, password KEY_PASSWORD), its certificate naming the head's citizen ID."""
    head.citizen_id_index = blind_index(HEAD_CITIZEN_ID)
    head.save(update_fields=["citizen_id_index"])
    return ca.pkcs12("Giám đốc Sở Tài chính", KEY_PASSWORD.encode(), citizen_id=HEAD_CITIZEN_ID)


@pytest.fixture
def catalogs(db):
    # Transactional tests flush the database, so load again when the tables are empty.
    if not Catalog.objects.exists():
        load_catalogs()
        load_roles()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "Nguyễn Văn"
    first_name = factory.Faker("first_name", locale="vi_VN")
    password = factory.django.Password("pw-for-tests-1")
    must_change_password = False
    password_changed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def grant(user, create, extracted, **kwargs):
        """grant=("role_code", "unit code") or a list of them: active grants over the unit and the units under it."""
        if not (create and extracted):
            return
        for role, code in [extracted] if isinstance(extracted[0], str) else extracted:
            RoleGrant.objects.create(user=user, role=Role.objects.get(code=role), unit=open_version(code).unit,
                                     valid_from=datetime.date(2025, 1, 1))


@pytest.fixture
def admin_user(small_tree):
    """Sở Nội vụ administrator over the whole province."""
    return UserFactory(username="sonoivu", grant=("doha_admin", "000.00.00.H19"))


@pytest.fixture
def viewer(small_tree):
    """Leadership viewer over the whole province: reads, changes nothing."""
    return UserFactory(username="lanhdao", grant=("leader_viewer", "000.00.00.H19"))


def unit_params(code: str, name: str, parent: str | None = None, kind: str = "DEPARTMENT", level: str = "PROVINCE", **extra) -> dict:
    return {"name": name, "code": code, "kind": kind, "level": level, "parent": parent, **extra}


def apply(steps: list[dict], user=None, day: datetime.date = DAY, title: str = "test plan"):
    plan = services.create_plan(title=title, effective_date=day, user=user, steps=steps)
    return services.apply_plan(plan, user, today=max(day, datetime.date.today())), plan


def open_version(code: str) -> UnitVersion:
    return UnitVersion.objects.get(code=code, valid_to__isnull=True)


@pytest.fixture
def small_tree(catalogs):
    """Province > two departments (each with two offices) and one commune with one office."""
    steps = [
        {"operation": "create", "params": unit_params("000.00.00.H19", "UBND tỉnh", kind="PROVINCE_COMMITTEE")},
        {"operation": "create", "params": unit_params("000.00.01.H19", "Sở Tài chính", "000.00.00.H19",
                                                      quotas=[{"year": 2025, "category": "CC", "amount": 40},
                                                              {"year": 2026, "category": "CC", "amount": 38}],
                                                      positions=[{"code": "KT", "name": "Kế toán viên", "category": "CC", "count": 4}])},
        {"operation": "create", "params": unit_params("000.01.01.H19", "Văn phòng Sở Tài chính", "000.00.01.H19", kind="DEPT_OFFICE")},
        {"operation": "create", "params": unit_params("000.02.01.H19", "Phòng Ngân sách", "000.00.01.H19", kind="DEPT_OFFICE")},
        {"operation": "create", "params": unit_params("000.00.02.H19", "Sở Kế hoạch và Đầu tư", "000.00.00.H19",
                                                      quotas=[{"year": 2025, "category": "CC", "amount": 30},
                                                              {"year": 2026, "category": "CC", "amount": 30}],
                                                      positions=[{"code": "KT", "name": "Kế toán viên", "category": "CC", "count": 2},
                                                                 {"code": "DT", "name": "Chuyên viên đầu tư", "category": "CC", "count": 5}])},
        {"operation": "create", "params": unit_params("000.01.02.H19", "Văn phòng Sở KH&ĐT", "000.00.02.H19", kind="DEPT_OFFICE")},
        {"operation": "create", "params": unit_params("000.02.02.H19", "Phòng Đầu tư", "000.00.02.H19", kind="DEPT_OFFICE")},
        {"operation": "create", "params": unit_params("000.00.51.H19", "UBND phường Trấn Biên", "000.00.00.H19",
                                                      kind="COMMUNE_COMMITTEE", level="COMMUNE")},
        {"operation": "create", "params": unit_params("000.01.51.H19", "Phòng Kinh tế phường Trấn Biên", "000.00.51.H19",
                                                      kind="COMMUNE_OFFICE", level="COMMUNE")},
    ]
    apply(steps, None, title="initial tree")


@pytest.fixture
def hr(small_tree):
    return UserFactory(username="tccb", grant=("hr_officer", "000.00.01.H19"))


@pytest.fixture
def head(small_tree):
    return UserFactory(username="giamdoc", grant=("unit_head", "000.00.01.H19"))


@pytest.fixture
def person(small_tree, admin_user):
    """An approved civil servant of Phòng Ngân sách (under Sở Tài chính), version 1, with a personal account."""
    from people import services
    from tests.people.conftest import sample_record, unit

    services.load_approved([(unit("000.02.01.H19").pk, sample_record())], approved_by=admin_user,
                           valid_from=datetime.date(2025, 1, 1))
    found = services.Person.objects.get()
    account = UserFactory(username="dungnv", grant=("employee", "000.02.01.H19"))
    account.citizen_id_index = found.citizen_id_index
    account.save()
    services.link_account(found, account)
    return found
