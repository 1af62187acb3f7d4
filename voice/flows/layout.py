"""Laying out a flow as a graph for the web editor: boxes in layers, edges as curves.

The server computes the picture (no graph library in the browser): nodes go in layers by
their distance from ``start`` (breadth first; nodes no path reaches go below, marked), each
layer is ordered by the average position of the nodes pointing at it (a few barycenter
sweeps keep crossings down) and centred. Edges going down are drawn from the bottom of a box
to the top of the next; edges going back up (retries, loops) or across a layer curve round
the right-hand side. Several edges between the same two nodes are one edge with the labels
joined. A target that is not a node (a broken ``next:``) is drawn as a dashed "missing" box,
so the graph shows the mistake the problems list names. The editor's script draws the
result as SVG with DOM calls (text through ``textContent``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from voice.ivr import Flow
from voice.ivr.nodes.subflow import SubflowNode

NODE_H = 46
LAYER_GAP = 62
H_GAP = 26
MARGIN = 20
CHAR_W = 7.4
MIN_W = 96
LABEL_MAX = 26
SWEEPS = 4


@dataclass(frozen=True)
class GraphNode:
    """A box: node id, what it is, where (top-left corner, size), and how to mark it."""

    id: str
    kind: str
    x: float
    y: float
    w: float
    h: float
    start: bool = False
    terminal: bool = False
    missing: bool = False
    unreached: bool = False
    line: int | None = None


@dataclass(frozen=True)
class GraphEdge:
    """An arrow: SVG path data ``d``, its label (full and shortened) and where to put it."""

    source: str
    target: str
    label: str
    short: str
    d: str
    label_x: float
    label_y: float
    back: bool = False


@dataclass(frozen=True)
class GraphLayout:
    """The whole picture; ``width``/``height`` make the SVG viewBox."""

    flow: str
    width: float
    height: float
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form for the editor's script."""
        return {"flow": self.flow, "width": self.width, "height": self.height,
                "nodes": [asdict(n) for n in self.nodes], "edges": [asdict(e) for e in self.edges]}


def layout_flow(flow: Flow) -> GraphLayout:
    """Place the nodes and route the edges of ``flow`` (see module docstring)."""
    labels: dict[tuple[str, str], list[str]] = {}
    for source, edges in flow.edges.items():
        for edge in edges:
            labels.setdefault((source, edge.target), []).append(edge.label)
    ids = list(flow.nodes)
    missing = [t for (_, t) in labels if t not in flow.nodes]
    ids += list(dict.fromkeys(missing))
    children: dict[str, list[str]] = {i: [] for i in ids}
    for source, target in labels:
        if source in children:
            children[source].append(target)
    layer, unreached = _layers(flow.start, ids, children)
    rows = _order(ids, layer, children)
    boxes = _place(flow, rows, layer, unreached, set(missing))
    edges = [_route(boxes[s], boxes[t], layer[s], layer[t], ", ".join(names))
             for (s, t), names in labels.items() if s in boxes and t in boxes]
    right = max([b.x + b.w for b in boxes.values()] + [0.0])
    far = max([_far_right(e) for e in edges] + [right])
    bottom = max([b.y + b.h for b in boxes.values()] + [0.0])
    return GraphLayout(flow.id, round(far + MARGIN, 1), round(bottom + MARGIN, 1),
                       list(boxes.values()), edges)


def _layers(start: str, ids: list[str], children: dict[str, list[str]],
            ) -> tuple[dict[str, int], set[str]]:
    """Breadth-first distance from ``start``; unreached nodes continue below."""
    layer: dict[str, int] = {}
    roots = [start] if start in children else []
    unreached: set[str] = set()
    for root in [*roots, *ids]:
        if root in layer:
            continue
        if root != start:
            unreached.add(root)
        base = max(layer.values(), default=-1) + 1
        layer[root] = base
        todo = deque([root])
        while todo:
            node = todo.popleft()
            for child in children.get(node, ()):
                if child not in layer:
                    layer[child] = layer[node] + 1
                    if root != start:
                        unreached.add(child)
                    todo.append(child)
    return layer, unreached


def _order(ids: list[str], layer: dict[str, int], children: dict[str, list[str]],
           ) -> list[list[str]]:
    """Nodes by layer, each layer sorted by the mean position of its parents."""
    depth = max(layer.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(depth)]
    for node in ids:
        rows[layer[node]].append(node)
    parents: dict[str, list[str]] = {i: [] for i in ids}
    for node, targets in children.items():
        for target in targets:
            if layer[target] > layer[node]:
                parents[target].append(node)
    for _ in range(SWEEPS):
        where = {node: i for row in rows for i, node in enumerate(row)}
        for row in rows[1:]:
            row.sort(key=lambda node, where=where: _barycenter(node, parents, where))
    return rows


def _barycenter(node: str, parents: dict[str, list[str]], where: dict[str, int]) -> float:
    """Mean position of ``node``'s parents (its own position when it has none)."""
    ups = [where[p] for p in parents[node]]
    return sum(ups) / len(ups) if ups else float(where[node])


def _place(flow: Flow, rows: list[list[str]], layer: dict[str, int], unreached: set[str],
           missing: set[str]) -> dict[str, GraphNode]:
    widths = {node: max(MIN_W, CHAR_W * max(len(node), len(_kind(flow, node)) + 2) + 20)
              for row in rows for node in row}
    totals = [sum(widths[n] for n in row) + H_GAP * max(len(row) - 1, 0) for row in rows]
    widest = max(totals, default=0.0)
    boxes: dict[str, GraphNode] = {}
    for row, total in zip(rows, totals, strict=True):
        x = MARGIN + (widest - total) / 2
        for node in row:
            graph_node = flow.nodes.get(node)
            boxes[node] = GraphNode(
                id=node, kind=_kind(flow, node), x=round(x, 1),
                y=MARGIN + layer[node] * (NODE_H + LAYER_GAP), w=round(widths[node], 1),
                h=NODE_H, start=node == flow.start,
                terminal=bool(graph_node is not None and type(graph_node).terminal),
                missing=node in missing, unreached=node in unreached and node not in missing,
                line=flow.line_of(f"node:{node}") if graph_node is not None else None)
            x += widths[node] + H_GAP
    return boxes


def _kind(flow: Flow, node_id: str) -> str:
    node = flow.nodes.get(node_id)
    if node is None:
        return "missing"
    if isinstance(node, SubflowNode):
        return f"subflow {node.flow}"
    return node.type_name


def _route(a: GraphNode, b: GraphNode, layer_a: int, layer_b: int, label: str) -> GraphEdge:
    """A curve from ``a`` to ``b``: down the page, or round the right side when going back."""
    short = label if len(label) <= LABEL_MAX else label[:LABEL_MAX - 1] + "…"
    if layer_b > layer_a:
        x1, y1 = a.x + a.w / 2, a.y + a.h
        x2, y2 = b.x + b.w / 2, b.y
        dy = (y2 - y1) / 2
        points = ((x1, y1), (x1, y1 + dy), (x2, y2 - dy), (x2, y2))
        back = False
    else:
        x1, y1 = a.x + a.w, a.y + a.h / 2
        x2, y2 = b.x + b.w, b.y + b.h / 2 + (6 if a is b else 0)
        reach = 40 + 18 * abs(layer_a - layer_b)
        points = ((x1, y1 - (6 if a is b else 0)), (max(x1, x2) + reach, y1),
                  (max(x1, x2) + reach, y2), (x2, y2))
        back = True
    (p0, p1, p2, p3) = points
    mid_x = (p0[0] + 3 * p1[0] + 3 * p2[0] + p3[0]) / 8
    mid_y = (p0[1] + 3 * p1[1] + 3 * p2[1] + p3[1]) / 8
    d = "M {} {} C {} {}, {} {}, {} {}".format(*(round(v, 1) for p in points for v in p))
    return GraphEdge(a.id, b.id, label, short, d, round(mid_x, 1), round(mid_y, 1), back)


def _far_right(edge: GraphEdge) -> float:
    """The right-most x an edge reaches (its control points bound it)."""
    numbers = [float(v.rstrip(",")) for v in edge.d.replace("M", "").replace("C", "").split()]
    return max(max(numbers[0::2]), edge.label_x + CHAR_W * len(edge.short) / 2)
