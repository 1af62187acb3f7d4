# Shared setup for scripts/start.sh and scripts/test.sh (sourced). Run directly, it runs the
# ensure_* functions named as arguments, by default ensure_web_vendor:
#   bash scripts/setup.sh [ensure_web_vendor ...]
#
# Target: a fresh Debian 12 box, as root, with Python 3.11. Everything is installed only when
# missing, so running the scripts again is quick. Functions:
#   ensure_python_venv   python3 + the venv module (Debian's python3-venv)
#   ensure_project_venv  .venv with this project installed editable, with test extras
#   ensure_postgresql    a PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database
#   ensure_browser       Debian's Chromium, which the browser tests drive through Playwright
#   ensure_web_vendor    the pages' JavaScript libraries (Twilio Voice SDK, CodeMirror, wavesurfer.js)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

APT_UPDATED=""
apt_install() {
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || die "need root to install $*; run as root or install them"
        sudo="sudo"
    fi
    command -v apt-get >/dev/null || die "apt-get not found; install $* with your package manager"
    if [ -z "$APT_UPDATED" ]; then
        log "apt-get update"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_python_venv() {
    command -v python3 >/dev/null || apt_install python3
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "Python 3.11 or newer is needed; found $(python3 --version 2>&1)"
    # Debian splits ensurepip (needed by `python3 -m venv`) into python3-venv.
    python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
}

ensure_project_venv() {
    ensure_python_venv
    if [ ! -x .venv/bin/python ]; then
        log "creating .venv"
        python3 -m venv .venv
    fi
    local stamp=.venv/.voice-install-stamp
    local root="$PWD"
    local want
    want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    # Import from / so that only the installed (editable) package can satisfy the imports.
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] \
        || ! (cd / && "$root/.venv/bin/python" -c 'import voice.cli, webhooks, pytest' 2>/dev/null) \
        || [ ! -x .venv/bin/ruff ]; then
        log "installing the project into .venv (pip install -e '.[test]')"
        .venv/bin/python -m pip install -q --disable-pip-version-check --root-user-action=ignore \
            -e '.[test]'
        echo "$want" > "$stamp"
    fi
}

pg_answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }

pg_cluster_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }

pg_trust_localhost() {
    local version hba
    version="$(pg_cluster_version)"
    [ -n "$version" ] || return 0
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    if ! grep -Eq '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
        log "allowing trust auth for 127.0.0.1 in $hba (test machine only)"
        sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
        pg_answers && pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    fi
    return 0
}

ensure_postgresql() {
    if ! pg_answers; then
        command -v pg_ctlcluster >/dev/null || apt_install postgresql
        if [ -z "$(pg_cluster_version)" ]; then
            local server
            server="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
            log "creating PostgreSQL $server cluster"
            pg_createcluster "$server" main >/dev/null
        fi
        pg_trust_localhost
        log "starting PostgreSQL $(pg_cluster_version)"
        pg_ctlcluster --skip-systemctl-redirect "$(pg_cluster_version)" main start || true
        local tries=0
        until pg_answers; do
            tries=$((tries + 1))
            [ "$tries" -le 60 ] || die "PostgreSQL did not start on 127.0.0.1:5432"
            sleep 0.5
        done
    fi
    if ! pg_prepare_test_database; then
        # Answering but refusing us: a local cluster still asking for passwords.
        pg_trust_localhost
        pg_prepare_test_database || die "cannot connect to PostgreSQL on 127.0.0.1:5432 as \
postgres without a password; allow trust auth for 127.0.0.1 in pg_hba.conf"
    fi
}

pg_prepare_test_database() {
    .venv/bin/python - <<'PY'
import sys

import psycopg

try:
    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=5",
        autocommit=True,
    ) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = 'test'").fetchone()
        if not found:
            print("==> creating PostgreSQL database 'test'", file=sys.stderr)
            connection.execute("CREATE DATABASE test")
except psycopg.OperationalError as exc:
    print(f"PostgreSQL: {str(exc).strip()}", file=sys.stderr)
    sys.exit(1)
PY
}

# Telephony tools the SIP side and its tests use: SIPp (sip-tester), espeak-ng (prompts and
# test speech), sox (audio checks), baresip (a real softphone) and Kamailio (the dispatcher
# in front of the media workers).
ensure_telephony_tools() {
    local missing=()
    command -v sipp >/dev/null || missing+=(sip-tester)
    command -v espeak-ng >/dev/null || missing+=(espeak-ng)
    command -v sox >/dev/null || missing+=(sox)
    command -v baresip >/dev/null || missing+=(baresip-core)
    command -v kamailio >/dev/null && [ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/dispatcher.so ] \
        || missing+=(kamailio)
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
    # The Debian package may start a system Kamailio on 5060; the service runs its own.
    if command -v systemctl >/dev/null && systemctl is-active --quiet kamailio 2>/dev/null; then
        systemctl stop kamailio || true
    fi
}

# The web pages' browser tests drive Debian's Chromium (/usr/bin/chromium) with Playwright
# (a Python package from the test extra); `playwright install` and its downloaded browsers
# are never used.
ensure_browser() {
    [ -x /usr/bin/chromium ] || apt_install chromium
}

# The web pages' JavaScript libraries, served from this site (the Content-Security-Policy
# allows scripts from 'self' only): Twilio's Voice SDK (the agent desktop's browser phone),
# CodeMirror 5 (the flow editor) and wavesurfer.js (the QA player). Each is fetched once from
# the npm registry at its pinned version, checked against the registry's sha512 integrity and
# unpacked with its licence to voice/web/static/vendor/ (git-ignored); no npm or Node.js is
# needed. voice/web/vendor.py names the same versions.
WEB_VENDOR_DIR=voice/web/static/vendor
TWILIO_VOICE_SDK_VERSION=2.18.5
TWILIO_VOICE_SDK_INTEGRITY="sha512-2/tw1IDAIn7j6yFDOln8p93v3aHIxNIN93JwL98cHIlbkSNeU/Jt9zGM/0TvDpNjo+k88lvAew4jgOjKlc9/KA=="
CODEMIRROR_VERSION=5.65.21
CODEMIRROR_INTEGRITY="sha512-6teYk0bA0nR3QP0ihGMoxuKzpl5W80FpnHpBJpgy66NK3cZv5b/d/HY8PnRvfSsCG1MTfr92u2WUl+wT0E40mQ=="
WAVESURFER_VERSION=7.12.12
WAVESURFER_INTEGRITY="sha512-fyKNuREQTliCl4b9w7pUzpFXQIkX5tcdYu1o6vBdH+NlUXvTxshvfbG2hj8OxDevzQNZlDTHzZGyAT3FhuutWw=="
ensure_web_vendor() {
    local npm=https://registry.npmjs.org
    local twilio="$WEB_VENDOR_DIR/twilio-voice-$TWILIO_VOICE_SDK_VERSION.min.js"
    local codemirror="$WEB_VENDOR_DIR/codemirror-$CODEMIRROR_VERSION"
    local wavesurfer="$WEB_VENDOR_DIR/wavesurfer-$WAVESURFER_VERSION"
    [ -s "$twilio" ] || fetch_npm_package \
        "$npm/@twilio/voice-sdk/-/voice-sdk-$TWILIO_VOICE_SDK_VERSION.tgz" "$TWILIO_VOICE_SDK_INTEGRITY" \
        "package/dist/twilio.min.js=$twilio" \
        "package/LICENSE.md=$WEB_VENDOR_DIR/twilio-voice-sdk.LICENSE.md"
    [ -s "$codemirror/codemirror.js" ] || fetch_npm_package \
        "$npm/codemirror/-/codemirror-$CODEMIRROR_VERSION.tgz" "$CODEMIRROR_INTEGRITY" \
        "package/LICENSE=$codemirror/LICENSE" \
        "package/lib/codemirror.css=$codemirror/codemirror.css" \
        "package/mode/yaml/yaml.js=$codemirror/yaml.js" \
        "package/addon/lint/lint.js=$codemirror/lint.js" \
        "package/addon/lint/lint.css=$codemirror/lint.css" \
        "package/addon/selection/active-line.js=$codemirror/active-line.js" \
        "package/lib/codemirror.js=$codemirror/codemirror.js"
    [ -s "$wavesurfer/wavesurfer.min.js" ] || fetch_npm_package \
        "$npm/wavesurfer.js/-/wavesurfer.js-$WAVESURFER_VERSION.tgz" "$WAVESURFER_INTEGRITY" \
        "package/LICENSE=$wavesurfer/LICENSE" \
        "package/dist/plugins/regions.min.js=$wavesurfer/regions.min.js" \
        "package/dist/plugins/timeline.min.js=$wavesurfer/timeline.min.js" \
        "package/dist/wavesurfer.min.js=$wavesurfer/wavesurfer.min.js"
}

# fetch_npm_package URL INTEGRITY MEMBER=DESTINATION...: download an npm tarball, refuse it
# unless it matches INTEGRITY, and copy the named members out (the last one is written last,
# so its presence means the whole package is there).
fetch_npm_package() {
    command -v python3 >/dev/null || apt_install python3
    log "fetching ${1##*/} into $WEB_VENDOR_DIR"
    python3 - "$@" <<'PY' || die "could not install ${1##*/} (see above)"
import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request

url, integrity, *pairs = sys.argv[1:]
try:
    with urllib.request.urlopen(url, timeout=60) as response:
        blob = response.read()
except OSError as exc:
    sys.exit(f"error: cannot download {url}: {exc}")
algorithm, _, expected = integrity.partition("-")
actual = base64.b64encode(hashlib.new(algorithm, blob).digest()).decode()
if actual != expected:
    sys.exit(f"error: {url} does not match the pinned integrity\n"
             f"  expected {integrity}\n  got      {algorithm}-{actual}\n"
             "refusing to install it")
with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as archive:
    for pair in pairs:
        member, _, destination = pair.partition("=")
        try:
            source = archive.extractfile(member)
        except KeyError:
            source = None
        if source is None:
            sys.exit(f"error: {url} has no file {member}")
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        partial = destination + ".part"
        with open(partial, "wb") as out:
            out.write(source.read())
        os.replace(partial, destination)
PY
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    cd "$(dirname "$0")/.."
    [ "$#" -gt 0 ] || set -- ensure_web_vendor
    for step in "$@"; do
        case "$step" in
            ensure_*) declare -F "$step" >/dev/null || die "no such setup step: $step" ;;
            *) die "not a setup step: $step (ensure_web_vendor, ensure_browser, ...)" ;;
        esac
        "$step"
    done
fi
