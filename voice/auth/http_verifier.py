"""``HttpVerifier``: callers verified by the deployment's own CRM over HTTP.

With ``VOICE_AUTH_VERIFIER=http`` every check an ``authenticate`` node makes is one
``POST`` of JSON to ``VOICE_AUTH_HTTP_URL``, with ``Authorization: Bearer <token>`` when
``VOICE_AUTH_HTTP_TOKEN`` is set. This is the contract admins integrate against.

Request body (fields that are not set are left out)::

    {"method": "account_pin",        # "ani" | "account_pin" | "knowledge"
     "caller_id": "+15550123",       # the caller's number as the carrier gave it
     "account": "10001234",          # account number the caller keyed in
     "customer_id": "c-42",          # customer identified by an earlier method of the node
     "secret": "1234",               # the PIN (account_pin)
     "answers": {"zip": "10001"},    # knowledge answers (knowledge)
     "call_id": "..."}               # the service's call id, for the CRM's own audit log

Response body (any 2xx status)::

    {"verified": true,               # required, a JSON boolean
     "customer": {"id": "c-42", "first_name": "Ada", "last_name": "Lovelace",
                  "tier": "gold", "account": "10001234"},   # object or null
     "reason": null}                 # why not verified: "no-match", "locked", ... or null

Only display fields of ``customer`` are kept: ``id`` (made a string), ``account`` (a string,
masked by the engine wherever it is shown) and other string or number fields, except those
whose name contains ``pin``, ``secret``, ``password``, ``ssn``, ``dob``, ``zip`` or
``answer``; nested objects, lists and booleans are dropped. The customer of a caller who is
not verified is ignored. The flow sees ``reason`` only when it is ``no-match``, ``locked``
or ``limited`` (any other, or none, becomes ``no-match``, so callers cannot tell an unknown
account from a wrong PIN); the CRM's own reason is kept as the audit ``detail``.

A CRM that is unreachable, times out (``timeout`` seconds per connect/read/write), answers
anything but 2xx (redirects are not followed: the secret goes to the configured URL only),
or answers a body that is not JSON of that shape gives ``verified: false`` with reason
``verifier-unavailable`` (the problem is the audit ``detail``) and one WARNING log line
naming the URL and the problem. The secret, the answers, the caller's number and the full
account number are never logged, nor is the CRM's answer (it might echo them).
"""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from voice.auth.verifier import VerificationResult
from voice.ivr.actions import VerifyCaller
from voice.ivr.templates import mask

log = logging.getLogger(__name__)

UNAVAILABLE = "verifier-unavailable"
NO_MATCH = "no-match"
#: CRM reasons passed on to the flow as they are; any other becomes "no-match" (audit: detail)
FLOW_REASONS = frozenset({NO_MATCH, "locked", "limited"})
SENSITIVE_NAMES = ("pin", "secret", "password", "ssn", "dob", "zip", "answer")
MAX_REASON_LENGTH = 64


class HttpVerifier:
    """Verifies callers by asking a CRM over HTTP (see the module docstring for the JSON)."""

    def __init__(self, client: httpx.Client, url: str, token: str | None = None,
                 timeout: float = 3.0) -> None:
        self.client = client
        self.url = url
        self.token = token or None
        self.timeout = timeout

    def verify(self, request: VerifyCaller, call_id: str | None = None) -> VerificationResult:
        """Ask the CRM about ``request``; never raises (a CRM failure is not verified)."""
        try:
            response = self.client.post(self.url, json=request_body(request, call_id),
                                        headers=self._headers(), timeout=self.timeout)
        except httpx.TimeoutException:
            return self._unavailable(request, call_id, f"timed out after {self.timeout:g} s")
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return self._unavailable(request, call_id, f"request failed: {type(exc).__name__}")
        except Exception as exc:  # never raise into the call: say what broke, not the payload
            return self._unavailable(request, call_id, f"unexpected {type(exc).__name__}")
        if not response.is_success:
            return self._unavailable(request, call_id, f"HTTP {response.status_code}")
        try:
            document = response.json()
        except ValueError:
            return self._unavailable(request, call_id, "the answer is not JSON")
        problem = shape_problem(document)
        if problem:
            return self._unavailable(request, call_id, problem)
        if not document["verified"]:
            detail = (document.get("reason") or "").strip()[:MAX_REASON_LENGTH] or None
            reason = detail if detail in FLOW_REASONS else NO_MATCH
            return VerificationResult(False, None, reason, detail=detail)
        customer = document.get("customer")
        return VerificationResult(True, None if customer is None else display_fields(customer))

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _unavailable(self, request: VerifyCaller, call_id: str | None,
                     problem: str) -> VerificationResult:
        account = mask(request.account) if request.account else "-"
        log.warning("call %s: verifier %s unavailable (%s); method %s, account %s",
                    call_id or "-", loggable_url(self.url), problem, request.method, account)
        return VerificationResult(False, None, UNAVAILABLE, detail=problem)


def request_body(request: VerifyCaller, call_id: str | None = None) -> dict[str, Any]:
    """The JSON the CRM receives for ``request``: only the fields that are set."""
    body: dict[str, Any] = {
        "method": request.method, "caller_id": request.caller_id, "account": request.account,
        "customer_id": request.customer_id, "secret": request.secret,
        "answers": None if request.answers is None else dict(request.answers),
        "call_id": call_id,
    }
    return {name: value for name, value in body.items() if value is not None}


def shape_problem(document: Any) -> str | None:
    """Why ``document`` is not a valid CRM answer, or None when it is."""
    if not isinstance(document, dict):
        return "the answer is not a JSON object"
    if not isinstance(document.get("verified"), bool):
        return "'verified' is missing or not a boolean"
    if not isinstance(document.get("customer"), dict | None):
        return "'customer' is neither an object nor null"
    if not isinstance(document.get("reason"), str | None):
        return "'reason' is neither a string nor null"
    return None


def display_fields(customer: dict[str, Any]) -> dict[str, Any]:
    """The fields of a CRM customer the service may keep and show (no secrets)."""
    kept: dict[str, Any] = {}
    for name, value in customer.items():
        if any(word in name.lower() for word in SENSITIVE_NAMES):
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            continue
        kept[name] = str(value) if name in ("id", "account") else value
    return kept


def loggable_url(url: str) -> str:
    """``url`` without user info, query or fragment (they may carry credentials)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = host if parts.port is None else f"{host}:{parts.port}"
    except ValueError:
        return "<invalid URL>"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
