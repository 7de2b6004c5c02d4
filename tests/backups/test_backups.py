"""Backups of the database and the stored documents: encrypted, verified by a restore into a scratch database, kept by a
retention policy, restored (R-10.1, R-10.2, R-16.6). They run on the suite's engine: SQLite, or PostgreSQL in CI."""

import hashlib
import os
import signal
import stat
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from backups import archive, databases, services
from backups.models import Backup, BackupCheck
from common.errors import ServiceError
from people.models import Document, Person
from tests.backups.conftest import KEY, OTHER_KEY, PDF, POSTGRES, application_database, process_env, run_django

pytestmark = pytest.mark.django_db(transaction=True)  # a backup reads committed data, as the worker does


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def chunk_ends(path) -> list[int]:
    """The offsets at which each encrypted part of a backup file ends."""
    data = path.read_bytes()
    offset = len(archive.MAGIC)
    offset += 4 + struct.unpack(">I", data[offset:offset + 4])[0]
    ends = []
    while offset < len(data):
        offset += 4 + 12 + struct.unpack(">I", data[offset:offset + 4])[0]
        ends.append(offset)
    return ends


def test_a_backup_holds_the_database_and_documents_and_verifies_against_its_manifest_R_10_1_R_16_6(document, admin_user):
    backup = services.create_backup(actor=admin_user)
    path = services.backup_path(backup)
    assert backup.state == Backup.State.DONE and backup.kind == Backup.Kind.MONTHLY  # the month's first
    assert path.is_file() and backup.size == path.stat().st_size and backup.sha256 == sha256(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert PDF not in path.read_bytes() and b"people_person" not in path.read_bytes()  # encrypted
    manifest = backup.manifest
    assert manifest["tables"]["people_person"]["rows"] == Person.objects.count() == 1
    assert manifest["tables"]["people_document"]["rows"] == 1 and manifest["documents"]["count"] == 1
    assert manifest["storage"] == {"referenced": 1, "missing": 0, "damaged": 0, "examples": []}
    assert backup.key_id == archive.backup_keys()[0][0]

    result = services.verify_backup(path, actor=admin_user)
    assert result.ok, result.message
    assert "tables" in result.message and result.details["documents"] == 1
    backup.refresh_from_db()
    assert backup.verification == Backup.Verification.OK and backup.verified_at
    assert set(BackupCheck.objects.filter(backup=backup).values_list("kind", "result")) == {("storage", "ok"), ("verification", "ok")}
    assert AuditEvent.objects.filter(action="backups.create", outcome="ok").count() == 1
    assert AuditEvent.objects.filter(action="backups.verify", outcome="ok", actor=admin_user).count() == 1

    call_command("verify_backup", backup.file_name)  # the command finds it by its name in BACKUP_DIR
    assert BackupCheck.objects.filter(kind="verification", checked_by=None).count() == 1


def test_one_changed_byte_is_detected_and_recorded_R_16_6(document, admin_user):
    backup = services.create_backup(actor=admin_user)
    path = services.backup_path(backup)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    result = services.verify_backup(path)
    assert not result.ok and "is damaged: part 1 does not decrypt" in result.message
    backup.refresh_from_db()
    assert backup.verification == Backup.Verification.FAILED and "does not decrypt" in backup.verification_message
    assert BackupCheck.objects.get(kind="verification").result == "failed"
    with pytest.raises(CommandError, match="does not decrypt"):
        call_command("verify_backup", str(path))


def test_a_changed_header_or_a_file_that_is_not_a_backup_is_detected_R_16_6(backup_settings, admin_user, tmp_path):
    backup = services.create_backup(actor=admin_user)
    path = services.backup_path(backup)
    data = path.read_bytes()
    header_end = len(archive.MAGIC) + 4 + struct.unpack(">I", data[len(archive.MAGIC):len(archive.MAGIC) + 4])[0]
    edited = data[:header_end].replace(b'"engine"', b'"Engine"') + data[header_end:]
    path.write_bytes(edited)
    assert "does not decrypt" in services.verify_backup(path).message  # the header is bound to every part
    stranger = tmp_path / "not-a-backup.tar.enc"
    stranger.write_bytes(b"PK\x03\x04 a zip file")
    assert "is not a backup of this system" in services.verify_backup(stranger).message


def test_a_truncated_file_is_detected_R_16_6(backup_settings, admin_user, monkeypatch):
    monkeypatch.setattr(archive, "CHUNK", 4096)  # many parts
    backup = services.create_backup(actor=admin_user)
    path = services.backup_path(backup)
    ends = chunk_ends(path)
    assert len(ends) > 3 and ends[-1] == path.stat().st_size
    data = path.read_bytes()
    for size in (ends[1], ends[-2], ends[-1] - 10, len(archive.MAGIC) + 2):  # at a part's end, in a part, in the header
        path.write_bytes(data[:size])
        message = services.verify_backup(path).message
        assert "is incomplete" in message or "header cannot be read" in message, (size, message)
    path.write_bytes(data + b"\0" * 40)
    assert "data after its last part" in services.verify_backup(path).message
    path.write_bytes(data)
    assert services.verify_backup(path).ok


def test_a_backup_encrypted_with_another_key_is_reported_as_such_and_old_keys_still_read_R_10_2(backup_settings, admin_user, restore_target):
    backup = services.create_backup(actor=admin_user)
    path = services.backup_path(backup)
    ours = backup.key_id
    backup_settings.BACKUP_KEY = OTHER_KEY
    result = services.verify_backup(path)
    assert not result.ok and f"was encrypted with another key (key id {ours})" in result.message
    with pytest.raises(ServiceError, match="encrypted with another key"):
        services.restore(path, restore_target.url)
    backup_settings.BACKUP_KEY = f"{ours}:{OTHER_KEY}"  # the same id, another key
    assert "another key that has the same id" in services.verify_backup(path).message
    backup_settings.BACKUP_KEY = f"new:{OTHER_KEY},{KEY}"  # after a key change, the earlier backups stay readable
    assert services.verify_backup(path).ok
    assert services.create_backup().key_id == "new"


def test_restore_into_a_database_that_holds_data_is_refused_without_force_R_10_1(document, admin_user, restore_target, tmp_path):
    backup = services.create_backup(actor=admin_user)
    path = services.backup_path(backup)
    restored_documents = tmp_path / "restored-media"
    stored = restored_documents / document.storage_name
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"changed")  # a document stored differently in the target directory
    with pytest.raises(ServiceError, match="1 stored documents .* differ from the backup's copies: nothing was restored"):
        services.restore(path, restore_target.url, documents_into=restored_documents)
    assert stored.read_bytes() == b"changed" and not target_holds_data(restore_target)
    stored.unlink()
    services.restore(path, restore_target.url, documents_into=restored_documents)
    assert target_holds_data(restore_target) and stored.read_bytes() == PDF

    stored.write_bytes(b"changed")
    with pytest.raises(CommandError, match="The target database is not empty: nothing was restored"):
        call_command("restore", str(path), "--into", restore_target.url, "--documents", str(restored_documents))
    assert stored.read_bytes() == b"changed"
    call_command("restore", str(path), "--into", restore_target.url, "--documents", str(restored_documents), "--force")
    assert stored.read_bytes() == PDF
    assert list(BackupCheck.objects.filter(kind="restore").values_list("result", flat=True)) == ["ok", "ok"]
    assert AuditEvent.objects.filter(action="backups.restore").count() == 2


def target_holds_data(target) -> bool:
    if POSTGRES:
        return bool(databases.pg_has_tables(databases.pg_params(target.settings_dict)))
    return bool(databases.sqlite_has_tables(Path(target.settings_dict["NAME"])))


def test_a_backup_restores_into_an_empty_database_and_the_application_works_R_10_1(document, admin_user, restore_target, tmp_path):
    backup = services.create_backup(actor=admin_user)
    restored_documents = tmp_path / "restored-media"
    result = services.restore(services.backup_path(backup), restore_target.url, documents_into=restored_documents)
    assert result["rows"] == sum(t["rows"] for t in backup.manifest["tables"].values()) and result["documents_written"] == 1
    assert (restored_documents / document.storage_name).read_bytes() == PDF

    script = f"""
from django.core.management import call_command
from django.test import Client
from accounts.models import User
from backups.models import Backup
from people.models import Document, Person
call_command("migrate", "--check", verbosity=0)  # the schema is complete: no migration missing
client = Client()
client.force_login(User.objects.get(username="{admin_user.username}"))
person = Person.objects.get()
page = client.get(f"/people/{{person.pk}}/")
assert page.status_code == 200 and "Nguyễn Văn Dũng" in page.content.decode(), page.status_code
proof = client.get(f"/people/documents/{{Document.objects.get().sha256}}/")
assert proof.status_code == 200 and proof.content == {PDF!r}, proof.status_code
assert client.get("/backups/").status_code == 200
print(Backup.objects.get(pk={backup.pk}).state)
"""
    done = run_django(script, process_env(tmp_path, restore_target.url, restored_documents))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "done"  # the backup it came from is recorded as done there, not left running


def test_a_backup_killed_midway_leaves_the_previous_one_intact_and_the_next_run_succeeds_R_10_1(document, admin_user, tmp_path):
    previous = services.create_backup(actor=admin_user)
    previous_path = services.backup_path(previous)
    previous_hash = sha256(previous_path)
    # `manage.py backup` in another process, stopped for good while it writes its file.
    driver = """
import time
from django.core.management import call_command
from backups import archive
archive.CHUNK = 8192
write = archive.EncryptingWriter._chunk
def stall(self, plain, last):
    write(self, plain, last)
    if self.index == 2:
        self.out.flush()
        print("writing", flush=True)
        time.sleep(300)
archive.EncryptingWriter._chunk = stall
call_command("backup", "--no-verify")
"""
    env = process_env(tmp_path, application_database(tmp_path), tmp_path / "media")
    process = subprocess.Popen([sys.executable, "-c", "import django; django.setup()\n" + driver], cwd=settings.BASE_DIR, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line == "writing\n", line + process.stderr.read()
        partial = list(settings.BACKUP_DIR.glob(".*.part"))
        assert len(partial) == 1 and partial[0].stat().st_size > 0
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    # Nothing carries a backup's name but the previous backup, which is untouched and still verifies.
    assert [p.name for p in settings.BACKUP_DIR.glob(f"cbccvc-*{services.SUFFIX}")] == [previous.file_name]
    assert sha256(previous_path) == previous_hash
    assert services.verify_backup(previous_path).ok
    assert not Backup.objects.filter(file_name__endswith=".part").exists()
    assert "is incomplete" in services.verify_backup(partial[0]).message  # the partial file is not a backup

    following = services.create_backup(actor=admin_user)
    assert following.state == Backup.State.DONE and services.verify_backup(services.backup_path(following)).ok
    assert not list(settings.BACKUP_DIR.glob(".*.part")) and not list(settings.BACKUP_DIR.glob(".staging-*"))
    if POSTGRES:  # the killed run wrote its row into the same database: the next run records it as interrupted
        assert Backup.objects.filter(state=Backup.State.FAILED, error__startswith="Interrupted").count() == 1


def test_a_run_interrupted_earlier_is_recorded_and_its_leftovers_removed_R_10_1(backup_settings, admin_user):
    backup_settings.BACKUP_DIR.mkdir(parents=True)
    stale = Backup.objects.create(state=Backup.State.RUNNING, kind="daily", file_name="cbccvc-old-daily.tar.enc")
    (backup_settings.BACKUP_DIR / ".cbccvc-old-daily.tar.enc.part").write_bytes(b"half")
    (backup_settings.BACKUP_DIR / ".staging-abc").mkdir()
    services.create_backup(actor=admin_user)
    stale.refresh_from_db()
    assert stale.state == Backup.State.FAILED and stale.error.startswith("Interrupted")
    assert sorted(p.name for p in backup_settings.BACKUP_DIR.iterdir() if p.name.startswith(".") and p.name != ".lock") == []


def test_the_storage_check_finds_missing_and_damaged_documents_R_16_6(document, admin_user, tmp_path):
    stored = tmp_path / "media" / document.storage_name
    stored.write_bytes(b"no longer the scan")
    Document.objects.create(sha256="f" * 64, size=1, content_type="application/pdf")  # a record's document whose file is gone
    backup = services.create_backup(actor=admin_user)
    check = BackupCheck.objects.get(backup=backup, kind="storage")
    assert check.result == "failed" and "1 missing, 1 damaged" in check.message
    assert backup.manifest["storage"]["examples"] == [f"documents/ff/{'f' * 64}", document.storage_name]


def test_a_restore_checks_the_whole_file_before_it_writes_anything_R_10_1(document, admin_user, restore_target, tmp_path):
    backup = services.create_backup(actor=admin_user)
    path = services.backup_path(backup)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x80  # in the last part: the database would have been read already
    path.write_bytes(bytes(data))
    with pytest.raises(ServiceError, match="is damaged"):
        services.restore(path, restore_target.url, documents_into=tmp_path / "restored-media")
    assert not (tmp_path / "restored-media").exists() and not target_holds_data(restore_target)


def test_a_restore_names_a_wrong_target_clearly_R_10_1(backup_settings, admin_user):
    path = services.backup_path(services.create_backup(actor=admin_user))
    other = "postgres://postgres@127.0.0.1:5432/x" if not POSTGRES else "sqlite:////tmp/x.sqlite3"
    with pytest.raises(ServiceError, match="restore it into a"):
        services.restore(path, other)
    with pytest.raises(ServiceError, match="There is no backup file"):
        services.restore(settings.BACKUP_DIR / "missing.tar.enc", other)
