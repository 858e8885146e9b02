#!/bin/sh
# First start of the compose PostgreSQL: the workers' login role (least privilege; migration
# 001 grants it what it needs).
set -e
pw=$(cat /run/secrets/db_worker_password)
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
  -c "CREATE ROLE lic_worker LOGIN PASSWORD '$pw'"
