"""Verify a signed PDF offline, as the public verification page does; the exit status is 0 only when it is valid (R-9.5)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.signed import verify_pdf


class Command(BaseCommand):
    help = "Verify the signatures of a signed PDF against the trusted roots with the revocation data it carries, fetching nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        try:
            data = options["file"].read_bytes()
        except OSError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        result = verify_pdf(data)
        self.stdout.write(f"SHA-256: {result.sha256}")
        for check in result.signatures:
            when = f"{timezone.localtime(check.signed_at):%d/%m/%Y %H:%M:%S}" if check.signed_at else "—"
            self.stdout.write(f"{check.field}: {check.signer_name or '—'}, {when}{' (' + _('timestamped') + ')' if check.timestamped else ''}; "
                              f"{_('intact')}: {_('yes') if check.intact else _('no')}, {_('trusted')}: {_('yes') if check.trusted else _('no')}, "
                              f"{_('changed after signing')}: {_('yes') if check.modified_after else _('no')}"
                              f"{'; ' + check.problem if check.problem else ''}")
        if result.export is not None:
            self.stdout.write(_("Issued by this system under the code %(code)s.") % {"code": result.export.code})
        if not result.valid:
            raise CommandError(result.verdict, returncode=1)
        self.stdout.write(self.style.SUCCESS(result.verdict))
