"""Small helpers for SIP text the media worker reads: headers, URI users, safe file names.

pjsua2 hands the worker the whole INVITE as text (``rdata.wholeMsg``); these pull out what the
worker needs (Request-URI user = the dialled number, From user, Call-ID, Allow, the Kamailio
``X-Voice-Source``), plus the Retry-After header of a refusal.
"""

from __future__ import annotations

import re

import pjsua2 as pj

_HEADERS: dict[str, re.Pattern[str]] = {}


def header(message: str, name: str, short: str | None = None) -> str | None:
    """The value of header ``name`` (or its compact form ``short``) in ``message``'s head."""
    pattern = _HEADERS.get(name)
    if pattern is None:
        names = re.escape(name) + (f"|{re.escape(short)}" if short else "")
        pattern = re.compile(rf"^(?:{names})[ \t]*:[ \t]*(.*?)\s*$", re.I | re.M)
        _HEADERS[name] = pattern
    head = message.split("\r\n\r\n", 1)[0]
    match = pattern.search(head)
    return match.group(1) if match else None


def uri_user(value: str | None) -> str:
    """The user part of the first SIP URI in a header value ("" when there is none)."""
    if not value:
        return ""
    match = re.search(r"<?sips?:([^@;>]+)@", value)
    return match.group(1) if match else ""


def request_user(message: str) -> str:
    """The user part of an INVITE's Request-URI: the number the caller dialled."""
    first = message.split("\r\n", 1)[0]
    match = re.match(r"INVITE\s+sips?:([^@;>\s]+)@", first)
    return match.group(1) if match else ""


def safe_name(text: str) -> str:
    """``text`` (a Call-ID) made safe as a file or folder name."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:120] or "call"


def retry_after_header(seconds: int) -> pj.SipHeader:
    """A ``Retry-After`` header for a 503."""
    item = pj.SipHeader()
    item.hName = "Retry-After"
    item.hValue = str(seconds)
    return item
