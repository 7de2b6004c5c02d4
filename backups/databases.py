"""The database half of a backup, for SQLite and PostgreSQL: a consistent copy, the row counts and content hashes of every
table for the manifest, the state of a restore target, and the restore.

SQLite is copied with its online backup API into a file; PostgreSQL with `pg_dump --format=custom` on a snapshot exported
by the transaction that counts the tables, so the dump and the manifest see the same data. A table's content hash is the
sum of the hashes of its rows, so it does not depend on the order the rows come back in; it is compared only between
databases of the same engine (the source and its restored copy).
"""

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _
from psycopg import sql
from psycopg.types.json import Jsonb

from common.errors import ServiceError

SQLITE, POSTGRESQL = "sqlite", "postgresql"
# Row text as PostgreSQL prints it depends on these; both sides of a comparison use the same.
_PG_SESSION = ("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; "
               "SET bytea_output = 'hex'")
_PG_ENV = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD", "host": "PGHOST", "port": "PGPORT",
           "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
           "passfile": "PGPASSFILE", "service": "PGSERVICE"}


def engine_of(settings_dict: dict) -> str:
    engine = settings_dict.get("ENGINE", "")
    if engine.endswith("sqlite3"):
        return SQLITE
    if "postgresql" in engine or "postgis" in engine:
        return POSTGRESQL
    raise ServiceError(_("Backups handle SQLite and PostgreSQL databases, not %(engine)s.") % {"engine": engine or "?"})


def _tail(stream) -> str:
    stream.seek(0)
    lines = stream.read().decode(errors="replace").strip().splitlines()
    return " ".join(lines[-5:])[:1000]


# SQLite


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_open(path: Path, read_only: bool = True) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) if read_only else sqlite3.connect(path)


def sqlite_tables(path: Path) -> dict:
    """Every table of a SQLite file: its rows and content hash."""
    database = _sqlite_open(path)
    try:
        names = [row[0] for row in database.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        tables = {}
        for name in names:
            rows = total = 0
            for row in database.execute(f"SELECT * FROM {_quote(name)}"):  # noqa: S608 - a table name from sqlite_master, quoted
                rows += 1
                total += int.from_bytes(hashlib.sha256(repr(row).encode()).digest()[:8], "big")
            tables[name] = {"rows": rows, "hash": f"{total % 2**64:016x}"}
        return tables
    finally:
        database.close()


def sqlite_snapshot(path: Path) -> dict:
    """Copy the application's SQLite database into `path` with the online backup API, in one step (a consistent copy
    while others write); the copy is one self-contained file."""
    if connection.in_atomic_block:
        raise ServiceError(_("A backup cannot be taken inside a database transaction."))
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
    return {"sqlite_version": sqlite3.sqlite_version}


def sqlite_check(path: Path) -> str:
    """SQLite's own integrity check of a restored file: "ok", or what is wrong."""
    database = _sqlite_open(path)
    try:
        return "; ".join(row[0] for row in database.execute("PRAGMA integrity_check").fetchmany(5))
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        database.close()


def sqlite_target_path(settings_dict: dict) -> Path:
    name = str(settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        raise ServiceError(_("Restore a SQLite backup into a file, for example sqlite:////srv/cbccvc/db.sqlite3."), "into")
    return Path(name)


def sqlite_has_tables(path: Path) -> bool | None:
    """None when there is no database file yet; whether it holds anything (a file that is not a database counts as full)."""
    if not path.exists():
        return None
    if path.stat().st_size == 0:
        return False
    try:
        database = _sqlite_open(path)
        try:
            return database.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        finally:
            database.close()
    except sqlite3.DatabaseError:
        return True


def sqlite_restore(snapshot: Path, target: Path) -> None:
    """Write the snapshot into the target through the backup API: one transaction on the target, which is either left as it
    was or holds the whole copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source, destination = _sqlite_open(snapshot), sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


# PostgreSQL


def pg_params(settings_dict: dict) -> dict:
    """libpq connection keywords from a Django database setting (dj_database_url's too)."""
    options = settings_dict.get("OPTIONS") or {}
    params = {"dbname": settings_dict.get("NAME"), "user": settings_dict.get("USER"), "password": settings_dict.get("PASSWORD"),
              "host": settings_dict.get("HOST"), "port": str(settings_dict.get("PORT") or "")}
    params.update({key: options[key] for key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "passfile", "service") if key in options})
    return {key: str(value) for key, value in params.items() if value}


def _pg_env(params: dict) -> dict:
    """The programs get the connection through the environment: the password never shows in a process list."""
    return {**os.environ, **{_PG_ENV[key]: value for key, value in params.items() if key in _PG_ENV}}


def _tool(name: str) -> str:
    found = str(Path(settings.BACKUP_PG_BIN) / name) if settings.BACKUP_PG_BIN else shutil.which(name)
    if not found or not Path(found).exists():
        raise ServiceError(_("%(tool)s was not found: install the PostgreSQL client programs or set BACKUP_PG_BIN.") % {"tool": name})
    return found


def _pg_connect(params: dict, **options) -> psycopg.Connection:
    try:
        return psycopg.connect(**params, connect_timeout=15, **options)
    except psycopg.Error as exc:
        raise ServiceError(_("Cannot connect to the database %(name)s: %(error)s")
                           % {"name": params.get("dbname", ""), "error": str(exc).strip()}) from exc


def pg_tables(database: psycopg.Connection) -> dict:
    """Every table of the database's schemas: its rows and content hash, read in the connection's transaction."""
    names = database.execute("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' "
                             "ORDER BY 1, 2").fetchall()
    tables = {}
    for schema, name in names:
        query = sql.SQL("SELECT count(*), coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint), 0)::text FROM {}.{} AS t").format(
            sql.Identifier(schema), sql.Identifier(name))
        rows, total = database.execute(query).fetchone()
        tables[name if schema == "public" else f"{schema}.{name}"] = {"rows": rows, "hash": total}
    return tables


def pg_dump(params: dict, path: Path) -> tuple[dict, dict]:
    """Dump the database into `path` (custom format) and count its tables, both on one snapshot."""
    database = _pg_connect(params)
    try:
        database.isolation_level, database.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True
        database.execute(_PG_SESSION)
        snapshot = database.execute("SELECT pg_export_snapshot()").fetchone()[0]
        with tempfile.TemporaryFile() as errors:
            dump = subprocess.Popen([_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", f"--file={path}"],  # noqa: S603
                                    env=_pg_env(params), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors)
            try:
                tables = pg_tables(database)
            except BaseException:
                dump.kill()
                raise
            finally:
                returncode = dump.wait()
            if returncode:
                raise ServiceError(_("pg_dump failed: %(error)s") % {"error": _tail(errors)})
        return tables, {"server_version": database.info.server_version}
    finally:
        database.close()


def pg_restore(dump: Path, params: dict, *, replace: bool = False) -> None:
    """Restore a custom-format dump into the database in one transaction (pg_restore's SQL run by psql): on any error nothing
    is changed. `replace` empties the public schema first, in the same transaction."""
    env = _pg_env(params)
    prelude = ["--command=DROP SCHEMA IF EXISTS public CASCADE", "--command=CREATE SCHEMA public"] if replace else []
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors:
        producer = subprocess.Popen([_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(dump)],  # noqa: S603
                                    env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=restore_errors)
        consumer = subprocess.Popen([_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", *prelude,  # noqa: S603
                                     "--file=-"], env=env, stdin=producer.stdout, stdout=subprocess.DEVNULL, stderr=psql_errors)
        producer.stdout.close()  # psql holds it now; if psql stops, pg_restore stops too
        consumer_code, producer_code = consumer.wait(), producer.wait()
        if consumer_code or producer_code:
            raise ServiceError(_("The restore failed, nothing was changed: %(error)s") % {"error": _tail(psql_errors) or _tail(restore_errors)})


def pg_has_tables(params: dict) -> bool | None:
    """None when the database does not exist yet; whether it holds any table, view or sequence."""
    try:
        database = psycopg.connect(**params, connect_timeout=15)
    except psycopg.OperationalError as exc:
        if getattr(exc, "sqlstate", None) == "3D000" or "does not exist" in str(exc):
            return None
        raise ServiceError(_("Cannot connect to the database %(name)s: %(error)s")
                           % {"name": params.get("dbname", ""), "error": str(exc).strip()}) from exc
    try:
        return database.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname <> 'information_schema' "
                                "AND n.nspname NOT LIKE 'pg\\_%'").fetchone()[0] > 0
    finally:
        database.close()


def pg_create_database(params: dict, name: str, maintenance: str | None = None) -> None:
    """Create an empty database on the server of `params`, from a connection to `maintenance` (by default the `postgres`
    database)."""
    with _pg_connect({**params, "dbname": maintenance or "postgres"}, autocommit=True) as database:
        try:
            database.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            raise ServiceError(_("Cannot create the database %(name)s: %(error)s") % {"name": name, "error": str(exc).strip()}) from exc


def pg_drop_database(params: dict, name: str, maintenance: str | None = None) -> None:
    with _pg_connect({**params, "dbname": maintenance or "postgres"}, autocommit=True) as database:
        database.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def pg_restored_tables(params: dict) -> dict:
    with _pg_connect(params) as database:
        database.isolation_level, database.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True
        database.execute(_PG_SESSION)
        return pg_tables(database)


# Both


def mark_backup_done(engine: str, target, table: str, backup_id: int, values: dict) -> None:
    """In a restored database, the backup it came from was still running when its copy was taken: record it as done."""
    columns = sorted(values)
    if engine == SQLITE:
        database = sqlite3.connect(target)
        stored = [json.dumps(value) if isinstance(value, dict) else  # as Django stores them
                  value.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(" ") if isinstance(value, datetime.datetime) else value
                  for value in (values[c] for c in columns)]
        try:
            assignments = ", ".join(f"{_quote(column)} = ?" for column in columns)
            with database:
                database.execute(f"UPDATE {_quote(table)} SET {assignments} WHERE id = ? AND state = 'running'",  # noqa: S608 - our columns
                                 [*stored, backup_id])
        except sqlite3.OperationalError:
            pass  # no backups table in that database
        finally:
            database.close()
        return
    with _pg_connect(target) as database:
        query = sql.SQL("UPDATE {} SET {} WHERE id = %s AND state = 'running'").format(
            sql.Identifier(table), sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in columns))
        try:
            database.execute(query, [*(Jsonb(values[c]) if isinstance(values[c], dict) else values[c] for c in columns), backup_id])
        except psycopg.errors.UndefinedTable:
            database.rollback()
