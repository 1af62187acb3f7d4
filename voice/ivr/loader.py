"""Flow text to ``Flow`` objects, with every problem found at once.

``parse_flow`` reads one flow document (schema and per-node checks, then the graph checks of
``validate``); ``load_flows`` reads a set of flows and adds the checks that need all of them
(subflows, schedules, duplicate numbers). Both take text that the caller read; nothing here
opens files.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from voice.ivr import nodes as _nodes  # noqa: F401  (registers node types)
from voice.ivr.errors import Problem
from voice.ivr.model import Defaults, Edge, Flow, NodeReader, suggest
from voice.ivr.nodes.base import NODE_TYPES, Node
from voice.ivr.validate import check_graph, check_set
from voice.ivr.yamlsource import LList, LMap, load_located

FLOW_FIELDS = ("id", "name", "description", "start", "numbers", "defaults", "record",
               "retention_days", "nodes")
DEFAULT_FIELDS = ("language", "voice", "timeout", "retries")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def _basename(file: str) -> str:
    return file.replace("\\", "/").rsplit("/", 1)[-1]


def _stem(file: str) -> str:
    return _basename(file).rsplit(".", 1)[0]


def parse_flow(text: str, file: str) -> tuple[Flow | None, list[Problem]]:
    """Parse and check one flow; the Flow is None only when the document is unusable."""
    data, problems = load_located(text, file)
    if data is None:
        return None, problems
    if not isinstance(data, LMap):
        problems.append(Problem(file, 1, message="a flow is a mapping with id, name, start "
                                                 "and nodes"))
        return None, problems

    def top(field: str, message: str) -> None:
        problems.append(Problem(file, data.line_of(field), None, field, message))

    for field in data:
        if field not in FLOW_FIELDS:
            top(field, f"unknown flow field{suggest(field, FLOW_FIELDS)}; a flow takes: "
                       f"{', '.join(FLOW_FIELDS)}")
    flow_id = _text(data.get("id"))
    if not flow_id or not NAME_RE.match(flow_id):
        top("id", "missing: every flow needs an id (letters, digits, - and _)"
            if not flow_id else f"'{flow_id}' is not a valid id (letters, digits, - and _)")
    elif file.endswith((".yaml", ".yml")) and _stem(file) != flow_id:
        top("id", f"'{flow_id}' does not match the file name '{_basename(file)}' "
                  f"(rename the file to {flow_id}.yaml)")
    defaults = _defaults(data, file, problems)
    numbers = _numbers(data, file, problems)
    record = data.get("record", True)
    if not isinstance(record, bool):
        top("record", f"expected true or false, got '{record}'")
        record = True
    retention_days = _retention_days(data, file, problems)
    raw_nodes = data.get("nodes")
    nodes: dict[str, Node] = {}
    edges: dict[str, tuple[Edge, ...]] = {}
    lines = {key: data.line_of(key) for key in data}
    if not isinstance(raw_nodes, LMap) or not raw_nodes:
        top("nodes", "missing: a flow needs at least one node" if raw_nodes is None
            else "expected a mapping of node ids to nodes")
        raw_nodes = LMap()
        raw_nodes.line, raw_nodes.key_lines, raw_nodes.value_lines = data.line, {}, {}
    complete = True
    for node_id, raw in raw_nodes.items():
        line = raw_nodes.line_of(node_id)
        lines[f"node:{node_id}"] = line
        node, node_complete = _parse_node(file, node_id, raw, line, defaults, problems, edges)
        complete = complete and node_complete
        if node is not None:
            nodes[node_id] = node
    start = _text(data.get("start"))
    if not start:
        top("start", "missing: name the first node")
    flow = Flow(id=flow_id or _stem(file), name=_text(data.get("name")) or flow_id or "",
                start=start or "", numbers=numbers, defaults=defaults, nodes=nodes,
                edges=edges, file=file, record_calls=record, lines=lines,
                retention_days=retention_days)
    problems.extend(check_graph(flow, known_nodes=set(raw_nodes), complete=complete))
    return flow, problems


def load_flows(sources: Mapping[str, str], schedules: Collection[str],
               other_flows: Collection[str] = ()) -> tuple[dict[str, Flow], list[Problem]]:
    """Parse a set of flows (file name -> text) and check them together.

    ``schedules`` are the known schedule names; ``other_flows`` are flow ids that exist
    elsewhere (already published) and may be used as subflows.
    """
    flows: dict[str, Flow] = {}
    problems: list[Problem] = []
    for file, text in sources.items():
        flow, found = parse_flow(text, file)
        problems.extend(found)
        if flow is None:
            continue
        if flow.id in flows:
            first = flows[flow.id]
            problems.append(Problem(file, flow.line_of("id"), None, "id",
                                    f"flow id '{flow.id}' is already used by {first.file}"))
            continue
        flows[flow.id] = flow
    problems.extend(check_set(flows, schedules, other_flows))
    return flows, sorted(set(problems), key=Problem.sort_key)


def _parse_node(file: str, node_id: str, raw: object, line: int, defaults: Defaults,
                problems: list[Problem], edges: dict[str, tuple[Edge, ...]],
                ) -> tuple[Node | None, bool]:
    """Parse one node; also say whether all of its ways on could be read."""
    if not NAME_RE.match(node_id):
        problems.append(Problem(file, line, node_id, None,
                                "node ids use letters, digits, - and _ and start with a letter"))
    if not isinstance(raw, LMap):
        problems.append(Problem(file, line, node_id, None,
                                "expected a mapping with a 'type' and its fields"))
        return None, False
    type_name = raw.get("type")
    cls = NODE_TYPES.get(str(type_name)) if type_name is not None else None
    if cls is None:
        valid = sorted(NODE_TYPES)
        message = ("missing: every node needs a type" if type_name is None else
                   f"unknown node type '{type_name}'{suggest(str(type_name), valid)}; "
                   f"valid types: {', '.join(valid)}")
        problems.append(Problem(file, raw.line_of("type"), node_id, "type", message))
        return None, False
    reader = NodeReader(file, node_id, raw, defaults, problems)
    node = cls.parse(reader)
    edges[node_id] = tuple(reader.edges)
    return node, not reader.graph_incomplete


def _defaults(data: LMap, file: str, problems: list[Problem]) -> Defaults:
    raw = data.get("defaults")
    if raw is None:
        return Defaults()
    if not isinstance(raw, LMap):
        problems.append(Problem(file, data.line_of("defaults"), None, "defaults",
                                "expected a mapping like {language: en-US, timeout: 5}"))
        return Defaults()
    values: dict[str, object] = {}
    for key, value in raw.items():
        where = raw.line_of(key)
        if key not in DEFAULT_FIELDS:
            problems.append(Problem(file, where, None, "defaults", f"unknown default '{key}'"
                                    f"{suggest(key, DEFAULT_FIELDS)}; use "
                                    f"{', '.join(DEFAULT_FIELDS)}"))
        elif key in ("timeout", "retries"):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 60:
                problems.append(Problem(file, where, None, "defaults",
                                        f"'{key}' must be a whole number from 0 to 60"))
            else:
                values[key] = value
        else:
            values[key] = _text(value)
    return Defaults(**values)  # type: ignore[arg-type]


def _numbers(data: LMap, file: str, problems: list[Problem]) -> tuple[str, ...]:
    raw = data.get("numbers")
    if raw is None:
        return ()
    if not isinstance(raw, LList):
        problems.append(Problem(file, data.line_of("numbers"), None, "numbers",
                                "expected a list of dialled numbers, e.g. [\"+15550100\"]"))
        return ()
    out: list[str] = []
    for i, item in enumerate(raw):
        text = _text(item)
        if not text or isinstance(item, LMap | LList | bool):
            problems.append(Problem(file, raw.line_of(i), None, "numbers",
                                    f"item {i + 1}: expected a number or SIP user as text"))
        elif text in out:
            problems.append(Problem(file, raw.line_of(i), None, "numbers",
                                    f"'{text}' is listed twice"))
        else:
            out.append(text)
    return tuple(out)


def _retention_days(data: LMap, file: str, problems: list[Problem]) -> int | None:
    """The flow's ``retention_days`` (days its recordings are kept), None when not set."""
    value = data.get("retention_days")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        got = f"text '{value}' (write the number without quotes)"
    else:
        got = f"'{str(value).lower() if isinstance(value, bool) else value}'"
    problems.append(Problem(file, data.line_of("retention_days"), None, "retention_days",
                            "expected a whole number of days, 1 or more, that this flow's "
                            f"recordings and transcripts are kept; got {got}"))
    return None


def _text(value: object) -> str | None:
    if value is None or isinstance(value, LMap | LList):
        return None
    return str(value)
