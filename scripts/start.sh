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
exec .venv/bin/voice up "$@"
