"""Demo accounts: one per role, over units of the demo province. Demo database only."""

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from orgs.models import UnitVersion

from .models import GrantChange, Role, RoleGrant, User, WrittenRequest

DEMO_PASSWORD = "demo-Dongnai-2026"
PROVINCE, HEALTH, HOME_AFFAIRS = "000.00.00.H19", "000.00.05.H19", "000.00.02.H19"
# username, family names, given name, kind, role, unit code
DEMO_ACCOUNTS = [
    ("sonoivu", "Nguyễn Thị", "Hoa", "personal", "doha_admin", PROVINCE),
    ("qtv.soyte", "Phạm Văn", "Nam", "personal", "account_admin", HEALTH),
    ("tccb.soyte", "Lê Thị", "Lan", "personal", "hr_officer", HEALTH),
    ("gd.soyte", "Trần Quốc", "Bảo", "personal", "unit_head", HEALTH),
    ("pgd.soyte", "Võ Minh", "Tuấn", "personal", "deputy_head", HEALTH),
    ("uq.soyte", "Đỗ Thu", "Hằng", "personal", "approval_delegate", HEALTH),
    ("lanhdao", "Trần Văn", "Đức", "personal", "leader_viewer", PROVINCE),
    ("thanhtra", "Hoàng Văn", "Sơn", "personal", "inspector", PROVINCE),
    ("nv.soyte", "Ngô Thị", "Mai", "personal", "employee", HEALTH),
]


def seed_demo_accounts() -> list[tuple[User, Role]]:
    units = dict(UnitVersion.objects.filter(valid_to__isnull=True).values_list("code", "unit"))
    admin = None
    created = []
    for username, last, first, kind, role_code, unit_code in DEMO_ACCOUNTS:
        user = User(username=username, last_name=last, first_name=first, kind=kind, unit_id=units[unit_code],
                    must_change_password=False, password_changed_at=timezone.now(), created_by=admin)
        user.set_password(DEMO_PASSWORD)
        user.save()
        admin = admin or user
        request = WrittenRequest.objects.create(
            document_number=f"{len(created) + 1}/ĐN-DEMO", document_date=datetime.date(2025, 7, 1),
            summary=f"Đề nghị cấp quyền {role_code} (dữ liệu mẫu)", recorded_by=admin,
            scan=ContentFile(b"%PDF-1.4\n% demo written request\n", name=f"demo-request-{username}.pdf"))
        role = Role.objects.get(code=role_code)
        # A delegation to approve is valid for the period its written authorization names.
        valid_to = datetime.date(2027, 12, 31) if role_code == "approval_delegate" else None
        grant = RoleGrant.objects.create(user=user, role=role, unit_id=units[unit_code], valid_from=datetime.date(2025, 7, 1), valid_to=valid_to,
                                         include_subtree=role_code != "employee", request=request, granted_by=admin)
        GrantChange.objects.create(grant=grant, action=GrantChange.Action.GRANT, request=request, by=admin)
        created.append((user, role))
    return created
