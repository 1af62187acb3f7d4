#!/usr/bin/env bash
# Set everything up and start the service on the embedded default (SQLite in var/):
#   bash scripts/start.sh
# Works on a fresh Debian 12 box as root; installs only what is missing. Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup.sh
source scripts/setup.sh

ensure_project_venv
ensure_telephony_tools
ensure_web_vendor
# The demo flows authenticate callers: seed the made-up demo customers once (an empty store only).
.venv/bin/voice db upgrade >/dev/null
.venv/bin/voice customers import --if-empty config/demo_customers.csv
exec .venv/bin/voice up "$@"
