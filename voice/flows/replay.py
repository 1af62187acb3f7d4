"""Simulating the text being edited, statelessly: every request replays the call from the start.

The web editor's simulate panel keeps the caller's inputs so far (keys, ``say:<words>``,
``timeout``, ``hangup``, ``agent``, ``busy``: the tokens of ``voice flows simulate``) and
sends them all each time with the editor's text; :func:`replay` runs
:class:`~voice.flows.simulator.Simulator` over them and answers the dialogue, the IVR path,
how the call ended or what it waits for next. Same text, inputs, time and caller give the
same answer, and no state is kept between requests.

Unlike the CLI, callers are verified against the made-up demo customers held in memory (as
``voice flows test`` does), never the real customers store: a replay re-verifies on every
keypress, which must not add failed attempts to (or lock) real accounts. Lookups are
answered only from canned answers; nothing is fetched over HTTP from the web process. The
run is not written to the call log. Sensitive input is masked in the dialogue and the path
by the simulator and the engine, as in the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from voice.auth.verifier import DirectoryVerifier, load_directory
from voice.flows.catalog import PinnedFlows
from voice.flows.editing import FlowEditor
from voice.flows.errors import SimulationInputError
from voice.flows.simulator import DEFAULT_FROM, CannedLookups, Simulator, canned_answer
from voice.ivr.errors import IvrError
from voice.ivr.state import ENDED
from voice.settings import PROJECT_ROOT

DEMO_CUSTOMERS = PROJECT_ROOT / "config" / "demo_customers.csv"
MAX_INPUTS = 200
MAX_TOKEN = 200
_directories: dict[Path, tuple[float, DirectoryVerifier]] = {}


@dataclass(frozen=True)
class ReplayRequest:
    """One simulate-panel request: the caller's inputs so far and the call's setting."""

    inputs: Sequence[str]
    at: datetime
    from_number: str | None = None
    to_number: str | None = None
    customer: str | None = None
    lookups: Mapping[str, Any] = field(default_factory=dict)


def demo_directory(path: Path = DEMO_CUSTOMERS) -> DirectoryVerifier:
    """The demo customers (read again only when the file changes)."""
    try:
        stamp = path.stat().st_mtime
    except OSError:
        stamp = -1.0
    cached = _directories.get(path)
    if cached is None or cached[0] != stamp:
        cached = (stamp, load_directory(path))
        _directories[path] = cached
    return cached[1]


def parse_request(body: Mapping[str, Any]) -> ReplayRequest:
    """A :class:`ReplayRequest` from the panel's JSON; SimulationInputError names the field."""
    inputs = body.get("inputs", [])
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        raise SimulationInputError("'inputs' must be a list of caller inputs such as \"1\", "
                                   "\"1234#\", \"say:billing\", \"timeout\" or \"hangup\"")
    if len(inputs) > MAX_INPUTS or any(len(i) > MAX_TOKEN for i in inputs):
        raise SimulationInputError(f"too many or too long inputs (at most {MAX_INPUTS} of "
                                   f"{MAX_TOKEN} characters): press Restart")
    raw_at = body.get("at")
    try:
        at = datetime.fromisoformat(str(raw_at))
    except ValueError:
        raise SimulationInputError(f"'at' must be an ISO 8601 date-time with a time zone "
                                   f"(e.g. 2026-11-24T10:00:00-05:00), got '{raw_at}'") from None
    if at.tzinfo is None:
        raise SimulationInputError(f"'at' needs a time zone offset (e.g. -05:00), got "
                                   f"'{raw_at}'")
    return ReplayRequest(inputs=list(inputs), at=at,
                         from_number=_text(body.get("from")), to_number=_text(body.get("to")),
                         customer=_text(body.get("customer")),
                         lookups=parse_lookups(body.get("lookups") or ""))


def parse_lookups(text: str) -> dict[str, Any]:
    """Canned lookup answers, one ``NODE=JSON`` or ``NODE=error`` a line (as ``--lookup``)."""
    if not isinstance(text, str):
        raise SimulationInputError("'lookups' must be text: one NODE=JSON a line")
    answers: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            node, answer = canned_answer(line)
        except ValueError as exc:
            raise SimulationInputError(f"lookups line {number}: {exc}") from None
        answers[node] = answer
    return answers


def replay(editor: FlowEditor, flow_id: str, text: str, request: ReplayRequest,
           directory: DirectoryVerifier | None = None) -> dict[str, Any]:
    """Run ``text`` (as flow ``flow_id``) over the inputs; JSON-ready result.

    Raises FlowValidationError when the text cannot run (with every problem).
    """
    verifier = directory if directory is not None else demo_directory()
    checked, flows = editor.runnable(flow_id, text)
    root = flows[flow_id]
    customer = verifier.by_account(request.customer) if request.customer else None
    if request.customer and customer is None:
        raise SimulationInputError(f"no demo customer with account '{request.customer}' "
                                   f"(they are in {DEMO_CUSTOMERS.name})")
    from_number = request.from_number or (customer.phones[0] if customer and customer.phones
                                          else DEFAULT_FROM)
    to_number = request.to_number or (root.numbers[0] if root.numbers else "sim")
    pending = list(request.inputs)
    used = 0

    def next_input(_kind: str) -> str | None:
        nonlocal used
        if not pending:
            return None
        used += 1
        return pending.pop(0)

    pinned = PinnedFlows(flow_id, flows, {}, {})
    sim = Simulator(pinned, schedules=editor.catalog.schedules(), verifier=verifier,
                    lookups=CannedLookups(request.lookups))
    try:
        result = sim.run(next_input, call_id=f"sim-{flow_id}", from_number=from_number,
                         to_number=to_number, at=request.at)
    except IvrError as exc:
        raise SimulationInputError(f"input {used} cannot be used at this point of the call "
                                   f"({exc}); press Restart call") from None
    state = result.state
    waiting = None
    if state.status != ENDED and state.wait is not None:
        node = flows.get(state.flow, root).nodes.get(state.node or "")
        gathers = [a for a in result.actions if a.get("action") == "Gather"]
        waiting = {"for": state.wait.kind, "node": state.node,
                   "type": node.type_name if node is not None else None,
                   "sensitive": state.wait.kind == "input" and bool(
                       gathers and gathers[-1].get("sensitive"))}
    return {
        "flow": flow_id, "file": checked.file, "from": from_number, "to": to_number,
        "at": request.at.isoformat(), "inputs_used": used, "inputs_left": len(pending),
        "dialogue": [{"speaker": line.speaker, "text": line.text} for line in result.lines],
        "path": [{"flow": step.get("flow"), "node": step.get("node"),
                  "type": step.get("type"), "outcome": step.get("outcome"),
                  "input": step.get("input"), "at": step.get("at")} for step in result.path],
        "final": result.final, "waiting": waiting, "ended": waiting is None,
        "auth": state.auth, "vars": state.vars,
    }


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
