"""HTTP lookups: carries out the engine's ``Lookup`` action (CRM and similar calls).

The HTTP client is handed in (httpx, whose transport tests can swap), so the service owns
the rules, not the connection: a JSON answer becomes the saved variable, a non-2xx status,
a timeout or a non-JSON body is an error the flow handles with ``on_error``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from voice.ivr.actions import Lookup


@dataclass(frozen=True)
class LookupResult:
    """The outcome of one lookup, as the engine's ``LookupCompleted`` wants it."""

    ok: bool
    status: int | None = None
    data: Any = None
    error: str | None = None


class HttpLookupService:
    """Performs lookups with an ``httpx.Client``."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def perform(self, action: Lookup) -> LookupResult:
        """Make the request; never raises for network or HTTP errors."""
        try:
            response = self.client.request(action.method, action.url, headers=action.headers,
                                           json=action.body, timeout=action.timeout)
        except httpx.TimeoutException:
            return LookupResult(False, None, None, f"timed out after {action.timeout:g} s")
        except httpx.HTTPError as exc:
            return LookupResult(False, None, None, f"request failed: {type(exc).__name__}")
        if not response.is_success:
            return LookupResult(False, response.status_code, None,
                                f"HTTP {response.status_code}")
        try:
            data = response.json() if response.content else None
        except ValueError:
            return LookupResult(False, response.status_code, None, "the answer is not JSON")
        return LookupResult(True, response.status_code, data, None)
