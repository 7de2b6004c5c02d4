"""Envelope encryption of sensitive fields and blind indexes for equality search (R-4.3, R-16.4).

Each sealed value is AES-256-GCM under a data key; data keys are stored wrapped by a master key
from FIELD_MASTER_KEYS ("id:base64,..."; the first is current). Rotating the master key re-wraps
the few data keys; rotating a data key re-encrypts rows in batches (`manage.py rotate_keys`).
"""

import base64
import hashlib
import hmac
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from .models import DataKey

_unwrapped: dict[int, bytes] = {}  # data keys never change once made, so a process may keep them


def master_keys() -> list[tuple[str, bytes]]:
    keys = []
    for item in settings.FIELD_MASTER_KEYS.split(","):
        key_id, _sep, encoded = item.strip().partition(":")
        raw = base64.b64decode(encoded)
        if not key_id or len(raw) != 32:
            raise ImproperlyConfigured("FIELD_MASTER_KEYS entries are id:base64 of 32 bytes")
        keys.append((key_id, raw))
    return keys


def _master(key_id: str) -> bytes:
    for found_id, raw in master_keys():
        if found_id == key_id:
            return raw
    raise ImproperlyConfigured(f"master key {key_id} is not in FIELD_MASTER_KEYS")


def _wrap(raw: bytes, master_id: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_master(master_id)).encrypt(nonce, raw, b"data-key")


def _unwrap(key: DataKey) -> bytes:
    if key.pk not in _unwrapped:
        blob = bytes(key.wrapped)
        _unwrapped[key.pk] = AESGCM(_master(key.master_key_id)).decrypt(blob[:12], blob[12:], b"data-key")
    return _unwrapped[key.pk]


def current_data_key() -> DataKey:
    key = DataKey.objects.filter(retired_at__isnull=True).order_by("-pk").first()
    if key is None:
        key = new_data_key()
    return key


def new_data_key() -> DataKey:
    """Make a data key, wrapped under the current master key, and retire the others."""
    master_id = master_keys()[0][0]
    DataKey.objects.filter(retired_at__isnull=True).update(retired_at=timezone.now())
    return DataKey.objects.create(wrapped=_wrap(AESGCM.generate_key(bit_length=256), master_id), master_key_id=master_id)


def rewrap_data_keys() -> int:
    """Wrap every data key under the current master key (after a master key is added in front); data rows are untouched."""
    master_id = master_keys()[0][0]
    changed = 0
    for key in DataKey.objects.exclude(master_key_id=master_id):
        key.wrapped, key.master_key_id = _wrap(_unwrap(key), master_id), master_id
        key.save(update_fields=["wrapped", "master_key_id"])
        changed += 1
    return changed


def seal(value, key: DataKey) -> bytes:
    """Encrypt a JSON-serializable value; the result holds its nonce."""
    nonce = os.urandom(12)
    plain = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
    return nonce + AESGCM(_unwrap(key)).encrypt(nonce, plain, b"field")


def unseal(blob: bytes, key: DataKey):
    blob = bytes(blob)
    return json.loads(AESGCM(_unwrap(key)).decrypt(blob[:12], blob[12:], b"field"))


def blind_index(value: str) -> str:
    """Keyed hash for equality search on an encrypted value (citizen ID): the value itself is never stored in clear."""
    return hmac.new(settings.FIELD_INDEX_KEY.encode(), value.strip().encode(), hashlib.sha256).hexdigest()


def reencrypt(model, batch_size: int = 500) -> int:
    """Re-encrypt, under the current data key, the rows of a model (fields `sealed`, `data_key`) sealed under another.

    Batches commit one by one, so the run can stop and resume; readers see either key meanwhile, both valid.
    """
    key = current_data_key()
    done = 0
    while True:
        with transaction.atomic():
            rows = list(model.objects.select_for_update(of=("self",)).exclude(data_key=key).exclude(sealed=None).select_related("data_key")[:batch_size])
            for row in rows:
                # queryset.update: approved versions refuse save(); the content is unchanged, only its encryption.
                model.objects.filter(pk=row.pk).update(sealed=seal(unseal(row.sealed, row.data_key), key), data_key=key)
        if not rows:
            return done
        done += len(rows)
