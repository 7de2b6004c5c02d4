"""A local stand-in for the national database behind NDXP, for the tests and the demo: a real HTTPS service on loopback
that requires the client's certificate (mutual TLS), validates each packet against the published schema, checks its
hash and its approval signature, keeps the packets (SQLite), answers queries, and can be told to fail, time out or
answer slowly so every failure path of the sender is exercised.

Protocol (the one exchange/adapters.py speaks), under the base path /ndxp/v1:
  POST /packets            {"packets": [...]} -> {"results": [{"packet_id", "status", "receipt", "reason", "duplicate"}]}
  GET  /records/<cccd>     the latest packet of a person -> {"packet": {...}} or 404
  GET  /acknowledged       ?after=<seq>&limit=<n>: what this agency sent -> {"items": [...], "next": seq or null}
  POST /_control           {"fail": n, "status": 503, "timeout": n, "delay": seconds, "reject": n}: the next n requests
                           fail / hang, every request waits `delay`, the next n packets are refused
"""

import base64
import binascii
import contextlib
import json
import sqlite3
import ssl
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from approvals.signing import payload_hash, verify

from . import packets as packet_format
from .tls import Files

BASE = "/ndxp/v1"
MAX_BODY = 64 * 1024 * 1024


class Store:
    """The simulated national database: packets by idempotency key, the latest per citizen."""

    def __init__(self, path: str = ":memory:"):
        self.lock = threading.Lock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("""CREATE TABLE IF NOT EXISTS packet (seq INTEGER PRIMARY KEY AUTOINCREMENT, packet_id TEXT UNIQUE, agency TEXT,
                           source_id INTEGER, citizen_id TEXT, version INTEGER, payload_hash TEXT, receipt TEXT, body TEXT)""")
        self.db.execute("CREATE INDEX IF NOT EXISTS packet_citizen ON packet (citizen_id, version)")

    def by_key(self, packet_id: str):
        return self.db.execute("SELECT receipt, payload_hash FROM packet WHERE packet_id = ?", (packet_id,)).fetchone()

    def latest(self, citizen_id: str):
        return self.db.execute("SELECT version, payload_hash, receipt, body FROM packet WHERE citizen_id = ? ORDER BY version DESC LIMIT 1",
                               (citizen_id,)).fetchone()

    def add(self, agency: str, packet: dict) -> str:
        record, receipt = packet["record"], "QG-" + uuid.uuid4().hex[:16].upper()
        self.db.execute("INSERT INTO packet (packet_id, agency, source_id, citizen_id, version, payload_hash, receipt, body) VALUES (?,?,?,?,?,?,?,?)",
                        (packet["packet_id"], agency, record["source_id"], record["citizen_id"], record["version"], record["payload_hash"],
                         receipt, json.dumps(packet, ensure_ascii=False)))
        return receipt

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM packet").fetchone()[0]

    def sent_by(self, agency: str, after: int, limit: int) -> list[tuple]:
        return self.db.execute("SELECT seq, source_id, version, payload_hash, receipt FROM packet WHERE agency = ? AND seq > ? ORDER BY seq LIMIT ?",
                               (agency, after, limit)).fetchall()


class Simulator:
    """The service: start() on a port (0 for any free one), stop(); `control` changes its behaviour while it runs."""

    def __init__(self, files: Files, trust_roots: list[x509.Certificate], *, store: str = ":memory:", host: str = "127.0.0.1", port: int = 0):
        self.store = Store(store)
        self.roots = trust_roots
        self.faults = {"fail": 0, "status": 503, "timeout": 0, "delay": 0.0, "reject": 0, "hang_seconds": 5.0}
        self.requests = 0
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(files.ca))
        context.load_cert_chain(str(files.server_cert), str(files.server_key))
        context.verify_mode = ssl.CERT_REQUIRED
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"https://{host}:{port}{BASE}"

    def start(self) -> "Simulator":
        self.thread = threading.Thread(target=self.server.serve_forever, name="national-simulator", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def control(self, **faults) -> None:
        unknown = set(faults) - set(self.faults)
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        with self.store.lock:
            self.faults.update(faults)

    def _fault(self) -> str | None:
        """The fault this request meets, counting it down."""
        with self.store.lock:
            self.requests += 1
            for fault in ("timeout", "fail"):
                if self.faults[fault] > 0:
                    self.faults[fault] -= 1
                    return fault
        return None

    def receive(self, agency: str, body) -> tuple[int, dict]:
        if not isinstance(body, dict) or not isinstance(body.get("packets"), list) or not body["packets"]:
            return 400, {"detail": "expected {\"packets\": [...]}"}
        results = []
        with self.store.lock:
            self.store.db.execute("BEGIN")
            try:
                for packet in body["packets"]:
                    results.append(self._one(agency, packet))
                self.store.db.execute("COMMIT")
            except BaseException:
                self.store.db.execute("ROLLBACK")
                raise
        return 200, {"results": results}

    def _one(self, agency: str, packet) -> dict:
        packet_id = str(packet.get("packet_id", "")) if isinstance(packet, dict) else ""
        problems = packet_format.problems(packet)
        if problems:
            return {"packet_id": packet_id, "status": "rejected", "reason": "schema: " + "; ".join(problems)}
        known = self.store.by_key(packet_id)
        if known is not None:
            if known[1] != packet["record"]["payload_hash"]:
                return {"packet_id": packet_id, "status": "rejected", "reason": "packet_id already used for other content"}
            return {"packet_id": packet_id, "status": "acknowledged", "receipt": known[0], "duplicate": True}
        if self.faults["reject"] > 0:
            self.faults["reject"] -= 1
            return {"packet_id": packet_id, "status": "rejected", "reason": "refused by the operator of the simulator"}
        reason = self._invalid(agency, packet)
        if reason:
            return {"packet_id": packet_id, "status": "rejected", "reason": reason}
        record = packet["record"]
        latest = self.store.latest(record["citizen_id"])
        if latest is not None and latest[0] >= record["version"]:
            if latest[0] == record["version"] and latest[1] == record["payload_hash"]:
                return {"packet_id": packet_id, "status": "acknowledged", "receipt": latest[2], "duplicate": True}
            return {"packet_id": packet_id, "status": "rejected", "reason": f"version {record['version']} is not newer than {latest[0]}"}
        if latest is not None and record["previous_hash"] != latest[1]:
            return {"packet_id": packet_id, "status": "rejected",
                    "reason": f"out of order: version {record['version']} does not follow the version {latest[0]} held"}
        return {"packet_id": packet_id, "status": "acknowledged", "receipt": self.store.add(agency, packet)}

    def _invalid(self, agency: str, packet: dict) -> str:
        record, payload = packet["record"], packet["payload"]
        if packet["sender"]["agency_code"] != agency:
            return "sender.agency_code differs from the agency of the connection"
        signed = packet_format.signed_bytes(packet)
        if payload_hash(signed) != record["payload_hash"]:
            return "payload does not hash to record.payload_hash"
        identity = payload["record"].get("identity") or {}
        if identity.get("citizen_id") != record["citizen_id"] or payload["version"] != record["version"] or payload["unit"] not in ("", record["unit_code"]) \
                or payload["previous"] != record["previous_hash"]:
            return "record header differs from the signed payload"
        try:
            signature = base64.b64decode(packet["signature"], validate=True)
        except (binascii.Error, ValueError):
            return "signature is not base64"
        result = verify(signed, signature, self.roots)
        return "" if result.valid else f"signature: {result.reason}"

    def acknowledged(self, agency: str, query: dict) -> tuple[int, dict]:
        try:
            after, limit = int(query.get("after", ["0"])[0]), min(int(query.get("limit", ["1000"])[0]), 10_000)
        except ValueError:
            return 400, {"detail": "after and limit are numbers"}
        rows = self.store.sent_by(agency, after, limit)
        items = [{"seq": seq, "source_id": source, "version": version, "payload_hash": digest, "receipt": receipt}
                 for seq, source, version, digest, receipt in rows]
        return 200, {"items": items, "next": rows[-1][0] if len(rows) == limit else None}


def _handler(simulator: Simulator):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as NDXP clients expect

        def _agency(self) -> str | None:
            """The agency of the connection: its client certificate's common name, which must match the header."""
            der = self.connection.getpeercert(binary_form=True)
            names = x509.load_der_x509_certificate(der).subject.get_attributes_for_oid(NameOID.COMMON_NAME) if der else []
            agency = names[0].value if names else None
            if not self.headers.get("X-NDXP-Service-Code") or self.headers.get("X-NDXP-Agency-Code") != agency:
                return None
            return agency

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            parts = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, {"detail": "body too large"})
                return
            raw = self.rfile.read(length) if length else b""
            if simulator.faults["delay"]:
                time.sleep(simulator.faults["delay"])
            fault = simulator._fault()
            if fault == "timeout":
                time.sleep(simulator.faults["hang_seconds"])
                self.close_connection = True
                return
            if fault == "fail":
                self._answer(simulator.faults["status"], {"detail": "simulated failure"})
                return
            agency = self._agency()
            if agency is None:
                self._answer(403, {"detail": "X-NDXP-Agency-Code must name the client certificate's agency, with a service code"})
                return
            path = parts.path.removeprefix(BASE)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                self._answer(400, {"detail": "body is not JSON"})
                return
            if method == "POST" and path == "/packets":
                self._answer(*simulator.receive(agency, body))
            elif method == "POST" and path == "/_control" and isinstance(body, dict):
                try:
                    simulator.control(**body)
                except (TypeError, ValueError) as exc:
                    self._answer(400, {"detail": str(exc)})
                    return
                self._answer(200, simulator.faults)
            elif method == "GET" and path.startswith("/records/"):
                latest = simulator.store.latest(urllib.parse.unquote(path.removeprefix("/records/")))
                self._answer(200, {"packet": json.loads(latest[3])}) if latest else self._answer(404, {"detail": "no record"})
            elif method == "GET" and path == "/acknowledged":
                self._answer(*simulator.acknowledged(agency, urllib.parse.parse_qs(parts.query)))
            else:
                self._answer(404, {"detail": "no such endpoint"})

        def do_GET(self):
            self._route("GET")

        def do_POST(self):
            self._route("POST")

        def log_message(self, format, *args):
            pass

    return Handler


@contextlib.contextmanager
def running(files: Files, trust_roots: list[x509.Certificate], store: str | Path = ":memory:"):
    """A simulator on an ephemeral loopback port while the block runs."""
    simulator = Simulator(files, trust_roots, store=str(store)).start()
    try:
        yield simulator
    finally:
        simulator.stop()
