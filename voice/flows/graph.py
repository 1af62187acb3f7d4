"""Flow graphs as Graphviz dot or Mermaid text, edges labelled with the key or outcome."""

from __future__ import annotations

from voice.ivr import Flow
from voice.ivr.nodes.subflow import SubflowNode

FORMATS = ("dot", "mermaid")


def render(flow: Flow, fmt: str) -> str:
    """The flow as ``dot`` or ``mermaid`` text."""
    if fmt == "dot":
        return to_dot(flow)
    if fmt == "mermaid":
        return to_mermaid(flow)
    raise ValueError(f"unknown graph format '{fmt}' (use {', '.join(FORMATS)})")


def _label(flow: Flow, node_id: str) -> str:
    node = flow.nodes[node_id]
    if isinstance(node, SubflowNode):
        return f"{node_id}\n(subflow {node.flow})"
    return f"{node_id}\n({node.type_name})"


def to_dot(flow: Flow) -> str:
    """Graphviz dot; terminal nodes are drawn as double octagons."""

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    lines = [f"digraph {q(flow.id)} {{", f"  label={q(flow.name)};", "  rankdir=TB;",
             "  node [shape=box, style=rounded];", '  "__start" [shape=point];',
             f"  \"__start\" -> {q(flow.start)};"]
    for node_id, node in flow.nodes.items():
        shape = ", shape=doubleoctagon" if type(node).terminal else ""
        lines.append(f"  {q(node_id)} [label={q(_label(flow, node_id))}{shape}];")
    for node_id, edges in flow.edges.items():
        for edge in edges:
            lines.append(f"  {q(node_id)} -> {q(edge.target)} [label={q(edge.label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(flow: Flow) -> str:
    """Mermaid flowchart; node ids are prefixed so words like ``end`` stay legal."""

    def ident(node_id: str) -> str:
        return "n_" + node_id.replace("-", "_")

    def text(value: str) -> str:
        return (value.replace('"', "#quot;").replace("|", "#124;")
                .replace("\n", "<br/>"))

    lines = ["flowchart TD", f"  start((start)) --> {ident(flow.start)}"]
    for node_id, node in flow.nodes.items():
        label = text(_label(flow, node_id))
        shape = f'(["{label}"])' if type(node).terminal else f'["{label}"]'
        lines.append(f"  {ident(node_id)}{shape}")
    for node_id, edges in flow.edges.items():
        for edge in edges:
            lines.append(f'  {ident(node_id)} -->|"{text(edge.label)}"| {ident(edge.target)}')
    return "\n".join(lines) + "\n"
