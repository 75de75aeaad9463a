#!/bin/sh
# One-shot (temporalio/admin-tools): create Temporal's two databases on PostgreSQL and bring their
# schemas to the version this admin-tools image ships. Safe to run again: `create` of an existing
# database fails harmlessly and update-schema only applies what is missing.
set -eu
: "${POSTGRES_SEEDS:?set POSTGRES_SEEDS}" "${POSTGRES_USER:?set POSTGRES_USER}"
: "${SQL_PASSWORD:?set SQL_PASSWORD}"
PORT="${DB_PORT:-5432}"
SCHEMA=/etc/temporal/schema/postgresql/v12

until nc -z -w 5 "$POSTGRES_SEEDS" "$PORT"; do echo "waiting for PostgreSQL"; sleep 2; done

sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$PORT" -u "$POSTGRES_USER" "$@"; }
for db in temporal temporal_visibility; do
  dir="$SCHEMA/temporal/versioned"
  [ "$db" = temporal_visibility ] && dir="$SCHEMA/visibility/versioned"
  sql --db "$db" create || echo "database $db exists"
  sql --db "$db" setup-schema -v 0.0   # the version table; a no-op once it exists
  sql --db "$db" update-schema -d "$dir"
done
echo "Temporal schema ready"
