"""Backups of the database and the stored documents (R-10.1, R-10.2, R-13.2, R-16.6).

A backup is one file in BACKUP_DIR: a tar of the database copy (SQLite's online backup, or pg_dump's custom format), the
stored documents and a manifest (row count and content hash of every table, the documents' count and hash), encrypted
(backups.archive). It is written under a temporary name, synced to disk and renamed: a process killed meanwhile leaves
no file under a backup's name and never touches the earlier backups; the next run removes what it left.

Every backup is verified by restoring it into a scratch database and comparing it with its manifest; the result is
kept on the backup and as a check record, with the check of the stored documents against the records. Retention keeps
the last BACKUP_KEEP_DAILY / _WEEKLY / _MONTHLY backups of each kind, and never the only verified one. A restore refuses
a target that holds data unless forced, and reads and checks the whole file before it writes anything.
"""

import contextlib
import datetime
import fcntl
import gzip
import hashlib
import io
import json
import logging
import os
import re
import secrets
import shutil
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import dj_database_url
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import DatabaseError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import authz
from audit.services import record as audit
from audit.services import require_allowed
from common.errors import ServiceError
from people.models import Document

from . import archive, databases
from .archive import BackupFileError
from .models import Backup, BackupCheck

logger = logging.getLogger(__name__)

State, Kind, Verification = Backup.State, Backup.Kind, Backup.Verification
SUFFIX = ".tar.enc"
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {databases.SQLITE: "database/db.sqlite3.gz", databases.POSTGRESQL: "database/db.pgdump"}
MEDIA = "media/"
_CONTENT_ADDRESSED = re.compile(r"^documents/[0-9a-f]{2}/([0-9a-f]{64})$")  # people.models.Document.storage_name
_BLOCK = 1024 * 1024
_LEFTOVER_AGE = 24 * 3600  # a verification's or restore's scratch directory older than this was left by a killed process


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# Where things are


def backup_dir() -> Path:
    return Path(settings.BACKUP_DIR).resolve()


def backup_path(backup: Backup) -> Path:
    return backup_dir() / backup.file_name


def documents_dir() -> Path:
    """The stored documents: the default storage's directory."""
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        raise ServiceError(_("The stored documents are not in a directory (STORAGES default); back them up with their storage service."))
    return Path(storage.location).resolve()


def resolve(path) -> Path:
    """A backup file by its path, or by its name in BACKUP_DIR."""
    found = Path(path)
    if not found.exists() and not found.is_absolute():
        found = backup_dir() / found
    if not found.is_file():
        raise ServiceError(_("There is no backup file %(path)s.") % {"path": path}, "file")
    return found.resolve()


# Who may


def require_viewer(actor) -> None:
    authz.require(actor, "backups.view")


def require_operator(actor, action: str, request=None) -> None:
    require_allowed(actor, "backups.operate", action, _("Only the officers of Sở Nội vụ in charge of backups operate them."), request)


# Making a backup


@contextlib.contextmanager
def _exclusive(directory: Path):
    """One backup (or pruning) at a time on BACKUP_DIR; the lock ends with its process, even a killed one."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a+b") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ServiceError(_("Another backup is running; try again when it has ended.")) from exc
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _clean_leftovers(directory: Path) -> int:
    """Under the lock no backup runs: partial files and staging directories are what killed runs left, and backups still
    marked running were interrupted."""
    for item in directory.iterdir():
        if item.name.startswith(".") and item.name.endswith(".part") and item.is_file():
            item.unlink(missing_ok=True)
        elif item.is_dir() and (item.name.startswith(".staging-") or (
                item.name.startswith((".verify-", ".restore-")) and time.time() - item.stat().st_mtime > _LEFTOVER_AGE)):
            shutil.rmtree(item, ignore_errors=True)
    return Backup.objects.filter(state=State.RUNNING).update(
        state=State.FAILED, finished_at=timezone.now(), error=_("Interrupted before it ended (its process stopped); its partial file was removed."))


def _local_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def choose_kind(day: datetime.date) -> str:
    """The first backup of a month is its monthly one, the first of a week its weekly one, the others daily."""
    done = Backup.objects.filter(state=State.DONE)
    if not done.filter(kind=Kind.MONTHLY, started_at__gte=_local_start(day.replace(day=1))).exists():
        return Kind.MONTHLY
    if not done.filter(kind__in=[Kind.WEEKLY, Kind.MONTHLY], started_at__gte=_local_start(day - datetime.timedelta(days=day.weekday()))).exists():
        return Kind.WEEKLY
    return Kind.DAILY


def _failure(exc: BaseException) -> str:
    if isinstance(exc, ServiceError):
        return exc.message
    if isinstance(exc, OSError):
        return _("The backup file could not be written: %(error)s") % {"error": exc.strerror or exc}
    return f"{type(exc).__name__}: {exc}"[:2000]


def create_backup(kind: str | None = None, actor=None, *, backup: Backup | None = None, request=None) -> Backup:
    """Back up the database and the stored documents into a new file of BACKUP_DIR; the kind is chosen when not given."""
    if kind and kind not in Kind.values:
        raise ServiceError(_("Kind: choose daily, weekly or monthly."), "kind")
    archive.backup_keys()  # a missing or malformed key stops it before any work
    settings_dict = connections["default"].settings_dict
    engine = databases.engine_of(settings_dict)
    directory = backup_dir()
    with _exclusive(directory):
        _clean_leftovers(directory)
        started = timezone.now()
        backup = backup or Backup(requested_by=_user(actor))
        backup.kind = kind or backup.kind or choose_kind(timezone.localdate(started))
        backup.state, backup.started_at, backup.engine, backup.error = State.RUNNING, started, engine, ""
        backup.file_name = f"cbccvc-{timezone.localtime(started):%Y%m%d-%H%M%S}-{backup.kind}-{secrets.token_hex(3)}{SUFFIX}"
        backup.save()
        part = directory / f".{backup.file_name}.part"
        try:
            manifest, writer = _write(backup, engine, settings_dict, part)
            os.replace(part, directory / backup.file_name)
            _sync_directory(directory)
        except BaseException as exc:
            part.unlink(missing_ok=True)
            backup.state, backup.finished_at, backup.error = State.FAILED, timezone.now(), _failure(exc)
            with contextlib.suppress(DatabaseError):
                backup.save(update_fields=["state", "finished_at", "error"])
                audit(actor, "backups.create", obj=backup, outcome="failed", details={"error": backup.error[:500]}, request=request)
            raise
        backup.state, backup.finished_at, backup.manifest = State.DONE, timezone.now(), manifest
        backup.size, backup.sha256, backup.key_id = writer.size, writer.sha256.hexdigest(), writer.key_id
        backup.save()
        audit(actor, "backups.create", obj=backup, details={"file": backup.file_name, "kind": backup.kind, "size": backup.size}, request=request)
        _record_storage_check(backup, manifest["storage"], actor)
    return backup


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write(backup: Backup, engine: str, settings_dict: dict, part: Path):
    """The archive, encrypted into `part` and synced to disk; its manifest and the writer (size, hash, key)."""
    with tempfile.TemporaryDirectory(dir=part.parent, prefix=".staging-") as staging:
        staging = Path(staging)
        if engine == databases.SQLITE:
            snapshot, dump = staging / "db.sqlite3", staging / "db.sqlite3.gz"
            info = databases.sqlite_snapshot(snapshot)
            tables = databases.sqlite_tables(snapshot)
            with open(snapshot, "rb") as source, gzip.open(dump, "wb", compresslevel=3) as target:
                shutil.copyfileobj(source, target, _BLOCK)
            snapshot.unlink()
        else:
            dump = staging / "db.pgdump"
            tables, info = databases.pg_dump(databases.pg_params(settings_dict), dump)
        referenced = set(Document.objects.values_list("sha256", flat=True))  # read before the files: each row's file is stored first
        manifest = {"format": archive.FORMAT, "system": "CSDL CBCCVC", "engine": engine, "tables": tables,
                    "backup": {"id": backup.pk, "kind": backup.kind, "file": backup.file_name, "started_at": backup.started_at.isoformat()},
                    "database": {"member": DATABASE_MEMBERS[engine], "size": dump.stat().st_size, **info}}
        with os.fdopen(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:  # readable by this account only
            writer = archive.EncryptingWriter(out, engine)
            with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                with open(dump, "rb") as source:
                    manifest["database"]["sha256"] = _add(tar, DATABASE_MEMBERS[engine], source)
                manifest["documents"], manifest["storage"] = _add_documents(tar, referenced)
                data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
                tar.addfile(info, io.BytesIO(data))
            writer.close()
            out.flush()
            os.fsync(out.fileno())
    return manifest, writer


def _add(tar: tarfile.TarFile, name: str, source) -> str:
    """Add an open file as a member; its SHA-256."""
    stat = os.fstat(source.fileno())
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
    hashing = archive.HashingReader(source)
    tar.addfile(info, hashing)
    return hashing.sha256.hexdigest()


def _add_documents(tar: tarfile.TarFile, referenced: set[str]) -> tuple[dict, dict]:
    """Every stored file, in name order; the documents' count, size and hash, and the storage check: the documents the records
    reference that are missing, or whose content no longer matches the hash they are stored under."""
    root, skip = documents_dir(), backup_dir()
    listing, count, size, seen, damaged = hashlib.sha256(), 0, 0, set(), []
    for folder, folders, files in os.walk(root):
        folder = Path(folder)
        if folder == skip or skip in folder.parents:
            folders.clear()
            continue
        folders.sort()
        for name in sorted(files):
            path = folder / name
            if path.is_symlink() or name.startswith(".") and name.endswith(".part"):
                continue
            relative = path.relative_to(root).as_posix()
            try:
                with open(path, "rb") as source:
                    digest = _add(tar, MEDIA + relative, source)
                    size += os.fstat(source.fileno()).st_size
            except FileNotFoundError:  # removed meanwhile: an expired export
                continue
            count += 1
            listing.update(f"{relative}\0{digest}\n".encode())
            content = _CONTENT_ADDRESSED.match(relative)
            if content:
                seen.add(content[1])
                if content[1] != digest:
                    damaged.append(relative)
    missing = sorted(f"documents/{sha[:2]}/{sha}" for sha in referenced - seen)
    return ({"count": count, "bytes": size, "hash": listing.hexdigest()},
            {"referenced": len(referenced), "missing": len(missing), "damaged": len(damaged), "examples": (missing + damaged)[:20]})


def _record_storage_check(backup: Backup, storage: dict, actor) -> BackupCheck:
    ok = not storage["missing"] and not storage["damaged"]
    message = (_("%(count)s scanned documents referenced by the records: all stored and intact.") % {"count": storage["referenced"]} if ok else
               _("%(count)s scanned documents referenced by the records: %(missing)s missing, %(damaged)s damaged (their content no longer "
                 "matches their hash).") % {"count": storage["referenced"], "missing": storage["missing"], "damaged": storage["damaged"]})
    return BackupCheck.objects.create(checked_by=_user(actor), kind=BackupCheck.Kind.STORAGE, backup=backup, subject=_("stored documents"),
                                      result=BackupCheck.Result.OK if ok else BackupCheck.Result.FAILED, message=message, details=storage)


# Reading a backup


@dataclass
class Contents:
    """What a full read of a backup file found."""

    header: dict
    manifest: dict
    database: Path  # the staged database: a SQLite file, or a pg_dump archive
    database_sha256: str
    documents: dict
    sha256: str  # of the encrypted file
    size: int
    conflicts: list[str] = field(default_factory=list)  # documents stored differently in the restore's target


def _safe_relative(name: str) -> PurePosixPath:
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise BackupFileError(_("The backup holds a file outside the documents' directory: %(name)s.") % {"name": name})
    return relative


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _read(path: Path, staging: Path, documents_into: Path | None = None) -> Contents:
    """Decrypt and check the whole file: every chunk, the archive, the database copy and the documents against the manifest.
    The database is staged; the documents are only hashed, and compared with those already in `documents_into`."""
    with open(path, "rb") as raw:
        hashing = archive.HashingReader(raw)
        reader = archive.DecryptingReader(hashing, path.name)
        engine = reader.header.get("engine")
        manifest, database, database_sha256, conflicts = None, None, "", []
        listing, count, size = hashlib.sha256(), 0, 0
        try:
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for member in tar:
                    if not member.isfile():
                        continue
                    source = tar.extractfile(member)
                    if member.name == MANIFEST:
                        manifest = json.loads(source.read())
                    elif member.name == DATABASE_MEMBERS.get(engine):
                        database_sha256, database = _stage_database(engine, source, staging)
                    elif member.name.startswith(MEDIA):
                        relative = _safe_relative(member.name[len(MEDIA):])
                        digest = hashlib.sha256()
                        while block := source.read(_BLOCK):
                            digest.update(block)
                        count, size = count + 1, size + member.size
                        listing.update(f"{relative}\0{digest.hexdigest()}\n".encode())
                        existing = documents_into / relative if documents_into else None
                        if existing and existing.is_file() and _sha256(existing) != digest.hexdigest():
                            conflicts.append(str(relative))
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, ValueError) as exc:
            raise BackupFileError(_("%(name)s decrypts, but the archive inside is damaged: %(error)s") % {"name": path.name, "error": exc}) from exc
        reader.finish()
    if manifest is None or database is None:
        raise BackupFileError(_("%(name)s is damaged: its manifest or its database copy is missing.") % {"name": path.name})
    return Contents(header=reader.header, manifest=manifest, database=database, database_sha256=database_sha256,
                    documents={"count": count, "bytes": size, "hash": listing.hexdigest()}, sha256=hashing.sha256.hexdigest(),
                    size=path.stat().st_size, conflicts=conflicts)


def _stage_database(engine: str, source, staging: Path) -> tuple[str, Path]:
    """Write the archive's database copy into the staging directory (SQLite: uncompressed); the member's SHA-256."""
    hashing = archive.HashingReader(source)
    if engine == databases.SQLITE:
        target = staging / "db.sqlite3"
        with gzip.GzipFile(fileobj=hashing, mode="rb") as unpacked, open(target, "wb") as out:
            shutil.copyfileobj(unpacked, out, _BLOCK)
    else:
        target = staging / "db.pgdump"
        with open(target, "wb") as out:
            shutil.copyfileobj(hashing, out, _BLOCK)
    while hashing.read(_BLOCK):  # whatever follows the compressed stream counts too
        pass
    return hashing.sha256.hexdigest(), target


def _file_problems(contents: Contents) -> list[str]:
    """Does the content of the file match its manifest?"""
    manifest, problems = contents.manifest, []
    if contents.database_sha256 != manifest.get("database", {}).get("sha256"):
        problems.append(_("the database copy does not match its hash in the manifest"))
    expected = manifest.get("documents", {})
    if contents.documents["count"] != expected.get("count") or contents.documents["hash"] != expected.get("hash"):
        problems.append(_("the documents differ from the manifest: %(found)s found, %(expected)s expected")
                        % {"found": contents.documents["count"], "expected": expected.get("count")})
    return problems


def _table_problems(expected: dict, restored: dict) -> list[str]:
    problems = []
    missing, extra = sorted(set(expected) - set(restored)), sorted(set(restored) - set(expected))
    if missing:
        problems.append(_("tables missing after the restore: %(names)s") % {"names": ", ".join(missing[:20])})
    if extra:
        problems.append(_("tables not in the manifest: %(names)s") % {"names": ", ".join(extra[:20])})
    for name in sorted(set(expected) & set(restored)):
        if expected[name]["rows"] != restored[name]["rows"]:
            problems.append(_("table %(name)s: %(found)s rows, %(expected)s in the manifest")
                            % {"name": name, "found": restored[name]["rows"], "expected": expected[name]["rows"]})
        elif expected[name]["hash"] != restored[name]["hash"]:
            problems.append(_("table %(name)s: its content differs from the manifest") % {"name": name})
    return problems


def _scratch_dir() -> Path:
    directory = backup_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return directory


# Verification


@dataclass
class VerificationResult:
    ok: bool
    message: str
    backup: Backup | None
    check: BackupCheck
    details: dict


def _verify_server() -> dict:
    """Where PostgreSQL scratch databases are made: BACKUP_VERIFY_URL, or the application's own database server."""
    if settings.BACKUP_VERIFY_URL:
        return databases.pg_params(dj_database_url.parse(settings.BACKUP_VERIFY_URL))
    settings_dict = connections["default"].settings_dict
    if databases.engine_of(settings_dict) != databases.POSTGRESQL:
        raise ServiceError(_("A PostgreSQL backup is verified on a PostgreSQL server: set BACKUP_VERIFY_URL."))
    return databases.pg_params(settings_dict)


def _restore_into_scratch(contents: Contents) -> dict:
    """Restore the staged database into a scratch database; its tables, counted and hashed."""
    if contents.header.get("engine") == databases.SQLITE:
        integrity = databases.sqlite_check(contents.database)
        if integrity != "ok":
            raise BackupFileError(_("The restored database fails SQLite's integrity check: %(error)s") % {"error": integrity})
        return databases.sqlite_tables(contents.database)
    server = _verify_server()
    base = server.get("dbname", "cbccvc")
    scratch = f"{base[:40]}_verify_{secrets.token_hex(4)}"
    databases.pg_create_database(server, scratch, maintenance=base)
    try:
        target = {**server, "dbname": scratch}
        databases.pg_restore(contents.database, target)
        return databases.pg_restored_tables(target)
    finally:
        databases.pg_drop_database(server, scratch, maintenance=base)


def verify_backup(path, *, actor=None, request=None) -> VerificationResult:
    """Decrypt every chunk, restore into a scratch database, count and hash its tables and compare all with the manifest.
    The result is recorded on the backup (when the file is one of ours) and as a check record; nothing is raised for a bad file."""
    file = resolve(path)
    backup = Backup.objects.filter(file_name=file.name).first()
    details = {"file": file.name}
    try:
        with tempfile.TemporaryDirectory(dir=_scratch_dir(), prefix=".verify-") as staging:
            contents = _read(file, Path(staging))
            details.update(sha256=contents.sha256, size=contents.size, key_id=contents.header.get("key_id"))
            problems = _file_problems(contents)
            if backup is not None and backup.sha256 and backup.sha256 != contents.sha256:
                problems.insert(0, _("the file is not the one this backup wrote (its SHA-256 differs)"))
            if not problems:
                restored = _restore_into_scratch(contents)
                problems = _table_problems(contents.manifest.get("tables", {}), restored)
                details.update(tables=len(restored), rows=sum(t["rows"] for t in restored.values()), documents=contents.documents["count"])
        if problems:
            ok, message = False, _("%(name)s does not match its manifest: %(problems)s.") % {"name": file.name, "problems": "; ".join(problems)}
        else:
            ok, message = True, (_("Restored into a scratch database: %(tables)s tables and %(rows)s rows, and %(documents)s documents, "
                                   "as the manifest says.") % details)
    except ServiceError as exc:
        ok, message = False, exc.message
    except OSError as exc:
        ok, message = False, _("%(name)s cannot be read: %(error)s") % {"name": file.name, "error": exc.strerror or exc}
    now = timezone.now()
    if backup is not None:
        backup.verified_at, backup.verification = now, Verification.OK if ok else Verification.FAILED
        backup.verification_message = message
        backup.save(update_fields=["verified_at", "verification", "verification_message"])
    check = BackupCheck.objects.create(checked_by=_user(actor), checked_at=now, kind=BackupCheck.Kind.VERIFICATION, backup=backup,
                                       subject=file.name, result=BackupCheck.Result.OK if ok else BackupCheck.Result.FAILED,
                                       message=message, details=details)
    audit(actor, "backups.verify", obj=backup, outcome="ok" if ok else "failed", details={"file": file.name, "message": message[:500]},
          request=request)
    return VerificationResult(ok=ok, message=message, backup=backup, check=check, details=details)


# Restore


def restore(path, into_url: str, *, force: bool = False, documents_into=None, actor=None, request=None) -> dict:
    """Restore a backup into the database at `into_url` and its documents into `documents_into` (by default this system's
    documents directory). A target that holds data, or documents stored differently, are refused unless `force`: then they
    are replaced. The whole file is read and checked before anything is written."""
    file = resolve(path)
    try:
        target = dj_database_url.parse(into_url)
    except (ValueError, KeyError) as exc:
        raise ServiceError(_("%(url)s is not a database URL (sqlite:////path/db.sqlite3 or postgres://user@host:5432/name).")
                           % {"url": into_url}, "into") from exc
    header = archive.read_header(file)  # not a backup, another key: said before anything else
    engine, target_engine = header.get("engine"), databases.engine_of(target)
    if engine != target_engine:
        raise ServiceError(_("%(name)s holds a %(engine)s database; restore it into a %(engine)s database, not %(target)s.")
                           % {"name": file.name, "engine": engine, "target": target_engine}, "into")
    documents_into = Path(documents_into).resolve() if documents_into else documents_dir()
    if engine == databases.SQLITE:
        location = databases.sqlite_target_path(target)
        holds = databases.sqlite_has_tables(location)
    else:
        location = databases.pg_params(target)
        holds = databases.pg_has_tables(location)
    if holds and not force:
        raise ServiceError(_("The target database is not empty: nothing was restored. Restore into an empty database, or add --force "
                             "to replace its contents."), "into")
    with tempfile.TemporaryDirectory(dir=_scratch_dir(), prefix=".restore-") as staging:
        contents = _read(file, Path(staging), documents_into)
        problems = _file_problems(contents)
        if problems:
            raise BackupFileError(_("%(name)s does not match its manifest: %(problems)s.") % {"name": file.name, "problems": "; ".join(problems)})
        if contents.conflicts and not force:
            raise ServiceError(_("%(count)s stored documents in %(directory)s differ from the backup's copies: nothing was restored. Add "
                                 "--force to replace them.") % {"count": len(contents.conflicts), "directory": documents_into}, "documents")
        if engine == databases.SQLITE:
            databases.sqlite_restore(contents.database, location)
        else:
            if holds is None:
                databases.pg_create_database(location, location["dbname"])
            databases.pg_restore(contents.database, location, replace=bool(holds))
        written = _extract_documents(file, documents_into)
        origin = contents.manifest.get("backup", {})
        if origin.get("id"):
            databases.mark_backup_done(engine, location, Backup._meta.db_table, origin["id"], {
                "state": State.DONE, "finished_at": datetime.datetime.fromisoformat(contents.header["created_at"]), "size": contents.size,
                "sha256": contents.sha256, "key_id": contents.header.get("key_id", ""), "manifest": contents.manifest})
    tables = contents.manifest.get("tables", {})
    result = {"file": file.name, "tables": len(tables), "rows": sum(t["rows"] for t in tables.values()),
              "documents": contents.documents["count"], "documents_written": written, "replaced": bool(holds)}
    try:  # into this system's database, which may be the one just restored
        BackupCheck.objects.create(checked_by=_user(actor), kind=BackupCheck.Kind.RESTORE, backup=Backup.objects.filter(file_name=file.name).first(),
                                   subject=file.name, result=BackupCheck.Result.OK, details=result,
                                   message=_("Restored into %(target)s: %(tables)s tables, %(rows)s rows, %(documents)s documents.")
                                   % {**result, "target": _display(target)})
        audit(actor, "backups.restore", details={**result, "target": _display(target), "force": force}, request=request)
    except DatabaseError:
        logger.warning("backup restored; this system's database could not record it", extra={"file": file.name})
    return result


def _display(target: dict) -> str:
    """A target database without its password."""
    if databases.engine_of(target) == databases.SQLITE:
        return f"sqlite:///{target.get('NAME')}"
    return f"postgres://{target.get('USER') or ''}@{target.get('HOST') or ''}:{target.get('PORT') or ''}/{target.get('NAME')}"


def _extract_documents(file: Path, root: Path) -> int:
    """Write the backup's documents under `root`, each through a temporary file; identical ones are left alone."""
    written = 0
    with open(file, "rb") as raw:
        reader = archive.DecryptingReader(raw, file.name)
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            for member in tar:
                if not (member.isfile() and member.name.startswith(MEDIA)):
                    continue
                target = root / _safe_relative(member.name[len(MEDIA):])
                target.parent.mkdir(parents=True, exist_ok=True)
                part = target.with_name(f".{target.name}.part")
                digest = hashlib.sha256()
                with tar.extractfile(member) as source, open(part, "wb") as out:
                    while block := source.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
                if target.is_file() and _sha256(target) == digest.hexdigest():
                    part.unlink()
                else:
                    os.replace(part, target)
                    written += 1
        reader.finish()
    return written


# Retention


def prune(today: datetime.date | None = None, *, actor=None, request=None) -> list[Backup]:
    """Delete the files the retention policy no longer keeps: of the backups made by `today`, the last BACKUP_KEEP_DAILY daily,
    _WEEKLY weekly and _MONTHLY monthly ones that did not fail verification stay (and those that failed after the oldest of
    them, for a look), and the newest verified backup always stays. The rows stay, marked pruned."""
    today = today or timezone.localdate()
    limits = {Kind.DAILY: settings.BACKUP_KEEP_DAILY, Kind.WEEKLY: settings.BACKUP_KEEP_WEEKLY, Kind.MONTHLY: settings.BACKUP_KEEP_MONTHLY}
    directory = backup_dir()
    with _exclusive(directory):
        candidates = list(Backup.objects.filter(state=State.DONE, started_at__lt=_local_start(today + datetime.timedelta(days=1)))
                          .order_by("-started_at", "-pk"))
        keep = set()
        for kind, limit in limits.items():
            of_kind = [b for b in candidates if b.kind == kind]
            good = [b for b in of_kind if b.verification != Verification.FAILED][:max(limit, 0)]
            keep.update(b.pk for b in good)
            if limit > 0:
                keep.update(b.pk for b in of_kind if b.verification == Verification.FAILED and (not good or b.started_at > good[-1].started_at))
        verified = [b for b in candidates if b.verification == Verification.OK]
        if verified and not keep.intersection(b.pk for b in verified):
            keep.add(verified[0].pk)
        pruned = [b for b in candidates if b.pk not in keep]
        for backup in pruned:
            (directory / backup.file_name).unlink(missing_ok=True)
            backup.state, backup.deleted_at = State.PRUNED, timezone.now()
            backup.save(update_fields=["state", "deleted_at"])
    if pruned:
        audit(actor, "backups.prune", details={"files": [b.file_name for b in pruned][:200], "count": len(pruned)}, request=request)
    return pruned


# The nightly job and the operators' actions


def nightly(today: datetime.date | None = None) -> dict:
    """The worker's night: a backup, its verification, then the retention policy."""
    backup = create_backup()
    result = verify_backup(backup_path(backup))
    pruned = prune(today)
    return {"backup": backup.file_name, "size": backup.size, "verified": result.ok, "pruned": len(pruned)}


def run_queued(backup: Backup) -> Backup:
    """The worker's half of "back up now": the backup, then its verification."""
    try:
        backup = create_backup(backup.kind or None, backup.requested_by, backup=backup)
    except ServiceError as exc:
        if Backup.objects.filter(pk=backup.pk, state=State.QUEUED).update(state=State.FAILED, finished_at=timezone.now(), error=exc.message):
            backup.refresh_from_db()
        return backup
    verify_backup(backup_path(backup), actor=backup.requested_by)
    backup.refresh_from_db()
    return backup


def start_backup(actor, kind: str | None = None, *, request=None) -> Backup:
    """An operator has a backup made now, by the worker."""
    action = "backups.start"
    require_operator(actor, action, request)
    if kind and kind not in Kind.values:
        raise ServiceError(_("Kind: choose daily, weekly or monthly."), "kind")
    if Backup.objects.filter(state=State.RUNNING).exists() and not Backup.objects.filter(state=State.QUEUED).exists():
        with contextlib.suppress(ServiceError), _exclusive(backup_dir()):  # free: the running ones were interrupted
            _clean_leftovers(backup_dir())
    if Backup.objects.filter(state__in=[State.QUEUED, State.RUNNING]).exists():
        raise ServiceError(_("A backup is already waiting for the worker or running."))
    backup = Backup.objects.create(requested_by=_user(actor), kind=kind or "", state=State.QUEUED,
                                   verification_requested_at=timezone.now())  # verified right after it is made
    audit(actor, action, obj=backup, details={"kind": kind or "auto"}, request=request)
    from .tasks import run_backup

    transaction.on_commit(lambda: run_backup.enqueue(backup.pk))
    return backup


def request_verification(actor, backup: Backup, *, request=None) -> Backup:
    """An operator has a kept backup verified again, by the worker."""
    action = "backups.verify"
    require_operator(actor, action, request)
    if backup.state != State.DONE:
        raise ServiceError(_("Only a finished backup whose file is kept can be verified."))
    backup.verification_requested_at = timezone.now()
    backup.save(update_fields=["verification_requested_at"])
    audit(actor, "backups.verify_requested", obj=backup, request=request)
    from .tasks import run_verification

    transaction.on_commit(lambda: run_verification.enqueue(backup.pk, getattr(_user(actor), "pk", None)))
    return backup


def download(actor, backup: Backup, *, request=None) -> Path:
    """The encrypted file, for an operator to keep a copy elsewhere (it is useless without the key)."""
    require_operator(actor, "backups.download", request)
    path = backup_path(backup) if backup.file_name else None
    if backup.state != State.DONE or path is None or not path.is_file():
        raise ServiceError(_("This backup's file is not kept any more."))
    audit(actor, "backups.download", obj=backup, details={"file": backup.file_name, "size": backup.size}, request=request)
    return path


def overview(now: datetime.datetime | None = None) -> dict:
    """For the backups page: the last backup, the last verified one, and whether the last verified one is too old."""
    now = now or timezone.now()
    last = Backup.objects.filter(state__in=[State.DONE, State.FAILED]).order_by("-started_at", "-pk").first()
    verified = Backup.objects.filter(state=State.DONE, verification=Verification.OK).order_by("-started_at", "-pk").first()
    return {"last": last, "verified": verified,
            "stale": verified is None or (verified.started_at or verified.created_at) < now - datetime.timedelta(hours=48)}
