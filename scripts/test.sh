#!/usr/bin/env bash
# Set everything up and run the whole test suite (lint first), SQLite and PostgreSQL:
#   bash scripts/test.sh [pytest args...]
# Works on a fresh Debian 12 box as root; installs only what is missing (python3-venv,
# PostgreSQL if nothing answers on 127.0.0.1:5432). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup.sh
source scripts/setup.sh

ensure_project_venv
ensure_postgresql
ensure_telephony_tools
ensure_browser
ensure_web_vendor

log "ruff check"
.venv/bin/ruff check voice webhooks tests bench

# Two test processes (PYTEST_PROCESSES to change; 0 runs in this process); a file's tests
# stay in one process, so module fixtures (SIP workers, models) are built once.
processes="${PYTEST_PROCESSES:-2}"
log "pytest ($processes processes)"
status=0
.venv/bin/pytest -q --durations=30 -n "$processes" --dist loadfile "$@" || status=$?
if [ "$status" -eq 5 ]; then
    die "pytest collected no tests; that is a failure, not a pass"
fi
exit "$status"
