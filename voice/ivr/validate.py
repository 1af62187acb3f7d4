"""Graph and cross-flow checks: the problems a schema cannot see.

Within one flow (``check_graph``): targets that name no node, a missing start, nodes no path
reaches, nodes from which the call can never end, and loops that never wait for the caller
(they would spin forever). Across flows (``check_set``): subflows naming no flow, ``hours``
nodes naming no schedule, and a dialled number claimed by two flows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from voice.ivr.errors import Problem
from voice.ivr.model import Flow, suggest

if TYPE_CHECKING:
    from voice.ivr.nodes.base import Node


def check_graph(flow: Flow, known_nodes: Collection[str], complete: bool = True) -> list[Problem]:
    """Problems in one flow's graph; ``known_nodes`` includes nodes that failed to parse.

    When ``complete`` is false (a node lacks a required way on) only the targets are
    checked: reachability on a partial graph would report every later node as well.
    """
    problems: list[Problem] = []
    ids = list(flow.nodes)
    for node_id, edges in flow.edges.items():
        for edge in edges:
            if edge.target not in known_nodes:
                problems.append(Problem(flow.file, edge.line, node_id, edge.field,
                                        f"'{edge.target}' names no node"
                                        f"{suggest(edge.target, list(known_nodes))}"))
    if flow.start and flow.start not in known_nodes:
        problems.append(Problem(flow.file, flow.line_of("start"), None, "start",
                                f"'{flow.start}' names no node"
                                f"{suggest(flow.start, list(known_nodes))}"))
    if (problems or not complete or flow.start not in flow.nodes
            or len(flow.nodes) != len(known_nodes)):
        return problems  # the graph is incomplete: further checks would only add noise

    graph = {n: [e.target for e in flow.edges.get(n, ())] for n in ids}
    reached = _reach(graph, [flow.start])
    for node_id in ids:
        if node_id not in reached:
            problems.append(Problem(flow.file, flow.nodes[node_id].line, node_id, None,
                                    f"unreachable: no path from start '{flow.start}' "
                                    "leads here"))
    reverse: dict[str, list[str]] = {n: [] for n in ids}
    for source, targets in graph.items():
        for target in targets:
            reverse[target].append(source)
    exits = [n for n in ids if type(flow.nodes[n]).terminal]
    can_end = _reach(reverse, exits)
    for node_id in ids:
        if node_id in reached and node_id not in can_end:
            problems.append(Problem(flow.file, flow.nodes[node_id].line, node_id, None,
                                    "dead end: no path from here ever ends the call (reach a "
                                    "hangup, queue, transfer or return)"))
    problems.extend(_busy_loops(flow, graph))
    return problems


def check_set(flows: Mapping[str, Flow], schedules: Collection[str],
              other_flows: Collection[str] = ()) -> list[Problem]:
    """Problems that involve several flows, schedules or dialled numbers."""
    problems: list[Problem] = []
    known = set(flows) | set(other_flows)
    owners: dict[str, Flow] = {}
    for flow in flows.values():
        for node in flow.nodes.values():
            problems.extend(_node_refs(flow, node, known, schedules))
        for number in flow.numbers:
            owner = owners.setdefault(number, flow)
            if owner is not flow:
                problems.append(Problem(flow.file, flow.line_of("numbers"), None, "numbers",
                                        f"'{number}' is already used by flow '{owner.id}' "
                                        f"({owner.file}:{owner.line_of('numbers')})"))
    problems.extend(_subflow_cycles(flows))
    return problems


def _subflow_cycles(flows: Mapping[str, Flow]) -> list[Problem]:
    """Flows that run each other as subflows before ever waiting for the caller."""
    calls: dict[str, list[tuple[str, Node]]] = {}
    for flow in flows.values():
        graph = {n: [e.target for e in flow.edges.get(n, ())] for n in flow.nodes}
        seen = {flow.start} if flow.start in flow.nodes else set()
        todo = list(seen)
        while todo:
            node_id = todo.pop()
            if flow.nodes[node_id].waits_for_caller():
                continue
            for target in graph.get(node_id, ()):
                if target in flow.nodes and target not in seen:
                    seen.add(target)
                    todo.append(target)
        calls[flow.id] = [(n.flow, n) for n_id in seen  # type: ignore[attr-defined]
                          if (n := flow.nodes[n_id]).type_name == "subflow"
                          and getattr(n, "flow", None) in flows]
    problems: list[Problem] = []
    reported: set[frozenset[str]] = set()
    for root in flows:
        stack = [(root, [root])]
        while stack:
            current, trail = stack.pop()
            for callee, node in calls.get(current, []):
                if callee == root and frozenset(trail) not in reported:
                    reported.add(frozenset(trail))
                    flow = flows[current]
                    cycle = " -> ".join([*trail, root])
                    problems.append(Problem(
                        flow.file, node.line, node.id, "flow",
                        f"subflows {cycle} run each other without waiting for the caller "
                        "and could spin forever"))
                elif callee not in trail and callee != root:
                    stack.append((callee, [*trail, callee]))
    return problems


def _node_refs(flow: Flow, node: Node, known: set[str],
               schedules: Collection[str]) -> list[Problem]:
    flow_ref = getattr(node, "flow", None) if node.type_name == "subflow" else None
    if flow_ref is not None:
        if flow_ref == flow.id:
            return [Problem(flow.file, node.line, node.id, "flow",
                            "a flow cannot run itself as a subflow")]
        if flow_ref not in known:
            return [Problem(flow.file, node.line, node.id, "flow",
                            f"'{flow_ref}' names no flow{suggest(flow_ref, sorted(known))}")]
    schedule = getattr(node, "schedule", None) if node.type_name == "hours" else None
    if schedule is not None and schedule not in schedules:
        names = ", ".join(sorted(schedules)) or "none defined"
        return [Problem(flow.file, node.line, node.id, "schedule",
                        f"'{schedule}' names no schedule (known: {names})")]
    return []


def _reach(graph: Mapping[str, list[str]], roots: list[str]) -> set[str]:
    seen = set(roots)
    todo = list(roots)
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _busy_loops(flow: Flow, graph: Mapping[str, list[str]]) -> list[Problem]:
    """Cycles made only of nodes that never wait for the caller (Tarjan's SCC)."""
    busy = {n for n, node in flow.nodes.items() if not node.waits_for_caller()}
    sub = {n: [t for t in graph[n] if t in busy] for n in busy}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    problems: list[Problem] = []
    order = [n for n in flow.nodes if n in busy]

    def visit(root: str) -> None:
        work = [(root, iter(sub[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sub[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in sub[node]:
                    members = sorted(component, key=order.index)
                    first = members[0]
                    problems.append(Problem(
                        flow.file, flow.nodes[first].line, first, None,
                        f"loop through {', '.join(members)} never waits for the caller and "
                        "could spin forever (put a menu or gather in it)"))

    for n in order:
        if n not in index:
            visit(n)
    return problems
