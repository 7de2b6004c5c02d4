import datetime
import random

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo_accounts
from accounts.models import citizen_id_index
from accounts.services import load_roles
from approvals.demo import DEMO_KEY_PASSWORD, DEMO_SIGNERS, seed_demo_signing
from approvals.testca import TestCA
from compliance.services import refresh
from inspections.demo import seed_demo_inspection
from movements.demo import seed_demo_arrival
from orgs.demo import seed_demo_tree
from orgs.models import ReorgPlan, Unit, UnitVersion
from people import services
from people.models import Person
from people.synthetic import Workplace, load_synthetic, synthetic_record
from problems.demo import seed_demo_problem
from reports.demo import seed_demo_seals

DEMO_PEOPLE = 2000
DEMO_SEED = 2025
# Records are generated as they stood on this day, so the demo is the same on every machine and every day.
DEMO_DAY = datetime.date(2026, 1, 1)


class Command(BaseCommand):
    help = ("Seed the demo province (about 60 units), one account per role and about 2,000 people with approved records, "
            "when the database has no unit.")

    def handle(self, *args, **options):
        if Unit.objects.exists():
            self.stdout.write("The database already has units: nothing seeded.")
        else:
            with transaction.atomic():
                load_roles()
                plan = seed_demo_tree(None)
                accounts = seed_demo_accounts()
                admin = accounts[0][0]
                ReorgPlan.objects.update(created_by=admin)
                ReorgPlan.objects.filter(status=ReorgPlan.Status.APPLIED).update(applied_by=admin)
                # The approvers have records too: the head's is signed by the deputy.
                with_records = [user for user, role in accounts if role.code == "employee" or user.username in DEMO_SIGNERS]
                citizen_ids = seed_employee_records(with_records, admin)
                people = load_synthetic(DEMO_PEOPLE, seed=DEMO_SEED, today=DEMO_DAY, approved_by=admin, incomplete=0.15)
                authority = TestCA("CA thử nghiệm – dữ liệu mẫu CSDL CBCCVC")
                keys = seed_demo_signing(admin, {name: citizen_ids[name] for name in DEMO_SIGNERS}, root_unit(), authority)
                officer = next(user for user, role in accounts if role.code == "hr_officer")
                arrival_file = seed_demo_arrival(officer, day=DEMO_DAY, seed=DEMO_SEED)
                users = {user.username: user for user, _role in accounts}
                seals = seed_demo_seals(authority, [root_unit(), users["gd.soyte"].unit_id])  # the province and Sở Y tế sign exports
                seed_demo_inspection(users["thanhtra"], officer.unit_id)
                seed_demo_problem(users["nv.soyte"])
                obligations = refresh()["created"]
            self.stdout.write(f"Demo province seeded: {plan.steps.count()} units, {len(citizen_ids) + people} people.")
            self.stdout.write(f"Demo signing keys of {', '.join(DEMO_SIGNERS)} in {keys} (password: {DEMO_KEY_PASSWORD}).")
            if seals:
                self.stdout.write(f"Agency seals of the province and Sở Y tế in {seals}: signed exports (/reports/signed/).")
            self.stdout.write(f"{obligations} obligations of the regulation tracked (/compliance/obligations/).")
            self.stdout.write(f"An arrival awaits Sở Nội vụ (/movements/arrivals/); the record file to bring in: {arrival_file}.")
            self.stdout.write("An inspection of Sở Y tế awaits its answer (/inspections/); a problem report is answered (/problems/).")
        if settings.DEMO_MODE:
            self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
            for username, last, first, _kind, role, unit in DEMO_ACCOUNTS:
                self.stdout.write(f"  {username:12} {role:18} {last} {first} — {unit}")


def root_unit() -> int:
    return UnitVersion.objects.get(valid_to__isnull=True, parent__isnull=True).unit_id


def seed_employee_records(users, admin) -> dict[str, str]:
    """An approved record for each demo employee, tied to their personal account so they see their own record (R-9.4).

    They take the first sequence numbers, so the generated population that follows never reuses their citizen IDs.
    """
    rng = random.Random(DEMO_SEED)  # noqa: S311 - synthetic data, not secrets
    citizen_ids = {}
    for sequence, user in enumerate(users):
        unit = UnitVersion.objects.select_related("kind").get(unit_id=user.unit_id, valid_to__isnull=True)
        # The demo's names mark women by the middle name Thị.
        gender = "2" if "Thị" in user.last_name.split() else "1"
        record = synthetic_record(rng, today=DEMO_DAY, category="CC", sequence=sequence, gender=gender,
                                  full_name=f"{user.last_name} {user.first_name}", workplace=Workplace(unit.unit_id, unit.name, unit.kind.code))
        services.load_approved([(unit.unit_id, record)], approved_by=admin)
        user.citizen_id_index = citizen_id_index(record["identity"]["citizen_id"])
        user.save(update_fields=["citizen_id_index"])
        services.link_account(Person.objects.get(citizen_id_index=user.citizen_id_index), user)
        citizen_ids[user.username] = record["identity"]["citizen_id"]
    return citizen_ids
