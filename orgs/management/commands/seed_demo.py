from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from orgs.demo import seed_demo_tree
from orgs.models import Unit

DEMO_ACCOUNTS = [
    # username, full name, role, may change the tree
    ("sonoivu", "Nguyễn Thị Quản Trị", "Quản trị Sở Nội vụ (DOHA administrator)", True),
    ("lanhdao", "Trần Văn Lãnh Đạo", "Lãnh đạo tỉnh, chỉ xem (leadership viewer)", False),
]
DEMO_PASSWORD = "demo-Dongnai-2026"


class Command(BaseCommand):
    help = "Seed the demo province (about 60 units) and demo accounts when the database has no unit."

    def handle(self, *args, **options):
        if Unit.objects.exists():
            self.stdout.write("The database already has units: nothing seeded.")
        else:
            with transaction.atomic():
                users = self._accounts()
                plan = seed_demo_tree(users["sonoivu"])
            self.stdout.write(f"Demo province seeded: {plan.steps.count()} units.")
        if settings.DEMO_MODE:
            self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
            for username, full_name, role, _manage in DEMO_ACCOUNTS:
                self.stdout.write(f"  {username:10} {role} — {full_name}")

    def _accounts(self):
        User = get_user_model()
        manage = Permission.objects.get(codename="manage_org", content_type__app_label="orgs")
        users = {}
        for username, full_name, _role, may_manage in DEMO_ACCOUNTS:
            last, first = full_name.rsplit(" ", 1)[0], full_name.rsplit(" ", 1)[1]
            user, created = User.objects.get_or_create(username=username, defaults={"first_name": first, "last_name": last})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            if may_manage:
                user.user_permissions.add(manage)
            users[username] = user
        return users
