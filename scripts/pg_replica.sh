#!/usr/bin/env bash
# A PostgreSQL hot standby streaming from the primary, for the read routing of common/dbrouter.py and its tests.
#
#   scripts/pg_replica.sh start    make the replica (pg_basebackup) if missing, start it, wait until it serves reads in recovery
#   scripts/pg_replica.sh stop
#   scripts/pg_replica.sh status
#   scripts/pg_replica.sh remove   stop it, drop its replication slot on the primary and delete its data directory
#
# Environment: PORT (5433), PRIMARY_HOST (127.0.0.1), PRIMARY_PORT (5432), PRIMARY_USER (postgres),
# REPLICA_DATA_DIR (${VAR_DIR:-var}/pg-replica).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-5433}
PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PRIMARY_USER=${PRIMARY_USER:-postgres}
DATA=$(realpath -m "${REPLICA_DATA_DIR:-${VAR_DIR:-$ROOT/var}/pg-replica}")
# The slot keeps the primary's WAL until the replica has it, so a replica stopped for a while still catches up.
SLOT=cbccvc_replica_$PORT
HBA_LINE="host replication all 127.0.0.1/32 trust"

die() { echo "pg_replica: $*" >&2; exit 1; }

# The server refuses to run as root: then its files belong to postgres and its tools run as postgres.
if [ "$(id -u)" = 0 ]; then
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

# Server binaries of the given major version (the primary's: a standby must match it), or of any version.
find_bin() {
  local dir
  for dir in "$(pg_config --bindir 2>/dev/null || true)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    [ -x "$dir/pg_ctl" ] || continue
    if [ -z "${1:-}" ] || [ "$("$dir/postgres" -V | grep -oE '[0-9]+' | head -n1)" = "$1" ]; then
      echo "$dir"
      return
    fi
  done
  die "no PostgreSQL ${1:+$1 }server binaries (pg_ctl) found: install the server package"
}

primary_sql() { "$BIN/psql" -X -At -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER" -d postgres -c "$1"; }
replica_sql() { "$BIN/psql" -X -At -h 127.0.0.1 -p "$PORT" -U "$PRIMARY_USER" -d postgres -c "$1"; }
replication_check() { "$BIN/psql" -X -At "host=$PRIMARY_HOST port=$PRIMARY_PORT user=$PRIMARY_USER replication=true" -c IDENTIFY_SYSTEM 2>&1 >/dev/null; }
running() { [ -f "$DATA/PG_VERSION" ] && as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

# pg_hba.conf's "all" does not cover replication connections: allow them from this machine when the file is ours to edit.
allow_replication() {
  local refusal hba
  refusal=$(replication_check) && return
  hba=$(primary_sql "SHOW hba_file")
  if [[ "$refusal" == *pg_hba.conf* && "$PRIMARY_HOST" =~ ^(127\.0\.0\.1|localhost)$ && -w "$hba" ]]; then
    echo "pg_replica: adding '$HBA_LINE' to $hba"
    printf '\n# scripts/pg_replica.sh: the local streaming replica\n%s\n' "$HBA_LINE" >>"$hba"
    primary_sql "SELECT pg_reload_conf()" >/dev/null
    for _ in $(seq 20); do
      refusal=$(replication_check) && return
      sleep 0.25
    done
  fi
  die "the primary refuses replication connections ($refusal)
  add to $hba:  $HBA_LINE
  then run on the primary:  SELECT pg_reload_conf();"
}

create() {
  local new="$DATA.new" hba
  echo "pg_replica: copying the primary $PRIMARY_HOST:$PRIMARY_PORT into $DATA"
  rm -rf "$new"
  mkdir -p "$new"
  chmod 700 "$new"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$new"; fi
  primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$SLOT' AND NOT active" >/dev/null
  as_pg "$BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER" -D "$new" -R -X stream -C -S "$SLOT" \
    --checkpoint=fast
  # Debian keeps postgresql.conf and pg_hba.conf outside the data directory, so the copy may lack them. A hot standby needs
  # these limits at least as high as the primary's.
  {
    echo "# scripts/pg_replica.sh"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = ''"
    echo "hot_standby = on"
    primary_sql "SELECT name || ' = ' || setting FROM pg_settings WHERE name IN ('max_connections', 'max_worker_processes',
                 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction')"
  } >>"$new/postgresql.conf"
  if [ ! -f "$new/pg_hba.conf" ]; then
    hba=$(primary_sql "SHOW hba_file")
    if [ -r "$hba" ]; then cp "$hba" "$new/pg_hba.conf"; else echo "host all all 127.0.0.1/32 scram-sha-256" >"$new/pg_hba.conf"; fi
  fi
  touch "$new/pg_ident.conf"
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$new"; fi
  mv "$new" "$DATA"
}

start() {
  BIN=$(find_bin "$(($(primary_sql "SHOW server_version_num") / 10000))")
  allow_replication  # the standby streams over a replication connection, a new copy or not
  [ -f "$DATA/PG_VERSION" ] || create
  if ! running; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/replica.log" -o "-p $PORT" -w -t 60 start >/dev/null 9>&- ||
      { tail -n 20 "$DATA/replica.log" >&2; die "the replica did not start"; }
  fi
  for _ in $(seq 120); do
    if [ "$(replica_sql "SELECT pg_is_in_recovery()" 2>/dev/null)" = t ]; then
      status
      return
    fi
    sleep 0.25
  done
  die "the server on port $PORT does not answer as a standby in recovery; see $DATA/replica.log"
}

stop() {
  if running; then as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi
  echo "pg_replica: stopped ($DATA)"
}

status() {
  if ! running; then
    echo "pg_replica: not running ($DATA)"
    return 3
  fi
  echo "pg_replica: port $PORT, $(replica_sql "SELECT CASE WHEN pg_is_in_recovery() THEN 'in recovery' ELSE 'NOT in recovery' END
    || ', receiver ' || coalesce((SELECT status FROM pg_stat_wal_receiver), 'not connected')
    || ', replayed up to ' || coalesce(pg_last_wal_replay_lsn()::text, '-')"), $DATA"
}

remove() {
  stop
  primary_sql "SELECT pg_drop_replication_slot('$SLOT') FROM pg_replication_slots WHERE slot_name = '$SLOT'" >/dev/null ||
    echo "pg_replica: could not drop the slot $SLOT on the primary; drop it there when it answers" >&2
  rm -rf "$DATA" "$DATA.new"
  echo "pg_replica: removed $DATA and the slot $SLOT"
}

command=${1:-}
case "$command" in
  start | stop | status | remove) ;;
  *) die "usage: $0 start|stop|status|remove" ;;
esac
mkdir -p "$(dirname "$DATA")"
# One caller at a time: parallel test workers all start the same replica (the server must not inherit the lock's fd 9).
exec 9>"$DATA.lock"
flock -w 300 9 || die "another pg_replica.sh holds $DATA.lock"
BIN=$(find_bin)
"$command"
