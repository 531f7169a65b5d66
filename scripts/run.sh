#!/usr/bin/env bash
# Runs Autocloud on this machine: sets it up, then starts all seven services against the local PostgreSQL, NATS
# and RabbitMQ. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bash scripts/setup.sh

export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/autocloud}
if [[ $DATABASE_URL == postgres://postgres@127.0.0.1:5432/autocloud ]]; then
  psql -h 127.0.0.1 -U postgres -tAc "select 1 from pg_database where datname = 'autocloud'" | grep -q 1 ||
    psql -h 127.0.0.1 -U postgres -c 'create database autocloud' >/dev/null
fi

log "starting services (UI and API on http://127.0.0.1:${PORT:-8080})"
exec pnpm --parallel --filter './services/*' run start
