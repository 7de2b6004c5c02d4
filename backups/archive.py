"""The backup file format: a tar archive encrypted with AES-256-GCM in chunks (R-10.2, R-16.4).

    MAGIC | header length (4 bytes) | header (JSON) | chunk | chunk | ... | last chunk
    chunk = ciphertext length (4 bytes) | nonce (12 bytes) | ciphertext with its 16-byte tag

The header names the key (its id and a check value), the file's random salt and the database engine. Each file is
encrypted under its own key, derived by HKDF from the backup key and the salt. Every chunk has its own random nonce, and
its associated data binds it to the header, its position and whether it is the last: a changed byte, a changed header,
a chunk moved, dropped or added, and a file cut short are all detected when it is read.

Keys come from BACKUP_KEY like the field master keys (common.crypto): base64 of 32 bytes, or "id:base64", comma
separated, the first one encrypting and every one decrypting, so the backups made before a key change stay readable.
Without BACKUP_KEY outside production, a key file is made under VAR_DIR on first use.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ServiceError

MAGIC = b"CBCCVC-BACKUP\x00"
FORMAT = 1
CHUNK = 4 * 1024 * 1024  # plaintext bytes per chunk
_LENGTH = struct.Struct(">I")
_POSITION = struct.Struct(">QB")  # chunk index, last chunk
_MAX_HEADER = 64 * 1024


class BackupFileError(ServiceError):
    """A file that is not a readable backup: not one of ours, encrypted with another key, cut short or damaged."""


def _fingerprint(raw: bytes) -> str:
    return hashlib.sha256(b"cbccvc-backup-key-id:" + raw).hexdigest()[:16]


def _check_value(raw: bytes) -> str:
    return hmac.new(raw, b"cbccvc-backup-key-check", hashlib.sha256).hexdigest()[:32]


def _key_file_value() -> str:
    """The demo's and the tests' key, made once under VAR_DIR; production sets BACKUP_KEY instead."""
    if getattr(settings, "PRODUCTION", False):
        raise ServiceError(_("BACKUP_KEY must be set in production: base64 of 32 bytes (docs/backups.md)."))
    path = Path(settings.BACKUP_KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile
            pass
        else:
            with os.fdopen(descriptor, "w") as out:
                out.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode() + "\n")
    return path.read_text().strip()


def backup_keys() -> list[tuple[str, bytes]]:
    """(key id, key) pairs, the first one encrypting. A key without an id is named by its fingerprint."""
    value = settings.BACKUP_KEY.strip() or _key_file_value()
    keys = []
    for item in value.split(","):
        key_id, _sep, encoded = item.strip().rpartition(":")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise ServiceError(_("BACKUP_KEY is base64 of 32 bytes, or id:base64 of 32 bytes, comma-separated."))
        keys.append((key_id.strip() or _fingerprint(raw), raw))
    return keys


def _file_key(raw: bytes, salt: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"cbccvc-backup-file").derive(raw))


class EncryptingWriter:
    """A write-only file object that encrypts what it is given, chunk by chunk, into `out`; close() writes the last chunk.
    It keeps the SHA-256 and the size of what it wrote."""

    def __init__(self, out, engine: str):
        key_id, raw = backup_keys()[0]
        salt = os.urandom(16)
        self.key_id, self.out, self.chunk_size = key_id, out, CHUNK
        header = json.dumps({"format": FORMAT, "key_id": key_id, "key_check": _check_value(raw), "salt": salt.hex(), "chunk": self.chunk_size,
                             "engine": engine, "created_at": timezone.now().isoformat()}, sort_keys=True).encode()
        self.sha256, self.size, self.index = hashlib.sha256(), 0, 0
        self._aead, self._buffer = _file_key(raw, salt), bytearray()
        prefix = MAGIC + _LENGTH.pack(len(header)) + header
        self._aad = hashlib.sha256(prefix).digest()
        self._raw(prefix)

    def _raw(self, data: bytes) -> None:
        self.out.write(data)
        self.sha256.update(data)
        self.size += len(data)

    def _chunk(self, plain: bytes, last: bool) -> None:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plain, self._aad + _POSITION.pack(self.index, last))
        self._raw(_LENGTH.pack(len(sealed)) + nonce + sealed)
        self.index += 1

    def write(self, data) -> int:
        self._buffer += data
        while len(self._buffer) >= self.chunk_size:
            self._chunk(bytes(self._buffer[:self.chunk_size]), last=False)
            del self._buffer[:self.chunk_size]
        return len(data)

    def close(self) -> None:
        self._chunk(bytes(self._buffer), last=True)
        self._buffer.clear()


class HashingReader:
    """Reads a file and keeps the SHA-256 of what was read."""

    def __init__(self, raw):
        self.raw, self.sha256 = raw, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha256.update(data)
        return data


class DecryptingReader:
    """A read-only file object over an encrypted backup: read() returns the archive's bytes, each chunk checked first.

    Opening it reads the header and refuses a file that is not a backup or is encrypted with a key this system does not
    hold. finish() reads to the end, so a file whose tail was cut or damaged is found even when the archive ends early."""

    def __init__(self, raw, name: str):
        self.raw, self.name = raw, name
        if raw.read(len(MAGIC)) != MAGIC:
            raise BackupFileError(_("%(name)s is not a backup of this system, or its beginning is damaged.") % {"name": name})
        length = raw.read(_LENGTH.size)
        size = _LENGTH.unpack(length)[0] if len(length) == _LENGTH.size else 0
        body = raw.read(size) if 0 < size <= _MAX_HEADER else b""
        try:
            self.header = json.loads(body)
            key_id, check, salt = self.header["key_id"], self.header["key_check"], bytes.fromhex(self.header["salt"])
            self._limit = int(self.header["chunk"]) + 16
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupFileError(_("%(name)s is damaged: its header cannot be read.") % {"name": name}) from exc
        keys = backup_keys()
        raw_key = dict(keys).get(key_id)
        if raw_key is None:
            raise BackupFileError(_("%(name)s was encrypted with another key (key id %(key)s); this system holds the keys %(ours)s. "
                                    "Set BACKUP_KEY to the key the backup was made with.")
                                  % {"name": name, "key": key_id, "ours": ", ".join(k for k, _raw in keys)})
        if not hmac.compare_digest(_check_value(raw_key), str(check)):
            raise BackupFileError(_("%(name)s was encrypted with another key that has the same id %(key)s as one of this system's keys. "
                                    "Set BACKUP_KEY to the key the backup was made with.") % {"name": name, "key": key_id})
        self.key_id = key_id
        self._aead = _file_key(raw_key, salt)
        self._aad = hashlib.sha256(MAGIC + length + body).digest()
        self._pending, self.index, self.ended = b"", 0, False

    def _damaged(self) -> BackupFileError:
        return BackupFileError(_("%(name)s is damaged: part %(index)s does not decrypt (the file was changed or corrupted).")
                               % {"name": self.name, "index": self.index + 1})

    def _cut(self) -> BackupFileError:
        return BackupFileError(_("%(name)s is incomplete: it ends before its last part (cut short, for example by an interrupted copy).")
                               % {"name": self.name})

    def _next(self) -> bytes:
        length = self.raw.read(_LENGTH.size)
        if not length:
            raise self._cut()
        size = _LENGTH.unpack(length)[0] if len(length) == _LENGTH.size else -1
        if size < 16 or size > self._limit:
            raise self._cut() if len(length) < _LENGTH.size else self._damaged()
        nonce, sealed = self.raw.read(12), self.raw.read(size)
        if len(nonce) < 12 or len(sealed) < size:
            raise self._cut()
        for last in (False, True):
            try:
                plain = self._aead.decrypt(nonce, sealed, self._aad + _POSITION.pack(self.index, last))
            except InvalidTag:
                continue
            self.index += 1
            if last:
                self.ended = True
                if self.raw.read(1):
                    raise BackupFileError(_("%(name)s is damaged: it has data after its last part.") % {"name": self.name})
            return plain
        raise self._damaged()

    def read(self, size: int = -1) -> bytes:
        parts, have = [self._pending], len(self._pending)
        while (size < 0 or have < size) and not self.ended:
            plain = self._next()
            parts.append(plain)
            have += len(plain)
        data = b"".join(parts)
        if size < 0:
            self._pending = b""
            return data
        self._pending = data[size:]
        return data[:size]

    def finish(self) -> None:
        """Read and check what is left after the archive's end: every chunk up to the last one."""
        while not self.ended:
            self._next()
        self._pending = b""


def read_header(path: Path) -> dict:
    """Open a backup file far enough to know it is readable with this system's keys; its header."""
    with open(path, "rb") as raw:
        return DecryptingReader(raw, path.name).header
