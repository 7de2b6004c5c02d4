import datetime
import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.services import create_first_admin
from common.errors import ServiceError

# The option a refusal is about, by the field the service names (the root unit's fields come from the reorganization step).
OPTIONS = {"username": "--username", "unit_code": "--unit-code", "code": "--unit-code", "unit_name": "--unit-name", "name": "--unit-name",
           "kind": "--unit-kind", "level": "--unit-level", "since": "--since", "password": "--password-stdin"}


class Command(BaseCommand):
    help = ("Create the first Sở Nội vụ administrator of a new database: the root unit of the organization tree when the tree is "
            "empty (a one-step reorganization plan), or an existing unit named by --unit-code; the account, whose password must be "
            "changed at the first login; the administrator role over that unit and everything under it. Audited.")
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--last-name", default="", help="family and middle names, e.g. 'Nguyễn Văn'")
        parser.add_argument("--first-name", default="", help="given name, e.g. 'An'")
        parser.add_argument("--email", default="")
        parser.add_argument("--unit-name", default="", help="the root unit to create when the tree is empty, e.g. 'Ủy ban nhân dân tỉnh Đồng Nai'")
        parser.add_argument("--unit-code", default="", help="its identifier code (Decision 20/2020/QĐ-TTg), e.g. 000.00.00.H19; "
                                                            "when the tree has units: the existing unit the role is granted over")
        parser.add_argument("--unit-kind", default="PROVINCE_COMMITTEE", help="unit kind catalog code of the new root")
        parser.add_argument("--unit-level", default="PROVINCE", help="unit level catalog code of the new root")
        parser.add_argument("--since", type=datetime.date.fromisoformat, default=None,
                            help="YYYY-MM-DD, the date the new root unit exists from (default: today)")
        parser.add_argument("--decision", default="", help="number of the decision behind the root unit, e.g. 'Số 12/QĐ-UBND'")
        parser.add_argument("--password-stdin", action="store_true", help="read the password from the first line of standard input "
                                                                           "instead of generating one; it must still be changed at the first login")

    def handle(self, *args, **options):
        password = None
        if options["password_stdin"]:
            password = options.get("stdin", sys.stdin).readline().rstrip("\r\n")
            if not password:
                raise CommandError("--password-stdin: standard input holds no password.")
        try:
            user, password, unit, created = create_first_admin(
                username=options["username"], last_name=options["last_name"], first_name=options["first_name"],
                email=options["email"], unit_code=options["unit_code"], unit_name=options["unit_name"],
                unit_kind=options["unit_kind"], unit_level=options["unit_level"], since=options["since"],
                decision_number=options["decision"], password=password)
        except ServiceError as exc:
            option = OPTIONS.get(exc.field or "")
            raise CommandError(f"{option}: {exc.message}" if option else exc.message) from exc
        version = unit.versions.filter(valid_to__isnull=True).first()
        where = f"{version.name} ({version.code})" if version.code else version.name
        self.stdout.write(f"{'Root unit created' if created else 'Unit'}: {where}.")
        self.stdout.write(f"{user.username}: Sở Nội vụ administrator over {where} and every unit under it.")
        if options["password_stdin"]:
            self.stdout.write("Password: the one read from standard input; it must be changed at the first login.")
        else:
            self.stdout.write(f"Temporary password (shown once, to be changed at the first login): {password}")
