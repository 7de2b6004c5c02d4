import datetime
import os

import factory
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from hypothesis import settings as hypothesis_settings

from catalogs.models import Catalog
from catalogs.services import load_catalogs
from orgs import services
from orgs.models import UnitVersion

DAY = datetime.date(2025, 7, 1)

# CI replays the same examples every run, so a red run is reproducible; locally each run explores new ones.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture
def catalogs(db):
    # Transactional tests flush the database, so load again when the tables are empty.
    if not Catalog.objects.exists():
        load_catalogs()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "Nguyễn Văn"
    first_name = factory.Faker("first_name", locale="vi_VN")
    password = factory.django.Password("pw-for-tests-1")

    @factory.post_generation
    def manage_org(user, create, extracted, **kwargs):
        if create and extracted:
            user.user_permissions.add(Permission.objects.get(codename="manage_org"))


@pytest.fixture
def admin_user(catalogs):
    return UserFactory(username="sonoivu", manage_org=True)


@pytest.fixture
def viewer(catalogs):
    return UserFactory(username="lanhdao")


def unit_params(code: str, name: str, parent: str | None = None, kind: str = "DEPARTMENT", level: str = "PROVINCE", **extra) -> dict:
    return {"name": name, "code": code, "kind": kind, "level": level, "parent": parent, **extra}


def apply(steps: list[dict], user=None, day: datetime.date = DAY, title: str = "test plan"):
    plan = services.create_plan(title=title, effective_date=day, user=user, steps=steps)
    return services.apply_plan(plan, user, today=max(day, datetime.date.today())), plan


def open_version(code: str) -> UnitVersion:
    return UnitVersion.objects.get(code=code, valid_to__isnull=True)


@pytest.fixture
def small_tree(catalogs, admin_user):
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
    apply(steps, admin_user, title="initial tree")
