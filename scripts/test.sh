#!/usr/bin/env bash
# Runs every check CI runs, on a machine prepared from nothing by scripts/setup.sh: format, lint, types, and the
# unit, integration and end-to-end tests against the real local services.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bash scripts/setup.sh

log "format"
pnpm run format:check
log "lint"
pnpm run lint
log "tests"
pnpm exec vitest run "$@"
