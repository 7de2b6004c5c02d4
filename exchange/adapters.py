"""The exchange with the national database through NDXP, the national data integration and sharing platform (R-11.2,
Decree 47/2020/NĐ-CP), over HTTPS with mutual TLS (R-18.2).

The platform's service and agency codes go in headers; endpoints, certificates and codes come from settings
(EXCHANGE_*). The local national-database simulator (exchange/simulator.py) answers the same protocol on loopback, so
the tests and the demo drive this very code. Without EXCHANGE_URL nothing is sent: packets wait in the outbox.
"""

import http.client
import json
import ssl
import urllib.parse
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _

ACKNOWLEDGED, ACCEPTED, REJECTED = "acknowledged", "accepted", "rejected"


class Unavailable(Exception):
    """The national side could not be reached or failed; the packets will be tried again."""


@dataclass(frozen=True)
class Result:
    packet_id: str
    status: str  # ACKNOWLEDGED, ACCEPTED (stored, acknowledgement to come) or REJECTED
    receipt: str = ""
    reason: str = ""


class Exchange(Protocol):
    def send(self, packets: list[dict]) -> list[Result]: ...

    def fetch(self, citizen_id: str) -> dict | None: ...

    def acknowledged(self, after: int = 0, limit: int = 1000) -> tuple[list[dict], int | None]: ...

    def close(self) -> None: ...


class Ndxp:
    """NDXP over HTTPS: one kept-alive connection, mutual TLS, JSON bodies."""

    def __init__(self, url: str, *, client_cert: str = "", client_key: str = "", ca_bundle: str = "", service_code: str = "",
                 agency_code: str = "", timeout: float = 30.0):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in {"https", "http"} or not parts.hostname:
            raise ValueError(f"EXCHANGE_URL: not an http(s) URL: {url!r}")
        self.host, self.port, self.base = parts.hostname, parts.port, parts.path.rstrip("/")
        self.secure = parts.scheme == "https"
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json", "Accept": "application/json",
                        "X-NDXP-Service-Code": service_code, "X-NDXP-Agency-Code": agency_code}
        self.context = None
        if self.secure:
            self.context = ssl.create_default_context(cafile=ca_bundle or None)
            if client_cert:
                self.context.load_cert_chain(client_cert, client_key or None)
        self.connection = None

    def _connect(self):
        if self.connection is None:
            if self.secure:
                self.connection = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.context)
            else:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.connection

    def _call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() if body is not None else None
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile is opened once more
            connection = self._connect()
            try:
                connection.request(method, self.base + path, body=data, headers=self.headers)
                response = connection.getresponse()
                raw = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if attempt == 2:
                    raise Unavailable(_("The national database closed the connection (%(error)s).") % {"error": exc}) from exc
            except TimeoutError as exc:
                self.close()
                raise Unavailable(_("The national database did not answer within %(seconds)s s.") % {"seconds": self.timeout}) from exc
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise Unavailable(_("The national database cannot be reached (%(error)s).") % {"error": exc}) from exc
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {}
        if response.status >= 500 or response.status in {401, 403, 408, 429}:
            detail = answer.get("detail") if isinstance(answer, dict) else ""
            raise Unavailable(_("The national database answered %(status)s %(detail)s.") % {"status": response.status, "detail": detail or ""})
        return response.status, answer if isinstance(answer, dict) else {}

    def send(self, packets: list[dict]) -> list[Result]:
        status, answer = self._call("POST", "/packets", {"packets": packets})
        if status >= 400:
            reason = str(answer.get("detail") or status)
            return [Result(packet["packet_id"], REJECTED, reason=reason) for packet in packets]
        by_id = {str(row.get("packet_id")): row for row in answer.get("results", []) if isinstance(row, dict)}
        results = []
        for packet in packets:
            row = by_id.get(packet["packet_id"])
            if row is None or row.get("status") not in {ACKNOWLEDGED, ACCEPTED, REJECTED}:
                raise Unavailable(_("The national database did not answer for every packet."))
            results.append(Result(packet["packet_id"], row["status"], str(row.get("receipt") or ""), str(row.get("reason") or "")))
        return results

    def fetch(self, citizen_id: str) -> dict | None:
        status, answer = self._call("GET", f"/records/{urllib.parse.quote(citizen_id)}")
        if status == 404:
            return None
        if status >= 400 or not isinstance(answer.get("packet"), dict):
            raise Unavailable(_("The national database answered %(status)s %(detail)s.") % {"status": status, "detail": answer.get("detail", "")})
        return answer["packet"]

    def acknowledged(self, after: int = 0, limit: int = 1000) -> tuple[list[dict], int | None]:
        """What the national side holds from this agency: (source_id, version, payload_hash, receipt) rows by sequence."""
        status, answer = self._call("GET", f"/acknowledged?after={after}&limit={limit}")
        if status >= 400:
            raise Unavailable(_("The national database answered %(status)s %(detail)s.") % {"status": status, "detail": answer.get("detail", "")})
        return list(answer.get("items", [])), answer.get("next")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def configured() -> bool:
    return bool(settings.EXCHANGE_URL)


def connect() -> Exchange:
    return Ndxp(settings.EXCHANGE_URL, client_cert=settings.EXCHANGE_CLIENT_CERT, client_key=settings.EXCHANGE_CLIENT_KEY,
                ca_bundle=settings.EXCHANGE_CA_BUNDLE, service_code=settings.EXCHANGE_SERVICE_CODE,
                agency_code=settings.EXCHANGE_AGENCY_CODE, timeout=settings.EXCHANGE_TIMEOUT)
