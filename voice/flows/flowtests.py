"""Flow tests: YAML files of simulated calls with expected outcomes, plus node coverage.

A test file (``ivr_flows/tests/*.yaml``)::

    flow: main
    defaults: {at: "2026-11-24T10:00:00-05:00"}
    tests:
      - name: gold customer verified by PIN gets priority billing
        customer: "10001234"            # caller ID defaults to the customer's phone
        input: ["1", "10001234#", "1234#"]
        lookups: {crm: {vip: false}}    # canned answers by node id, or "error"
        expect:
          visits: [main_menu, auth, vip, billing_priority]   # in order, gaps allowed
          heard: ["Thanks for calling Acme"]                 # substrings, in order
          final: {type: enqueue, queue: billing, priority: 10}

``expect`` also takes ``path`` (the exact node sequence), ``not_visits``, ``not_heard``,
``outcomes`` ({node: outcome}), ``vars`` and ``auth`` (subsets). A node may be named
``flow:node`` to pin it to a flow. The runner reports every failed expectation and the nodes
no test reached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from voice.auth.verifier import DirectoryVerifier
from voice.flows.catalog import FlowCatalog, PinnedFlows
from voice.flows.errors import FlowTestFileError
from voice.flows.simulator import CannedLookups, SimulationResult, Simulator
from voice.flows.sources import display_path
from voice.ivr.yamlsource import LList, LMap, load_located

DEFAULT_AT = "2026-01-06T10:00:00-05:00"  # a Tuesday morning in New York
DEFAULT_FROM = "+15550199"
CASE_KEYS = ("name", "at", "from", "to", "customer", "input", "lookups", "expect")
EXPECT_KEYS = ("visits", "path", "not_visits", "heard", "not_heard", "final", "outcomes",
               "vars", "auth")


@dataclass(frozen=True)
class FlowTestCase:
    """One simulated call and what it must show."""

    name: str
    where: str
    flow: str
    at: datetime
    from_number: str | None
    to_number: str | None
    customer: str | None
    inputs: tuple[str, ...]
    lookups: Mapping[str, Any]
    expect: Mapping[str, Any]


@dataclass
class CaseResult:
    """A case's outcome: ``failures`` is empty when it passed."""

    case: FlowTestCase
    failures: list[str]
    result: SimulationResult | None = None

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.failures


@dataclass
class SuiteReport:
    """All results and the nodes no test reached, per flow."""

    results: list[CaseResult] = field(default_factory=list)
    uncovered: dict[str, list[str]] = field(default_factory=dict)

    @property
    def failed(self) -> list[CaseResult]:
        """The cases that failed."""
        return [r for r in self.results if not r.passed]


def load_cases(path: Path) -> list[FlowTestCase]:
    """Read one test file; FlowTestFileError says where it is malformed."""
    name = display_path(path)
    data, problems = load_located(path.read_text(encoding="utf-8"), name)
    if problems:
        raise FlowTestFileError("\n".join(str(p) for p in problems))
    if not isinstance(data, LMap) or not isinstance(data.get("tests"), LList):
        raise FlowTestFileError(f"{name}:1: a test file has 'flow:' and a list of 'tests:'")
    flow = str(data.get("flow") or "")
    if not flow:
        raise FlowTestFileError(f"{name}:1: 'flow:' names the flow under test")
    defaults = data.get("defaults") or {}
    cases = []
    for i, raw in enumerate(data["tests"]):
        where = f"{name}:{data['tests'].line_of(i)}"
        if not isinstance(raw, LMap):
            raise FlowTestFileError(f"{where}: a test is a mapping with name, input, expect")
        for key in raw:
            if key not in CASE_KEYS:
                raise FlowTestFileError(f"{name}:{raw.line_of(key)}: unknown key '{key}' "
                                        f"(use {', '.join(CASE_KEYS)})")
        expect = raw.get("expect") or {}
        for key in expect:
            if key not in EXPECT_KEYS:
                raise FlowTestFileError(f"{name}:{expect.line_of(key)}: unknown expectation "
                                        f"'{key}' (use {', '.join(EXPECT_KEYS)})")
        at = raw.get("at", defaults.get("at", DEFAULT_AT))
        try:
            when = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        except ValueError:
            raise FlowTestFileError(f"{where}: 'at' is not an ISO date-time") from None
        if when.tzinfo is None:
            raise FlowTestFileError(f"{where}: 'at' needs a time zone offset, e.g. -05:00")
        cases.append(FlowTestCase(
            name=str(raw.get("name") or f"test {i + 1}"), where=where, flow=flow, at=when,
            from_number=_opt(raw.get("from", defaults.get("from"))),
            to_number=_opt(raw.get("to")), customer=_opt(raw.get("customer")),
            inputs=tuple(str(x) for x in raw.get("input") or ()),
            lookups=dict(raw.get("lookups") or {}), expect=expect))
    return cases


def run_suite(catalog: FlowCatalog, files: Sequence[Path], verifier: DirectoryVerifier,
              on_result: Callable[[CaseResult], None] | None = None) -> SuiteReport:
    """Run every case of ``files`` against the flow files; collect coverage."""
    report = SuiteReport()
    schedules = catalog.schedules()
    pinned: dict[str, PinnedFlows] = {}
    visited: dict[str, set[str]] = {}
    for path in files:
        for case in load_cases(path):
            if case.flow not in pinned:
                pinned[case.flow] = catalog.draft(case.flow)
            flows = pinned[case.flow]
            outcome = run_case(case, flows, schedules, verifier)
            report.results.append(outcome)
            for flow_id in flows.flows:
                visited.setdefault(flow_id, set())
            if outcome.result is not None:
                for step in outcome.result.path:
                    visited.setdefault(step["flow"], set()).add(step["node"])
            if on_result is not None:
                on_result(outcome)
    for flows in pinned.values():
        for flow_id, flow in flows.flows.items():
            missing = [n for n in flow.nodes if n not in visited.get(flow_id, set())]
            report.uncovered[flow_id] = missing
    return report


def run_case(case: FlowTestCase, flows: PinnedFlows, schedules: Mapping[str, Any],
             verifier: DirectoryVerifier) -> CaseResult:
    """Simulate one case and check its expectations."""
    customer = verifier.by_account(case.customer) if case.customer else None
    if case.customer and customer is None:
        return CaseResult(case, [f"{case.where}: no demo customer with account "
                                 f"'{case.customer}'"])
    root = flows.flows[flows.root]
    from_number = case.from_number or (customer.phones[0] if customer and customer.phones
                                       else DEFAULT_FROM)
    to_number = case.to_number or (root.numbers[0] if root.numbers else "sim")
    inputs = list(case.inputs)
    sim = Simulator(flows, schedules=schedules, verifier=verifier,
                    lookups=CannedLookups(case.lookups))
    result = sim.run(lambda _kind: inputs.pop(0) if inputs else None,
                     call_id=f"test-{case.flow}", from_number=from_number,
                     to_number=to_number, at=case.at)
    failures = [f"{case.where}: {message}" for message in check(case.expect, result)]
    if inputs:
        failures.append(f"{case.where}: {len(inputs)} input(s) left unused: {inputs}")
    return CaseResult(case, failures, result)


def check(expect: Mapping[str, Any], result: SimulationResult) -> list[str]:
    """Every expectation that ``result`` breaks, as a message."""
    path = [(step["flow"], step["node"]) for step in result.path]
    names = " > ".join(node for _, node in path)
    heard = result.heard()
    failures: list[str] = []
    if "visits" in expect:
        missing = _subsequence([str(x) for x in expect["visits"]], path)
        if missing is not None:
            failures.append(f"expected to visit '{missing}' (in order); path was: {names}")
    if "path" in expect:
        wanted = [str(x) for x in expect["path"]]
        if len(wanted) != len(path) or any(not _is(w, p) for w, p in zip(wanted, path,
                                                                           strict=False)):
            failures.append(f"expected path {' > '.join(wanted)}; path was: {names}")
    for node in expect.get("not_visits", ()):
        if any(_is(str(node), p) for p in path):
            failures.append(f"expected not to visit '{node}'; path was: {names}")
    position = 0
    for text in expect.get("heard", ()):
        found = next((i for i in range(position, len(heard)) if str(text) in heard[i]), None)
        if found is None:
            failures.append(f"expected to hear '{text}' (in order); heard: {heard}")
        else:
            position = found + 1
    for text in expect.get("not_heard", ()):
        if any(str(text) in line for line in heard):
            failures.append(f"expected not to hear '{text}'")
    failures += _subset("final", expect.get("final"), result.final)
    failures += _subset("vars", expect.get("vars"), result.state.vars)
    failures += _subset("auth", expect.get("auth"), result.state.auth)
    outcomes = {node: step.get("outcome") for step in result.path
                for node in (step["node"], f"{step['flow']}:{step['node']}")}
    for node, outcome in (expect.get("outcomes") or {}).items():
        if str(outcomes.get(node)) != str(outcome):
            failures.append(f"expected node '{node}' to end '{outcome}', got "
                            f"'{outcomes.get(node)}'")
    return failures


def _is(name: str, step: tuple[str, str]) -> bool:
    flow, _, node = name.rpartition(":")
    return node == step[1] and (not flow or flow == step[0])


def _subsequence(wanted: list[str], path: list[tuple[str, str]]) -> str | None:
    position = 0
    for name in wanted:
        found = next((i for i in range(position, len(path)) if _is(name, path[i])), None)
        if found is None:
            return name
        position = found + 1
    return None


def _subset(label: str, wanted: Any, actual: Mapping[str, Any]) -> list[str]:
    if not wanted:
        return []
    return [f"expected {label}.{key} = {value!r}, got {actual.get(key)!r}"
            for key, value in wanted.items() if not _equal(value, actual.get(key))]


def _equal(wanted: Any, actual: Any) -> bool:
    if isinstance(wanted, list) and isinstance(actual, list | tuple):
        return [str(x) for x in wanted] == [str(x) for x in actual]
    if isinstance(wanted, bool) or wanted is None:
        return wanted == actual
    return str(wanted) == str(actual)


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)
