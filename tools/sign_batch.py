"""Sign a batch of approvals from the approver's own computer: a reference client for external signing (R-3.11).

A Vietnamese CA's signing plugin (for a USB token) or remote signing service does what this tool does: the server prepares,
for each record version to approve, the bytes to sign (CMS signed attributes); the key signs them where it lives and the
tool sends the signatures back, so the private key never reaches the server. The key is a PKCS#12 file or a key on a
PKCS#11 token (python-pkcs11). Standard library and `cryptography` only: no Django, nothing from the project.

    SIGN_P12_PASSWORD=... python tools/sign_batch.py --api https://host/api/v1/ --token TOKEN --p12 key.p12 --kind unsigned

Exit codes: 0 signed (or nothing to sign), 1 nothing approved (refused by the server, failed or cancelled), 2 usage.
"""

import argparse
import base64
import hashlib
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

OK, REFUSED, USAGE = 0, 1, 2
TIMEOUT = 300  # seconds; preparing or completing 10,000 items takes a while
PAGE = 1000  # the largest page the server lists


class Failure(Exception):
    """Nothing was approved: the server refused, or the network or the key failed. Exit code 1."""


class UsageError(Exception):
    """The command line, the environment or the key given cannot be used. Exit code 2."""


# ---- the server ----

class Api:
    def __init__(self, base: str, token: str, language: str):
        if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
            raise UsageError(f"--api must be an http(s) address, not {base!r}.")
        self.base = base if base.endswith("/") else base + "/"
        # The server answers in Vietnamese unless the language cookie picks another language.
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "Accept-Language": language,
                        "Cookie": f"django_language={language}"}

    def call(self, method: str, path: str, body: dict | None = None, query: dict | None = None):
        url = urllib.parse.urljoin(self.base, path)
        if query:
            url += "?" + urllib.parse.urlencode({key: value for key, value in query.items() if value is not None})
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - the scheme is checked in __init__
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 - the scheme is checked in __init__
                return json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise Failure(_refusal(exc)) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise Failure(f"The server {self.base} cannot be reached: {getattr(exc, 'reason', exc)}") from exc
        except ValueError as exc:
            raise Failure(f"The server {self.base} did not answer with JSON; is --api the API's address (…/api/v1/)?") from exc


def _refusal(error: urllib.error.HTTPError) -> str:
    """The server's reason, from its JSON error ({"detail", "field"}, or a list of validation errors)."""
    if error.code == 401:
        return "The API token was refused: mistyped, expired or revoked."
    try:
        detail = json.loads(error.read()).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):
        detail = "; ".join(f"{'.'.join(str(part) for part in entry.get('loc', []))}: {entry.get('msg', '')}" for entry in detail)
    return f"{detail or error.reason} (HTTP {error.code})"


# ---- the key ----

def _raw_sign(key, data: bytes) -> bytes:
    """SHA-256 signature of data: RSA PKCS#1 v1.5, or ECDSA DER-encoded, as CMS expects."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


class FileKey:
    """A key, its certificate and chain from a PKCS#12 file."""

    def __init__(self, path: str, password: str | None):
        try:
            with open(path, "rb") as file:
                data = file.read()
        except OSError as exc:
            raise UsageError(f"The PKCS#12 file cannot be read: {exc}") from exc
        try:
            key, certificate, chain = pkcs12.load_key_and_certificates(data, password.encode() if password is not None else None)
        except ValueError as exc:
            raise UsageError(f"{path} cannot be opened: wrong password, or not a PKCS#12 file.") from exc
        if key is None or certificate is None:
            raise UsageError(f"{path} holds no key and certificate.")
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise UsageError("Only RSA and EC keys can sign approvals.")
        self.key, self.certificate, self.chain = key, certificate, list(chain)

    def sign(self, data: bytes) -> bytes:
        return _raw_sign(self.key, data)

    def close(self) -> None:
        pass


class TokenKey:
    """A key on a PKCS#11 token (USB token, HSM), and the certificate stored beside it under the same label."""

    def __init__(self, library: str, token_label: str, key_label: str, pin: str):
        try:  # only this path needs python-pkcs11
            import pkcs11
            from pkcs11 import Attribute, KeyType, ObjectClass
            from pkcs11.exceptions import PKCS11Error
        except ImportError as exc:
            raise UsageError("Signing with a token needs python-pkcs11: pip install python-pkcs11") from exc
        self.session = None
        try:
            self.session = pkcs11.lib(library).get_token(token_label=token_label).open(user_pin=pin)
            self.key = self.session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)
            found = list(self.session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: key_label}))
            if len(found) != 1:
                raise UsageError(f"The token holds {len(found)} certificates labelled {key_label!r}; one is needed.")
            self.certificate = x509.load_der_x509_certificate(found[0][Attribute.VALUE])
            if self.key.key_type not in (KeyType.RSA, KeyType.EC):
                raise UsageError("Only RSA and EC keys can sign approvals.")
            self.rsa = self.key.key_type == KeyType.RSA
        except UsageError:
            self.close()
            raise
        except (PKCS11Error, RuntimeError, OSError, ValueError) as exc:  # library not found, no such token or key, PIN refused, bad certificate
            self.close()
            raise UsageError(f"The token cannot be used: {exc.__class__.__name__} {exc}".strip()) from exc
        self.chain: list[x509.Certificate] = []

    def sign(self, data: bytes) -> bytes:
        from pkcs11 import Mechanism
        from pkcs11.exceptions import PKCS11Error
        from pkcs11.util.ec import encode_ecdsa_signature

        try:
            if self.rsa:
                return self.key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS)
            # Many tokens offer only plain ECDSA over a digest: hash here. The token gives r || s; CMS wants DER.
            return encode_ecdsa_signature(self.key.sign(hashlib.sha256(data).digest(), mechanism=Mechanism.ECDSA))
        except PKCS11Error as exc:  # token pulled out, key not allowed to sign, ...
            raise Failure(f"The token could not sign: {exc.__class__.__name__}") from exc

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


def _certificates_pem(key, extra_chain: str | None) -> str:
    """The signer's certificate, then its chain, in PEM: what the server checks the signatures against."""
    chain = list(key.chain)
    if extra_chain:
        try:
            with open(extra_chain, "rb") as file:
                chain += x509.load_pem_x509_certificates(file.read())
        except (OSError, ValueError) as exc:
            raise UsageError(f"--chain {extra_chain}: not a readable PEM file of certificates ({exc}).") from exc
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in [key.certificate, *chain])


# ---- the flow ----

def _waiting(api: Api, kind: str, unit_id: int | None, limit: int) -> tuple[list[dict], int]:
    """Up to `limit` items waiting for the caller's approval, page by page, and how many wait in all."""
    items, count = [], 0
    while len(items) < limit:
        page = api.call("GET", "approvals/items", query={"kind": kind, "unit_id": unit_id, "limit": min(PAGE, limit - len(items)),
                                                        "offset": len(items)})
        items += page["items"]
        count = page["count"]
        if not page["items"] or len(items) >= count:
            break
    return items, count


def _confirmed(question: str, yes: bool) -> bool:
    if yes:
        return True
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:  # no terminal to answer from: run again with --yes
        return False


def _sign_batch(api: Api, batch: dict, key) -> list[dict]:
    signatures = []
    for item in batch["items"]:
        to_be_signed = base64.b64decode(item["to_be_signed"])
        # The digest is there for tools that sign a hash; here it checks the bytes arrived whole.
        if hashlib.sha256(to_be_signed).hexdigest() != item["digest"]:
            raise Failure(f"Item {item['id']}: the bytes to sign do not match their digest; nothing was sent.")
        signatures.append({"item": item["id"], "signature": base64.b64encode(key.sign(to_be_signed)).decode()})
    return api.call("POST", f"approvals/batches/{batch['id']}/signatures", {"signatures": signatures})


def run(args, key, api: Api) -> int:
    if args.batch is None:
        items, count = _waiting(api, args.kind, args.unit_id, args.limit)
        if not items:
            print("Nothing waits for your approval.")
            return OK
        for item in items:
            print(f"  {item['full_name']}  ({item['token']})")
        shown = f"{len(items)} of {count}" if count > len(items) else str(len(items))
        if not _confirmed(f"Sign {shown} record(s) as {key.certificate.subject.rfc4514_string()}?", args.yes):
            print("Cancelled: nothing was signed.")
            return REFUSED
        batch = api.call("POST", "approvals/batches", {"items": [item["token"] for item in items],
                                                       "certificates": _certificates_pem(key, args.chain)})
    else:
        batch = api.call("GET", f"approvals/batches/{args.batch}")
        if batch["state"] != "prepared":
            raise Failure(f"Batch {batch['id']} is {batch['state']}, not waiting for signatures. {batch['reason']}".strip())
        for item in batch["items"]:
            print(f"  person {item['person_id']}  ({item['token']})")
        if not _confirmed(f"Sign batch {batch['id']} ({len(batch['items'])} record(s))?", args.yes):
            print("Cancelled: nothing was signed.")
            return REFUSED
    print(f"Batch {batch['id']}, valid until {batch['expires_at']}: signing {len(batch['items'])} item(s)...")
    signed = _sign_batch(api, batch, key)
    for version in signed:
        print(f"  person {version['person_id']} version {version['version']}: {version['payload_hash']}")
    print(f"Approved and signed {len(signed)} version(s).")
    return OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sign_batch.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--api", required=True, help="the API's address, e.g. https://host/api/v1/")
    p.add_argument("--token", help="API token (Bearer); default: $SIGN_API_TOKEN, which keeps it out of the shell history")
    keys = p.add_mutually_exclusive_group(required=True)
    keys.add_argument("--p12", metavar="FILE", help="sign with the key of a PKCS#12 file")
    keys.add_argument("--pkcs11-lib", metavar="LIB", help="sign with a key on a token, through this PKCS#11 library")
    p.add_argument("--password-env", metavar="VAR", default="SIGN_P12_PASSWORD", help="environment variable holding the PKCS#12 password")
    p.add_argument("--token-label", metavar="L", help="the token's label (PKCS#11)")
    p.add_argument("--key-label", metavar="K", help="the label of the key and of its certificate on the token (PKCS#11)")
    p.add_argument("--pin-env", metavar="VAR", help="environment variable holding the token's PIN (PKCS#11)")
    p.add_argument("--chain", metavar="PEM", help="intermediate certificates to send with the signer's, when the key does not carry them")
    p.add_argument("--kind", choices=("changes", "unsigned"), default="changes",
                   help="submitted changes, or records never signed (first campaign); default: changes")
    p.add_argument("--unit-id", type=int, help="only this unit's records")
    p.add_argument("--limit", type=int, default=100, help="sign at most this many items (default 100)")
    p.add_argument("--batch", type=int, metavar="ID", help="sign an existing batch instead of listing and preparing one")
    p.add_argument("--language", choices=("en", "vi"), default="en", help="language of the server's messages (default en)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 for --help
        return exc.code if isinstance(exc.code, int) else USAGE
    key = None
    try:
        token = args.token or os.environ.get("SIGN_API_TOKEN")
        if not token:
            raise UsageError("Give the API token: --token, or SIGN_API_TOKEN in the environment.")
        if not 1 <= args.limit <= 10_000:
            raise UsageError("--limit: from 1 to 10000 (the largest batch).")
        api = Api(args.api, token, args.language)
        if args.p12:
            key = FileKey(args.p12, os.environ.get(args.password_env))
        else:
            missing = [name for name in ("token_label", "key_label", "pin_env") if not getattr(args, name)]
            if missing:
                raise UsageError("--pkcs11-lib needs " + ", ".join("--" + name.replace("_", "-") for name in missing) + ".")
            pin = os.environ.get(args.pin_env)
            if not pin:
                raise UsageError(f"Set the token's PIN in the environment variable {args.pin_env}.")
            key = TokenKey(args.pkcs11_lib, args.token_label, args.key_label, pin)
        return run(args, key, api)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE
    except Failure as exc:
        print(f"Nothing was approved: {exc}", file=sys.stderr)
        return REFUSED
    finally:
        if key is not None:
            key.close()


if __name__ == "__main__":
    sys.exit(main())
