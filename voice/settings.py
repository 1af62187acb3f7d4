"""Settings of the voice service: defaults from ``config/defaults.toml``, overridden by ``VOICE_*``.

Owns reading, validating and normalising every setting into one frozen :class:`Settings`
value. Every problem (bad value, missing directory, unknown ``VOICE_*`` variable) is collected
and raised together as one :class:`~voice.errors.SettingsError`, one line per problem naming
the variable, so an operator fixes them all in one round. This module must not open
databases or start anything; the only side effect allowed is creating ``data_dir``, because
"can the service write its data here?" is a question startup has to answer.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import ipaddress
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from voice.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULTS_FILE = PROJECT_ROOT / "config" / "defaults.toml"
ENV_PREFIX = "VOICE_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SQLITE_FILE_NAME = "voice.db"


@dataclass(frozen=True)
class Settings:
    """Validated settings of one process; paths are absolute, values normalised."""

    data_dir: Path
    database_url: str
    flows_dir: Path
    schedules_file: Path
    public_url: str
    web_host: str
    web_port: int
    web_workers: int
    log_level: str
    recordings_dir: Path
    secret_key: str = field(repr=False)
    twilio_validate: bool = True
    twilio_default_flow: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    #: Twilio API key (SK...) and its secret: sign the browser softphones' access tokens
    twilio_api_key_sid: str | None = None
    twilio_api_key_secret: str | None = field(default=None, repr=False)
    #: the TwiML App (AP...) whose Voice URL the browser softphones' outgoing calls use
    twilio_twiml_app_sid: str | None = None
    #: seconds a browser softphone's access token is valid (Twilio allows up to 24 hours)
    twilio_token_ttl: int = 3600
    lookup_budget: float = 3.0
    queue_handle_time: int = 180
    #: who verifies callers: "store" (the customers table) or "http" (the CRM at auth_http_url)
    auth_verifier: str = "store"
    auth_http_url: str | None = None
    auth_http_token: str | None = field(default=None, repr=False)
    #: consecutive failures that lock an account, within auth_lockout_minutes
    auth_lockout_attempts: int = 5
    auth_lockout_minutes: int = 30
    #: failures from one caller ID (any accounts) within auth_lockout_minutes before refusing
    auth_caller_attempts: int = 10
    auth_hash_time_cost: int = 2
    auth_hash_memory_kib: int = 65536
    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    sip_workers: int = 1
    #: networks allowed to send calls (trunks, PBXs); others get 403
    sip_allow: tuple[str, ...] = ("127.0.0.0/8",)
    sip_grace: int = 30
    #: where SIP callbacks dial the customer: a SIP URI template with {number} (None: SIP
    #: callers are not called back; the queue's callback offer works on Twilio only)
    sip_callback_uri: str | None = None
    #: the ACD's queues (strategy, ring timeout, wrap-up...): imported by ``voice up`` for
    #: queues not yet configured (None: no file)
    queues_file: Path | None = None
    #: a Vosk model folder for speech menus (None: speech input is not offered on SIP calls)
    vosk_model: Path | None = None
    prompts_dir: Path | None = None
    #: Redis for the task queue (None: Huey on SQLite at <data_dir>/tasks.db, no server)
    redis_url: str | None = None
    #: days recordings and transcripts are kept unless a flow says otherwise
    retention_days: int = 365
    #: base64 of a 32-byte master key: recordings are encrypted at rest (None: in clear)
    recordings_key: str | None = field(default=None, repr=False)
    #: the official Vosk model list (`voice models list|fetch`)
    vosk_models_url: str = "https://alphacephei.com/vosk/models/model-list.json"
    #: IANA time zone of the supervisor pages: where "today" (wallboard) and report days begin
    wallboard_timezone: str = "UTC"
    # read from TWILIO_AUTH_TOKEN / TWILIO_ACCOUNT_SID (Twilio's own names), not VOICE_*
    twilio_auth_token: str = field(default="", repr=False)
    twilio_account_sid: str = ""

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None when the database is not SQLite."""
        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or not url.database:
            return None
        return Path(url.database)

    def missing_twilio_credentials(self) -> list[str]:
        """The Twilio variables a REST call needs that are not set (empty: all there)."""
        return [name for name, value in (("TWILIO_ACCOUNT_SID", self.twilio_account_sid),
                                         ("TWILIO_AUTH_TOKEN", self.twilio_auth_token))
                if not value]

    def missing_twilio_token_settings(self) -> list[str]:
        """The variables a browser softphone's access token needs that are not set."""
        return [name for name, value in (
            ("TWILIO_ACCOUNT_SID", self.twilio_account_sid),
            ("VOICE_TWILIO_API_KEY_SID", self.twilio_api_key_sid),
            ("VOICE_TWILIO_API_KEY_SECRET", self.twilio_api_key_secret),
            ("VOICE_TWILIO_TWIML_APP_SID", self.twilio_twiml_app_sid)) if not value]

    @property
    def database_url_redacted(self) -> str:
        """The database URL with any password replaced by ``***``, safe to print or log."""
        return make_url(self.database_url).render_as_string(hide_password=True)


@dataclass(frozen=True)
class _Raw:
    """One setting's raw text, where it came from, and how to resolve relative paths."""

    env_name: str
    value: object
    from_env: bool
    base_dir: Path

    @property
    def label(self) -> str:
        suffix = "" if self.from_env else " (default from config/defaults.toml)"
        return f"{self.env_name}{suffix}"


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    defaults_file: Path | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Build :class:`Settings` from the defaults file and ``VOICE_*`` variables in ``environ``.

    ``environ`` defaults to ``os.environ``; ``cwd`` (for relative paths in variables) to the
    current directory. Raises :class:`~voice.errors.SettingsError` listing every problem.
    """
    env = os.environ if environ is None else environ
    base = Path.cwd() if cwd is None else cwd
    problems: list[str] = []
    defaults = _read_defaults(defaults_file or DEFAULTS_FILE, problems)

    def raw(field: str) -> _Raw:
        env_name = ENV_PREFIX + field.upper()
        value = env.get(env_name, "")
        if value.strip():
            return _Raw(env_name, value.strip(), True, base)
        return _Raw(env_name, defaults.get(field, ""), False, PROJECT_ROOT)

    data_dir = _check(problems, raw("data_dir"), _data_dir)
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": _check(problems, raw("database_url"), lambda r: _database_url(r, data_dir)),
        "flows_dir": _check(problems, raw("flows_dir"), _existing_dir),
        "schedules_file": _check(problems, raw("schedules_file"), _path),
        "public_url": _check(problems, raw("public_url"), _http_url),
        "web_host": _check(problems, raw("web_host"), _host),
        "web_port": _check(problems, raw("web_port"), _port),
        "web_workers": _check(problems, raw("web_workers"), _workers),
        "log_level": _check(problems, raw("log_level"), _log_level),
        "recordings_dir": _check(problems, raw("recordings_dir"),
                                 lambda r: _recordings_dir(r, data_dir)),
        "secret_key": _check(problems, raw("secret_key"), _secret_key),
        "twilio_validate": _check(problems, raw("twilio_validate"), _bool),
        "twilio_default_flow": _check(problems, raw("twilio_default_flow"), _optional_text),
        "twilio_api_url": _check(problems, raw("twilio_api_url"), _http_url),
        "twilio_api_key_sid": _check(problems, raw("twilio_api_key_sid"),
                                     lambda r: _twilio_sid(r, "SK", "an API key SID")),
        "twilio_api_key_secret": _check(problems, raw("twilio_api_key_secret"), _optional_text),
        "twilio_twiml_app_sid": _check(problems, raw("twilio_twiml_app_sid"),
                                       lambda r: _twilio_sid(r, "AP", "a TwiML App SID")),
        "twilio_token_ttl": _check(problems, raw("twilio_token_ttl"), _token_ttl),
        "lookup_budget": _check(problems, raw("lookup_budget"), _budget),
        "queue_handle_time": _check(problems, raw("queue_handle_time"), _workers),
        "auth_verifier": _check(problems, raw("auth_verifier"), _verifier),
        "auth_http_url": _check(problems, raw("auth_http_url"), _optional_http_url),
        "auth_http_token": _check(problems, raw("auth_http_token"), _optional_text),
        "auth_lockout_attempts": _check(problems, raw("auth_lockout_attempts"), _workers),
        "auth_lockout_minutes": _check(problems, raw("auth_lockout_minutes"), _workers),
        "auth_caller_attempts": _check(problems, raw("auth_caller_attempts"), _workers),
        "auth_hash_time_cost": _check(problems, raw("auth_hash_time_cost"), _workers),
        "auth_hash_memory_kib": _check(problems, raw("auth_hash_memory_kib"), _memory_kib),
        "sip_host": _check(problems, raw("sip_host"), _host),
        "sip_port": _check(problems, raw("sip_port"), _port),
        "sip_workers": _check(problems, raw("sip_workers"), _workers),
        "sip_allow": _check(problems, raw("sip_allow"), _networks),
        "sip_grace": _check(problems, raw("sip_grace"), _workers),
        "sip_callback_uri": _check(problems, raw("sip_callback_uri"), _callback_uri),
        "queues_file": _check(problems, raw("queues_file"), _optional_file),
        "vosk_model": _check(problems, raw("vosk_model"), _optional_model),
        "prompts_dir": _check(problems, raw("prompts_dir"),
                              lambda r: _sub_dir(r, data_dir, "prompts")),
        "redis_url": _check(problems, raw("redis_url"), _optional_redis_url),
        "retention_days": _check(problems, raw("retention_days"), _workers),
        "recordings_key": _check(problems, raw("recordings_key"), _optional_master_key),
        "vosk_models_url": _check(problems, raw("vosk_models_url"), _http_url),
        "wallboard_timezone": _check(problems, raw("wallboard_timezone"), _timezone),
        "twilio_auth_token": env.get("TWILIO_AUTH_TOKEN", "").strip(),
        "twilio_account_sid": env.get("TWILIO_ACCOUNT_SID", "").strip(),
    }
    if values["auth_verifier"] == "http" and not values["auth_http_url"]:
        problems.append("VOICE_AUTH_VERIFIER is 'http' but VOICE_AUTH_HTTP_URL is not set; "
                        "give the CRM's verification URL or use 'store'")
    problems.extend(_unknown_variables(env))
    if problems:
        raise SettingsError(problems)
    return Settings(**values)  # type: ignore[arg-type]


def known_variables() -> list[str]:
    """The ``VOICE_*`` environment variables this version understands, sorted."""
    return sorted(ENV_PREFIX + field.upper() for field in _FIELD_NAMES)


_FROM_TWILIO_NAMES = ("twilio_auth_token", "twilio_account_sid")
_FIELD_NAMES = tuple(f for f in Settings.__dataclass_fields__ if f not in _FROM_TWILIO_NAMES)


def _read_defaults(path: Path, problems: list[str]) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        problems.append(f"{path}: defaults file is missing; restore it from the repository")
        return {}
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{path}: not valid TOML ({exc}); fix the syntax")
        return {}
    for key in sorted(set(data) - set(_FIELD_NAMES)):
        problems.append(f"{path}: unknown key '{key}'{_suggest(key, _FIELD_NAMES)}")
    return data


def _check(problems: list[str], raw: _Raw, parse: Callable[[_Raw], object]) -> object:
    """Run one parser; a ValueError becomes a problem line naming the variable."""
    try:
        return parse(raw)
    except ValueError as exc:
        problems.append(f"{raw.label}: {exc}")
        return None


def _path(raw: _Raw) -> Path:
    text = str(raw.value).strip()
    if not text:
        raise ValueError("is empty; give a path")
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = raw.base_dir / path
    return path.resolve()


def _data_dir(raw: _Raw) -> Path:
    path = _path(raw)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ValueError(f"{path} exists and is not a directory") from None
    except OSError as exc:
        raise ValueError(f"cannot create directory {path} ({exc.strerror})") from None
    if not os.access(path, os.W_OK):
        raise ValueError(f"directory {path} is not writable by this user")
    return path


def _existing_dir(raw: _Raw) -> Path:
    path = _path(raw)
    if not path.is_dir():
        raise ValueError(f"{path} does not exist or is not a directory")
    return path


def _database_url(raw: _Raw, data_dir: object) -> str | None:
    text = str(raw.value).strip()
    if not text:
        if not isinstance(data_dir, Path):
            return None  # data_dir already reported
        return f"sqlite:///{data_dir / SQLITE_FILE_NAME}"
    hint = "use sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE"
    try:
        url = make_url(text)
    except ArgumentError:
        raise ValueError(f"'{text}' is not a database URL; {hint}") from None
    shown = url.render_as_string(hide_password=True)
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        if not url.database or url.database == ":memory:":
            raise ValueError(
                f"'{shown}' is an in-memory database, which every process would see empty; "
                "give a file path, e.g. sqlite:////var/lib/voice/voice.db"
            )
        path = Path(url.database).expanduser()
        if not path.is_absolute():
            path = (raw.base_dir / path).resolve()
        return url.set(drivername="sqlite", database=str(path)).render_as_string(
            hide_password=False
        )
    if url.drivername == "postgresql+psycopg":
        if not url.database:
            raise ValueError(f"'{shown}' names no database; add /DATABASE at the end")
        return url.render_as_string(hide_password=False)
    if url.get_backend_name() == "postgresql":
        raise ValueError(
            f"'{shown}' uses driver '{url.drivername}'; write postgresql+psycopg://... "
            "(psycopg 3 is the installed driver)"
        )
    raise ValueError(f"'{shown}' is not supported; {hint}")


def _http_url(raw: _Raw) -> str:
    text = str(raw.value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"'{text}' is not an http:// or https:// URL")
    return text.rstrip("/")


def _host(raw: _Raw) -> str:
    text = str(raw.value).strip()
    if not text or any(ch.isspace() for ch in text):
        raise ValueError(f"'{text}' is not a host name or IP address")
    return text


def _int(raw: _Raw) -> int | None:
    value = raw.value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _port(raw: _Raw) -> int:
    number = _int(raw)
    if number is None or not 1 <= number <= 65535:
        raise ValueError(f"'{raw.value}' is not a port number (1-65535)")
    return number


def _workers(raw: _Raw) -> int:
    number = _int(raw)
    if number is None or number < 1:
        raise ValueError(f"'{raw.value}' is not a worker count (a whole number, 1 or more)")
    return number


def _log_level(raw: _Raw) -> str:
    text = str(raw.value).strip().upper()
    if text not in LOG_LEVELS:
        raise ValueError(f"'{raw.value}' is not a log level; use one of {', '.join(LOG_LEVELS)}")
    return text


def _recordings_dir(raw: _Raw, data_dir: object) -> Path | None:
    if not str(raw.value).strip():
        return data_dir / "recordings" if isinstance(data_dir, Path) else None
    return _path(raw)


def _sub_dir(raw: _Raw, data_dir: object, name: str) -> Path | None:
    if not str(raw.value).strip():
        return data_dir / name if isinstance(data_dir, Path) else None
    return _path(raw)


def _networks(raw: _Raw) -> tuple[str, ...]:
    """Comma-separated addresses or CIDR networks, e.g. ``127.0.0.0/8,203.0.113.7``."""
    items = [part.strip() for part in str(raw.value).split(",") if part.strip()]
    if not items:
        raise ValueError("is empty; list the trunk addresses or networks allowed to call, "
                         "e.g. 203.0.113.0/24,127.0.0.1")
    networks = []
    for item in items:
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ValueError(f"'{item}' is not an IP address or network (e.g. 10.0.0.0/8)"
                             ) from None
    return tuple(networks)


def _optional_model(raw: _Raw) -> Path | None:
    if not str(raw.value).strip():
        return None
    path = _path(raw)
    if not (path / "am").is_dir() and not (path / "conf").is_dir():
        raise ValueError(f"{path} is not a Vosk model folder (it has no am/ or conf/ inside); "
                         "download one with `voice models` or point at an unpacked model")
    return path


def _secret_key(raw: _Raw) -> str:
    """Empty (a key is made and kept in the data folder) or a Fernet key."""
    text = str(raw.value).strip()
    if text:
        try:
            ok = len(base64.urlsafe_b64decode(text.encode())) == 32
        except (binascii.Error, ValueError):
            ok = False
        if not ok:
            raise ValueError("is not a key made by `voice secret-key` (32 bytes, url-safe "
                             "base64); leave it empty to keep one in the data folder")
    return text


def _bool(raw: _Raw) -> bool:
    value = raw.value
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"'{value}' is not true or false")


def _verifier(raw: _Raw) -> str:
    text = str(raw.value).strip().lower()
    if text not in ("store", "http"):
        raise ValueError(f"'{raw.value}' is not a verifier; use 'store' (the customers table) "
                         "or 'http' (your CRM, at VOICE_AUTH_HTTP_URL)")
    return text


def _optional_http_url(raw: _Raw) -> str | None:
    return _http_url(raw) if str(raw.value).strip() else None


def _optional_redis_url(raw: _Raw) -> str | None:
    text = str(raw.value).strip()
    if not text:
        return None
    if urlsplit(text).scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"'{text}' is not a Redis URL (redis://host:6379/0)")
    return text


def _optional_master_key(raw: _Raw) -> str | None:
    text = str(raw.value).strip()
    if not text:
        return None
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ValueError("is not the base64 of 32 bytes; make one with 'voice secret-key "
                         "--recordings'")
    return text


def _memory_kib(raw: _Raw) -> int:
    number = _int(raw)
    if number is None or not 8 <= number <= 4 * 1024 * 1024:
        raise ValueError(f"'{raw.value}' is not an argon2 memory size in KiB (8 to 4194304)")
    return number


def _optional_file(raw: _Raw) -> Path | None:
    if not raw.value.strip():
        return None
    path = _path(raw)
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    return path


def _callback_uri(raw: _Raw) -> str | None:
    value = raw.value.strip()
    if not value:
        return None
    if not value.startswith(("sip:", "sips:")) or "{number}" not in value:
        raise ValueError("must be a SIP URI template containing {number}, e.g. "
                         "sip:{number}@trunk.example.com:5060")
    return value


def _twilio_sid(raw: _Raw, prefix: str, what: str) -> str | None:
    """Empty, or a Twilio SID: ``prefix`` and 32 hex digits."""
    text = str(raw.value).strip()
    if not text:
        return None
    tail = text[2:]
    if not text.startswith(prefix) or len(tail) != 32 or \
            any(ch not in "0123456789abcdefABCDEF" for ch in tail):
        raise ValueError(f"'{text[:6]}...' is not {what} ({prefix} followed by 32 hex "
                         "digits); copy it from the Twilio console")
    return text


def _token_ttl(raw: _Raw) -> int:
    number = _int(raw)
    if number is None or not 60 <= number <= 86400:
        raise ValueError(f"'{raw.value}' is not a token lifetime in seconds (60 to 86400, "
                         "Twilio's limit)")
    return number


def _timezone(raw: _Raw) -> str:
    """An IANA time zone name known to this machine's zoneinfo database."""
    text = str(raw.value).strip() or "UTC"
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{text}' is not an IANA time zone name; use e.g. UTC, "
                         "Europe/Berlin or America/New_York") from None
    return text


def _optional_text(raw: _Raw) -> str | None:
    return str(raw.value).strip() or None


def _budget(raw: _Raw) -> float:
    try:
        value = float(str(raw.value).strip())
    except ValueError:
        value = -1.0
    if not 0.1 <= value <= 10:
        raise ValueError(f"'{raw.value}' is not a number of seconds from 0.1 to 10 (Twilio "
                         "gives up on a webhook after 15 s)")
    return value


#: VOICE_* variables that are command inputs, not settings (``voice users add`` reads the
#: password from VOICE_USER_PASSWORD so it stays out of the process list; VOICE_ACTOR names
#: who runs a CLI command in the audit log, see ``voice.audit.log.cli_actor``)
COMMAND_VARIABLES = ("VOICE_USER_PASSWORD", "VOICE_ACTOR")


def _unknown_variables(env: Mapping[str, str]) -> list[str]:
    known = known_variables()
    return [
        f"{name}: unknown setting{_suggest(name, known)}"
        for name in sorted(env)
        if name.startswith(ENV_PREFIX) and name not in known and name not in COMMAND_VARIABLES
    ]


def _suggest(name: str, candidates: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]}?"
    return f"; known settings: {', '.join(candidates)}"
