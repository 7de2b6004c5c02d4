import base64
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation

from backups import databases
from people import services as people
from tests.people.conftest import RECORD

KEY = base64.b64encode(b"k" * 32).decode()
OTHER_KEY = base64.b64encode(b"o" * 32).decode()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n% sao luu\n"
POSTGRES = connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English; the site's own language is Vietnamese."""
    with translation.override("en"):
        yield


@pytest.fixture
def backup_settings(settings, tmp_path):
    """Backups into a temporary directory with a known key; the documents in a temporary directory too."""
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_KEY = KEY
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                           "OPTIONS": {"location": str(tmp_path / "media")}}}
    return settings


@pytest.fixture
def document(person, admin_user, backup_settings):
    """The person's change set with a scanned proof: one stored document."""
    change_set = people.edit_sections(admin_user, person, {"contacts": {**RECORD["contacts"], "phone": "0900000009"}})
    return people.attach_document(admin_user, change_set, section_name="contacts", upload=SimpleUploadedFile("proof.pdf", PDF)).document


def database_url(settings_dict: dict) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = f"{settings_dict.get('HOST') or ''}:{settings_dict.get('PORT') or 5432}"
    return f"postgres://{settings_dict.get('USER') or ''}{password}@{host}/{settings_dict['NAME']}"


def application_database(tmp_path) -> str:
    """A URL another process can open onto the test database: PostgreSQL's test database itself (the tests here commit), or a copy
    of SQLite's test database, which lives in this process's memory."""
    if POSTGRES:
        return database_url(connection.settings_dict)
    copy = tmp_path / "application.sqlite3"
    databases.sqlite_snapshot(copy)
    return f"sqlite:///{copy}"


def run_django(script: str, env: dict, timeout: int = 120, **popen) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + script], cwd=django_settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=timeout, **popen)


def process_env(tmp_path, database: str, media: Path) -> dict:
    inherited = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL")}
    return {**inherited, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": database, "VAR_DIR": str(tmp_path / "var"),
            "BACKUP_DIR": str(django_settings.BACKUP_DIR), "BACKUP_KEY": KEY, "MEDIA_ROOT": str(media)}


@dataclass
class Target:
    url: str
    settings_dict: dict


@pytest.fixture
def restore_target(tmp_path):
    """An empty database to restore into, of the test database's engine; dropped afterwards."""
    if not POSTGRES:
        path = tmp_path / "restored.sqlite3"
        yield Target(f"sqlite:///{path}", {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)})
        return
    name = f"{connection.settings_dict['NAME'][:40]}_restored_{secrets.token_hex(3)}"
    target = {**connection.settings_dict, "NAME": name}
    yield Target(database_url(target), target)
    databases.pg_drop_database(databases.pg_params(connection.settings_dict), name, maintenance=connection.settings_dict["NAME"])
