"""The backup key (R-10.2, R-16.4): from the environment like the field master keys; a key file only outside production."""

import base64
import stat

import pytest

from backups import archive, services
from common.errors import ServiceError


def test_without_backup_key_a_key_file_is_made_once_outside_production_R_10_2(settings, tmp_path):
    settings.BACKUP_KEY, settings.BACKUP_KEY_FILE = "", tmp_path / "backup.key"
    first = archive.backup_keys()
    assert first == archive.backup_keys() and len(first[0][1]) == 32
    assert stat.S_IMODE(settings.BACKUP_KEY_FILE.stat().st_mode) == 0o600


@pytest.mark.django_db
def test_production_requires_backup_key_and_a_malformed_key_is_refused_R_10_2(settings, tmp_path):
    settings.BACKUP_KEY, settings.BACKUP_KEY_FILE, settings.PRODUCTION = "", tmp_path / "backup.key", True
    settings.BACKUP_DIR = tmp_path / "backups"
    with pytest.raises(ServiceError, match="BACKUP_KEY must be set in production"):
        services.create_backup()
    assert not settings.BACKUP_KEY_FILE.exists()
    settings.BACKUP_KEY = "k1:" + base64.b64encode(b"short").decode()
    with pytest.raises(ServiceError, match="base64 of 32 bytes"):
        archive.backup_keys()
    settings.BACKUP_KEY = "k1:" + base64.b64encode(b"x" * 32).decode() + "," + base64.b64encode(b"y" * 32).decode()
    (current, _raw), (second, _raw2) = archive.backup_keys()
    assert current == "k1" and len(second) == 16  # a key without an id is named by its fingerprint
