import time

from cryptography import x509
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from exchange.simulator import Simulator
from exchange.tls import loopback_certificates


class Command(BaseCommand):
    help = ("Run the local national-database simulator on loopback (HTTPS, mutual TLS), for the demo: it checks packets and "
            "their approval signatures against APPROVAL_TRUST_ROOTS and keeps them in a SQLite file.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8443)
        parser.add_argument("--store", default=str(settings.VAR_DIR / "national.sqlite3"))
        parser.add_argument("--certificates", default=str(settings.VAR_DIR / "ndxp"), help="where the loopback certificates are kept")
        parser.add_argument("--certificates-only", action="store_true", help="make the certificates and stop")

    def handle(self, *args, **options):
        files = loopback_certificates(settings.VAR_DIR / options["certificates"], settings.EXCHANGE_AGENCY_CODE)
        if options["certificates_only"]:
            self.stdout.write(str(files.ca.parent))
            return
        try:
            roots = x509.load_pem_x509_certificates(settings.APPROVAL_TRUST_ROOTS.read_bytes())
        except (OSError, ValueError) as exc:
            raise CommandError(f"APPROVAL_TRUST_ROOTS: cannot read trusted roots ({exc})") from exc
        simulator = Simulator(files, roots, store=options["store"], port=options["port"]).start()
        self.stdout.write(f"National-database simulator at {simulator.url} (client certificate {files.client_cert})")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            simulator.stop()
