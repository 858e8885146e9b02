#!/usr/bin/env bash
# The project's own PostgreSQL server, in a directory of its own (not the system cluster).
#   deploy/pg.sh start DIR PORT   initialise if needed, start, create roles and database
#   deploy/pg.sh stop DIR
#   deploy/pg.sh restart DIR      pg_ctl restart -m fast (the fault suite's PostgreSQL restart)
#   deploy/pg.sh status DIR
# Roles: lic_owner owns the schema (migrations), lic_worker is what the workers log in as.
# Local connections are trusted (loopback and the socket in DIR only): this server is for
# tests and the demo; production uses its own server and passwords (LIC_DB_PASSWORD_FILE).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
port=${3:-5433}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|restart|status DIR [PORT]" >&2; exit 2; }

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/pg_ctl" ] || { echo "pg.sh: PostgreSQL is not installed (deploy/install-deps.sh)" >&2; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data="$dir/data"

# PostgreSQL refuses to run as root: run it as the postgres system user then.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

psql_super() {
  as_pg "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres "$@"
}

case "$cmd" in
start)
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    # The postgres user must be able to reach DIR through its parents.
    p="$dir"
    while [ "$p" != "/" ]; do chmod o+x "$p" 2>/dev/null || true; p=$(dirname "$p"); done
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    as_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
shared_buffers = 256MB
logging_collector = off
log_min_messages = warning
CONF
  fi
  if as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    echo "pg.sh: already running on port $port"
  else
    if ! as_pg "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 -o "-p $port" start >/dev/null; then
      echo "pg.sh: the server did not start on port $port; the end of $dir/server.log:" >&2
      tail -n 8 "$dir/server.log" >&2 || true
      exit 1
    fi
    echo "pg.sh: started on port $port ($dir)"
  fi
  psql_super <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lic_owner') THEN CREATE ROLE lic_owner LOGIN CREATEDB; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lic_worker') THEN CREATE ROLE lic_worker LOGIN; END IF;
END \$\$;
SQL
  if [ -z "$(psql_super -tAc "SELECT 1 FROM pg_database WHERE datname = 'licensing'")" ]; then
    psql_super -c "CREATE DATABASE licensing OWNER lic_owner"
  fi
  ;;
stop)
  if [ -f "$data/PG_VERSION" ] && as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    echo "pg.sh: stopped"
  fi
  ;;
restart)
  if ! as_pg "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null; then
    echo "pg.sh: the server did not restart; the end of $dir/server.log:" >&2
    tail -n 8 "$dir/server.log" >&2 || true
    exit 1
  fi
  echo "pg.sh: restarted"
  ;;
status)
  as_pg "$bindir/pg_ctl" -D "$data" status
  ;;
*)
  echo "usage: $0 start|stop|status DIR [PORT]" >&2
  exit 2
  ;;
esac
