"""What the softphone prints: status lines for scripts, screen pops and notes for the agent.

Every line goes to stdout and is flushed at once; a lock keeps lines of different threads (the
pjsua2 loop, the event stream, the key reader) whole. Status lines start with an upper-case
word and are one line each::

    READY contact=sip:alice@127.0.0.1:5071
    STATE available                      (STATE away reason=missed call)
    OFFERED call=<id> from=<number> verified=<true|false> customer=<name or ->
    RINGING from=<sip uri>
    CONNECTED
    HELD / RESUMED / MUTED / UNMUTED
    DTMF <digits>
    ENDED reason=<hangup|remote|rejected|cancelled|failed> status=<SIP code>

Everything meant for people only is indented, so ``grep '^[A-Z]'`` keeps the status lines.
:class:`ScreenPop` turns the service's events into these lines and the screen-pop block.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

RULE = "=" * 60


class Console:
    """Thread-safe line output (see module docstring)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._lock = threading.Lock()

    def status(self, line: str) -> None:
        """A machine-readable status line (``WORD key=value ...``)."""
        self._write([line])

    def info(self, text: str) -> None:
        """A note for the agent (indented; may span lines)."""
        self._write([f"  {line}" for line in text.splitlines() or [""]])

    def block(self, lines: list[str]) -> None:
        """Several lines printed together (a screen pop)."""
        self._write(lines)

    def prompt(self, text: str) -> None:
        """A prompt without a line end (the key reader asks for digits or a reason)."""
        with self._lock:
            self.out.write(f"  {text}")
            self.out.flush()

    def _write(self, lines: list[str]) -> None:
        with self._lock:
            for line in lines:
                self.out.write(line + "\n")
            self.out.flush()


def mask_account(account: object) -> str | None:
    """An account number with all but its last four characters hidden."""
    if account is None or account == "":
        return None
    text = str(account)
    if "*" in text:  # the service masked it already
        return text
    if len(text) <= 4:
        return "*" * len(text)
    return "*" * (len(text) - 4) + text[-4:]


def offered_line(pop: dict[str, Any]) -> str:
    """``OFFERED call=... from=... verified=... customer=...`` of a screen-pop payload."""
    auth = pop.get("authentication") or {}
    verified = "true" if auth.get("verified") else "false"
    customer = auth.get("customer_name") or "-"
    return (f"OFFERED call={pop.get('call_id') or '-'} from={pop.get('from') or '-'} "
            f"verified={verified} customer={customer}")


def screen_pop(pop: dict[str, Any]) -> list[str]:
    """The compact block the agent reads while the phone rings."""
    auth = pop.get("authentication") or {}
    if auth.get("verified"):
        identity = "VERIFIED"
    elif auth.get("customer_id") is not None:
        identity = "NOT VERIFIED (identified only)"
    else:
        identity = "NOT VERIFIED"
    how = [str(auth[k]) for k in ("method", "level") if auth.get(k)]
    if how:
        identity += f" by {', '.join(how)}" if auth.get("verified") else f" ({', '.join(how)})"
    who = [auth.get("customer_name") or ""]
    account = mask_account(auth.get("account"))
    if account:
        who.append(f"account {account}")
    if any(who):
        identity += ": " + ", ".join(w for w in who if w)
    queue = pop.get("queue") or {}
    waited = queue.get("wait_seconds")
    queue_text = str(queue.get("name") or "-")
    if waited is not None:
        queue_text += f", waited {_duration(float(waited))}"
    lines = [RULE, "  Call offered",
             f"  Caller    {pop.get('from') or 'unknown'}"
             f"  (to {pop.get('to') or '?'}, {pop.get('channel') or '?'})",
             f"  Identity  {identity}", f"  Queue     {queue_text}",
             f"  IVR path  {ivr_path(pop.get('ivr_path') or [])}"]
    inputs = pop.get("inputs") or {}
    if inputs:
        lines.append("  Inputs    " + ", ".join(f"{k}={v}" for k, v in inputs.items()))
    lines += [f"  Call id   {pop.get('call_id') or '-'}", RULE]
    return lines


def ivr_path(steps: list[dict[str, Any]]) -> str:
    """``greeting -> menu: 1 -> auth: verified -> support`` (node: outcome)."""
    parts = []
    for step in steps:
        node, outcome = step.get("node") or "?", step.get("outcome")
        parts.append(f"{node}: {outcome}" if outcome else str(node))
    return " -> ".join(parts) if parts else "(none)"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


class ScreenPop:
    """Turns the agent's event stream into STATE/OFFERED lines and screen pops.

    Called on the event-stream thread; only prints. Each call is popped once (by call id),
    even when the stream reconnects or the call moves from reserved to on_call.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self._last_state: tuple[Any, Any] | None = None
        self._popped: set[str] = set()

    def handle(self, event: str, data: dict[str, Any]) -> None:
        """One decoded event of ``/api/agents/me/events``."""
        if event == "state":
            self._state(data)
        elif event == "call":
            self._call(data)

    def _state(self, data: dict[str, Any]) -> None:
        key = (data.get("state"), data.get("reason"))
        if key == self._last_state:
            return
        self._last_state = key
        state, reason = key
        self.console.status(f"STATE {state}" + (f" reason={reason}" if reason else ""))
        if state == "away" and reason == "missed call":
            self.console.info("a call rang unanswered: you are away; press v to take calls")
        elif state == "wrap_up" and data.get("wrap_up_until"):
            self.console.info(f"wrap-up until {data['wrap_up_until']}")

    def _call(self, data: dict[str, Any]) -> None:
        pop = data.get("payload") or {}
        call_id = pop.get("call_id")
        if not call_id or call_id in self._popped:
            return
        if data.get("state") not in ("reserved", "on_call"):
            return
        self._popped.add(call_id)
        self.console.status(offered_line(pop))
        self.console.block(screen_pop(pop))
