"""Per-node differences between two texts of a flow (two versions, or a version and a draft).

Both texts are read with ruamel.yaml's round-trip loader, which keeps the order of nodes and
fields as written and the line of every key, so the diff lists nodes in the order of the new
text and can point the editor at them. The result says which flow fields changed, which
nodes were added or removed, and for each changed node which fields were added, removed or
changed, with old and new values; nested mappings (``choices``, ``digits``, ``speech``) are
compared key by key as ``choices.1``. Comments and formatting do not count as changes (the
text diff is the admin's for that); a node whose ``type`` changed is still one changed node.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from voice.flows.errors import FlowDiffError

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class FieldChange:
    """One field of a node (or of the flow) that differs: dotted ``field`` path."""

    field: str
    change: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class NodeChange:
    """A node added, removed or changed, with its type and line in each text."""

    node: str
    change: str
    type: str | None
    old_line: int | None
    new_line: int | None
    fields: list[FieldChange] = field(default_factory=list)


@dataclass(frozen=True)
class FlowDiff:
    """Everything that differs between ``old`` and ``new`` (labels such as ``v1``)."""

    old: str
    new: str
    flow_fields: list[FieldChange]
    nodes: list[NodeChange]
    unchanged: list[str]

    @property
    def identical(self) -> bool:
        """True when no field and no node differ."""
        return not self.flow_fields and not self.nodes

    def counts(self) -> dict[str, int]:
        """How many nodes were added, removed and changed."""
        return {kind: sum(1 for n in self.nodes if n.change == kind)
                for kind in (ADDED, REMOVED, CHANGED)}

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form for the editor."""
        return {"old": self.old, "new": self.new, "identical": self.identical,
                "counts": self.counts(), "flow_fields": [asdict(f) for f in self.flow_fields],
                "nodes": [asdict(n) for n in self.nodes], "unchanged": self.unchanged}


def diff_texts(old_text: str, new_text: str, old: str = "old", new: str = "new") -> FlowDiff:
    """Compare two flow texts node by node; FlowDiffError if one is not a YAML mapping."""
    old_doc, new_doc = _load(old_text, old), _load(new_text, new)
    old_nodes, new_nodes = _nodes(old_doc), _nodes(new_doc)
    flow_fields = _field_changes(_plain({k: v for k, v in old_doc.items() if k != "nodes"}),
                                 _plain({k: v for k, v in new_doc.items() if k != "nodes"}))
    changes: list[NodeChange] = []
    unchanged: list[str] = []
    for node_id, raw in new_nodes.items():
        line = _line(new_nodes, node_id)
        if node_id not in old_nodes:
            changes.append(NodeChange(node_id, ADDED, _type(raw), None, line,
                                      _field_changes({}, _plain(raw))))
            continue
        fields = _field_changes(_plain(old_nodes[node_id]), _plain(raw))
        if fields:
            changes.append(NodeChange(node_id, CHANGED, _type(raw), _line(old_nodes, node_id),
                                      line, fields))
        else:
            unchanged.append(node_id)
    for node_id, raw in old_nodes.items():
        if node_id not in new_nodes:
            changes.append(NodeChange(node_id, REMOVED, _type(raw), _line(old_nodes, node_id),
                                      None, _field_changes(_plain(raw), {})))
    return FlowDiff(old, new, flow_fields, changes, unchanged)


def _load(text: str, label: str) -> Mapping[str, Any]:
    yaml = YAML(typ="rt")
    try:
        document = yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise FlowDiffError(f"{label} cannot be compared: YAML syntax error{where}: "
                            f"{problem}; fix it in the editor first") from None
    if not isinstance(document, Mapping):
        raise FlowDiffError(f"{label} cannot be compared: a flow is a mapping with id, name, "
                            "start and nodes")
    return document


def _nodes(document: Mapping[str, Any]) -> Mapping[str, Any]:
    nodes = document.get("nodes")
    return nodes if isinstance(nodes, Mapping) else {}


def _line(mapping: Mapping[str, Any], key: str) -> int | None:
    """1-based line of ``key`` in a round-trip mapping (None when unknown)."""
    lc = getattr(mapping, "lc", None)
    try:
        return int(lc.key(key)[0]) + 1 if lc is not None else None
    except (KeyError, TypeError):
        return None


def _type(raw: Any) -> str | None:
    return str(raw.get("type")) if isinstance(raw, Mapping) and "type" in raw else None


def _plain(value: Any) -> Any:
    """Round-trip YAML values as plain dicts, lists and scalars (comments dropped)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)  # ruamel's ScalarInt keeps its formatting; compare the number
    if isinstance(value, float):
        return float(value)
    return str(value)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"choices": {"1": "auth"}}`` -> ``{"choices.1": "auth"}``; lists stay whole."""
    if not isinstance(value, dict):
        return {prefix: value}
    if not value and prefix:
        return {prefix: {}}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        flat.update(_flatten(item, f"{prefix}.{key}" if prefix else key))
    return flat


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _field_changes(old: Any, new: Any) -> list[FieldChange]:
    old_flat, new_flat = _flatten(old), _flatten(new)
    changes: list[FieldChange] = []
    for key, value in new_flat.items():
        if key not in old_flat:
            changes.append(FieldChange(key, ADDED, None, _show(value)))
        elif old_flat[key] != value:
            changes.append(FieldChange(key, CHANGED, _show(old_flat[key]), _show(value)))
    for key, value in old_flat.items():
        if key not in new_flat:
            changes.append(FieldChange(key, REMOVED, _show(value), None))
    return changes
