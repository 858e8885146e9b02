#!/usr/bin/env bash
# common/store/schema.sql: the schema the migrations build, as pg_dump prints it, for a reader
# (paste into psql, read one table whole) - never applied; the migrations are the only way in.
#   deploy/schema.sh PORT DBNAME [OUT]   dumps a migrated database (OUT: stdout when absent)
# The test deploy.schema_file_matches_migrations fails when the file and the migrations differ
# and says how to write the file again.
set -euo pipefail
port=$1 db=$2 out=${3:-/dev/stdout}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
# Without the lines that change from run to run or with the pg_dump version: its version
# header, the \restrict key of pg_dump 15.14 and later, and session settings.
{
  echo "-- common/store/schema.sql: the schema the migrations build, written by deploy/schema.sh"
  echo "-- (pg_dump --schema-only of a migrated database). To read, not to apply; do not edit."
  "$bindir/pg_dump" --schema-only --no-owner --no-privileges \
      -h 127.0.0.1 -p "$port" -U lic_owner "$db" |
    grep -v -E '^(\\restrict|\\unrestrict|-- Dumped (from|by)|SET |SELECT pg_catalog.set_config)' |
  cat -s
} > "$out"
