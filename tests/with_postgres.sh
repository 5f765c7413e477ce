#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server: started here on a free local port in a
# temporary data directory, and removed afterwards whatever happens. The command finds the server
# in KIOSK_TEST_POSTGRES (tests/databases.py makes a database per test from it).
# Debian's postgresql package provides the server; as root it is installed when missing.
set -euo pipefail

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
PGBIN=$(find_bin)
if [ -z "$PGBIN" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's postgresql for the PostgreSQL test run…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PGBIN=$(find_bin)
  fi
  if [ -z "$PGBIN" ]; then
    echo "PostgreSQL server binaries are missing: sudo apt-get install postgresql" >&2
    exit 1
  fi
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/kiosk-pg.XXXXXX")
as_owner=()
if [ "$(id -u)" = 0 ]; then
  # initdb and postgres refuse to run as root: the server runs as the postgres system user.
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cleanup() {
  "${as_owner[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"${as_owner[@]}" "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
# Durability is not what these tests check: without fsync the throwaway server is much faster.
"${as_owner[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start -o \
  "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (removed afterwards)"

export KIOSK_TEST_POSTGRES="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
set +e
"$@"
status=$?
set -e
exit $status
