#!/usr/bin/env bash
# Install (if missing) and start PostgreSQL on 127.0.0.1:5432 with a `ledger` database and
# user, then print its URL. Idempotent; run as root (CI). Usage:
#   export LEDGER_TEST_POSTGRES_URL="$(scripts/ci_postgres.sh)"
set -euo pipefail

PORT="${LEDGER_PG_PORT:-5432}"
DATA="${LEDGER_PG_DATA:-/tmp/ledger-pg}"
PASSWORD="${LEDGER_PG_PASSWORD:-ledger}"
LOG="$DATA.log"

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"

if ! id postgres >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

as_pg() { runuser -u postgres -- "$@"; }

if [ ! -s "$DATA/PG_VERSION" ]; then
  mkdir -p "$DATA"
  chown postgres:postgres "$DATA"
  chmod 700 "$DATA"
  as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    >&2
fi

if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  touch "$LOG" && chown postgres:postgres "$LOG"
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k /tmp" start >&2
fi

psql_pg() { as_pg "$BIN/psql" -h /tmp -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtAc "$1"; }

if [ "$(psql_pg "SELECT 1 FROM pg_roles WHERE rolname = 'ledger'")" != "1" ]; then
  psql_pg "CREATE ROLE ledger LOGIN CREATEDB PASSWORD '$PASSWORD'"
fi
for db in ledger replay; do
  if [ "$(psql_pg "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
    psql_pg "CREATE DATABASE $db OWNER ledger"
  fi
done

echo "postgresql://ledger:$PASSWORD@127.0.0.1:$PORT/ledger"
