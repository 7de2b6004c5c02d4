"""The sync figure (R-11.1, R-11.2): packets a second from the outbox to the national-database simulator, which runs in a
process of its own on loopback and checks every packet's schema, hash and approval signature over mutual TLS."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the simulator stopped: {process.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the simulator did not start")


def national_sync(user, trust_roots: Path, count: int = 10_000) -> list[tuple]:
    """Send `count` packets of the signed campaign (rolled back afterwards, so every run sends the same ones); the target is
    100,000 packets in under 10 minutes, checked on the measured rate."""
    from django.conf import settings
    from django.db import transaction
    from django.test import override_settings
    from django.utils import timezone

    from exchange import adapters, services
    from exchange.models import Packet
    from exchange.tls import loopback_certificates

    with tempfile.TemporaryDirectory() as scratch:
        files = loopback_certificates(Path(scratch) / "ndxp", settings.EXCHANGE_AGENCY_CODE)
        port = _free_port()
        simulator = subprocess.Popen(
            [sys.executable, "manage.py", "national_simulator", "--port", str(port), "--store", str(Path(scratch) / "national.sqlite3"),
             "--certificates", str(files.ca.parent)],
            cwd=ROOT, env={**os.environ, "APPROVAL_TRUST_ROOTS": str(trust_roots)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait_for(port, simulator)
            url = f"https://127.0.0.1:{port}/ndxp/v1"
            with override_settings(EXCHANGE_URL=url, EXCHANGE_CLIENT_CERT=str(files.client_cert), EXCHANGE_CLIENT_KEY=str(files.client_key),
                                   EXCHANGE_CA_BUNDLE=str(files.ca)), transaction.atomic():
                services.queue_unsent(user)
                Packet.objects.exclude(state=Packet.State.PENDING).update(state=Packet.State.PENDING, attempts=0, next_attempt_at=timezone.now(),
                                                                          lease_until=None, last_error="")
                exchange = adapters.connect()
                sent = rejected = 0
                start = time.perf_counter()
                while sent + rejected < count:
                    counts = services.send_due(exchange)
                    if not counts["claimed"] or counts["failed"]:
                        break
                    sent += counts["acknowledged"] + counts["sent"]
                    rejected += counts["rejected"] + counts["dead"]
                seconds = time.perf_counter() - start
                exchange.close()
                transaction.set_rollback(True)
        finally:
            simulator.terminate()
            simulator.wait(timeout=30)
    if not sent:
        return [("packets to the national-database simulator (loopback, mutual TLS)", "100,000 in < 600 s", 0.0, None, False)]
    rate = sent / seconds
    return [(f"send {sent} packets to the national-database simulator ({rate:.0f} a second, {rejected} rejected), per packet",
             "100,000 in < 600 s", seconds * 1000 / sent, None, 100_000 / rate < 600 and not rejected)]
