"""Lockout, velocity limit and audit around any verifier (customers table or CRM).

:class:`GuardedVerifier` is what the call service and the simulator use. Before a check it
refuses, without asking the verifier, when the account had ``attempts`` failures in a row
within the window (locked) or the caller ID failed ``caller_attempts`` times within the
window across all accounts (limited). Refusals do the same hashing work as a real check and
give the flow the same "not verified" answer, so a caller cannot tell a locked account from
a wrong PIN, by the prompts or by the time. Every attempt, refused or not, is audited in
``auth_attempts`` without the secret; an attempt the verifier could not answer (a CRM that
is down) is audited as ``unavailable`` and counts towards no lockout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from voice.auth.attempts import AttemptRepository
from voice.auth.hashing import SecretHasher
from voice.auth.verifier import VerificationResult, Verifier
from voice.ivr.actions import VerifyCaller
from voice.ivr.templates import mask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures lock an account / limit a caller ID, within which window."""

    attempts: int = 5
    window: timedelta = timedelta(minutes=30)
    caller_attempts: int = 10


def lock_subject(request: VerifyCaller) -> str | None:
    """What a lockout counts under: the account typed, else the identified customer."""
    if request.account:
        return request.account
    if request.customer_id:
        return customer_subject(request.customer_id)
    return None


def customer_subject(customer_id: int | str) -> str:
    """What attempts on a customer identified by caller ID (no account typed) count under."""
    return f"customer:{customer_id}"


class GuardedVerifier:
    """Wraps ``inner`` with lockout, velocity limit and audit (see module docstring)."""

    def __init__(self, inner: Verifier, attempts: AttemptRepository, hasher: SecretHasher,
                 policy: LockoutPolicy, clock: Callable[[], datetime]) -> None:
        self.inner = inner
        self.attempts = attempts
        self.hasher = hasher
        self.policy = policy
        self.clock = clock

    def verify(self, request: VerifyCaller, call_id: str | None = None) -> VerificationResult:
        """Refuse, or check with the inner verifier; audit either way."""
        now = self.clock()
        subject = lock_subject(request)
        audit = {"at": now, "method": request.method, "call_id": call_id,
                 "caller_id": request.caller_id, "account": subject}
        if request.method != "ani":
            refusal = self._refusal(request, subject, now)
            if refusal is not None:
                for _ in range(max(1, len(request.answers or {}))):
                    self.hasher.burn()  # the same work as a real check
                self.attempts.record(**audit, outcome=refusal, reason=refusal)
                return VerificationResult(False, None, refusal)
        result = self.inner.verify(request, call_id)
        customer_id = _customer_id(result)
        # a verifier that could not answer (CRM down) is audited, but counts against no one
        outcome = "verified" if result.verified else \
            "unavailable" if result.reason == "verifier-unavailable" else "failed"
        self.attempts.record(**audit, outcome=outcome, reason=result.detail or result.reason,
                             customer_id=customer_id)
        if not result.verified and subject and request.method != "ani":
            run = self.attempts.account_run(subject, now - self.policy.window)
            if run >= self.policy.attempts:
                log.warning("account %s locked after %d failed verifications (call %s); "
                            "'voice customers unlock' lifts it", mask(subject), run, call_id)
        return result

    def _refusal(self, request: VerifyCaller, subject: str | None,
                 now: datetime) -> str | None:
        since = now - self.policy.window
        if request.caller_id and self.attempts.caller_failures(
                request.caller_id, since) >= self.policy.caller_attempts:
            log.warning("caller %s: verification refused, %d failures within %s",
                        request.caller_id, self.policy.caller_attempts, self.policy.window)
            return "limited"
        if subject and self.attempts.account_run(subject, since) >= self.policy.attempts:
            return "locked"
        return None


def _customer_id(result: VerificationResult) -> int | None:
    value = (result.customer or {}).get("id")
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None
