"""The IVR funnel of a flow: per node, how many callers reached it and where they ended.

Owns the per-node containment view of the supervisor pages. Over the calls that *started*
in ``[start, end)`` and have at least one ``call_events`` row of the flow (``flow_id``), for
each node of that flow (``call_events.node``):

* **reached**: calls with at least one event at the node (a caller who comes back to a node,
  e.g. a menu after a language switch, counts once).
* **queued**: calls with an event at the node whose ``node_type`` is ``queue``: the caller
  was handed to the ACD there, whatever happened next (answered, abandoned in the queue,
  timed out to voicemail, called back). Only queue nodes have queued callers.
* **left**: calls whose *last* event (highest ``seq``, in any flow) is at the node with
  outcome ``hangup``, at a node that is neither a ``hangup`` node (whose own outcome is also
  ``hangup``: the flow hung up, not the caller) nor a ``queue`` node (a hang-up there is an
  abandon, counted as queued): the caller hung up at this node.
* **contained**: calls whose last event is at the node, that have ended (``calls.ended_at``
  set), whose last event has an outcome (the node finished) and is not a caller hang-up as
  above, at a node that is not a ``queue`` or ``transfer`` node, and that never had a
  ``queue`` event at all: the IVR finished the call by itself (a ``hangup`` node after a
  ``say``, a voicemail after hours). Transfers out and calls that ended in an error (their
  last step unfinished) are neither left nor contained.

At every node ``reached >= left + contained + queued``; the difference (**went on**) is
callers who moved on to another node, calls still in progress and the rare others above.
Summed over the nodes, left + contained + queued counts each ended call of the flow once
(its last node decides left/contained; its queue node decides queued), except a call that
queued *and* later hung up at an IVR node, which is both queued (at the queue) and left
(where it hung up).

Nodes are listed in path order: breadth-first from the flow's ``start`` along its edges in
the published version (:func:`node_order`), nodes nobody reached included; nodes only found in
the events (removed since) follow, by the mean position at which callers reached them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, distinct, exists, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from voice.ivr import Flow
from voice.store.models import Call, CallEvent

#: node types whose ``hangup`` outcome is not the caller hanging up
NOT_A_CALLER_HANGUP = ("hangup", "queue")
#: node types where a call that ends there was not finished by the IVR
NOT_CONTAINING = ("queue", "transfer")


@dataclass(frozen=True)
class FunnelRow:
    """One node's figures (see the module docstring)."""

    node: str
    node_type: str
    reached: int = 0
    left: int = 0
    contained: int = 0
    queued: int = 0

    @property
    def went_on(self) -> int:
        """Reached but neither left, contained nor queued here."""
        return self.reached - self.left - self.contained - self.queued

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"node": self.node, "type": self.node_type, "reached": self.reached,
                "left": self.left, "contained": self.contained, "queued": self.queued,
                "went_on": self.went_on}


@dataclass(frozen=True)
class Funnel:
    """A flow's funnel over the calls started in ``[start, end)``."""

    flow_id: str
    start: datetime
    end: datetime
    calls: int
    rows: list[FunnelRow]

    @property
    def widest(self) -> int:
        """The largest ``reached`` (the bars' 100 %)."""
        return max([row.reached for row in self.rows] + [0])

    def total(self, figure: str) -> int:
        """A figure summed over the nodes (``left``, ``contained`` or ``queued``)."""
        return sum(getattr(row, figure) for row in self.rows)


def funnel(session: Session, flow_id: str, start: datetime, end: datetime, *,
           nodes: Sequence[tuple[str, str]] = ()) -> Funnel:
    """The funnel of ``flow_id`` for calls started in ``[start, end)``; ``nodes`` is the
    path order as ``(node id, type)`` pairs (:func:`node_order`), empty when the flow is not
    published."""
    in_range = and_(Call.started_at >= start, Call.started_at < end)
    event = CallEvent
    calls = session.scalar(
        select(func.count(distinct(event.call_id))).join(Call, Call.id == event.call_id)
        .where(event.flow_id == flow_id, in_range)) or 0
    reached_rows = session.execute(
        select(event.node, func.min(event.node_type), func.count(distinct(event.call_id)),
               func.count(distinct(case((event.node_type == "queue", event.call_id)))),
               func.avg(event.seq))
        .join(Call, Call.id == event.call_id)
        .where(event.flow_id == flow_id, in_range).group_by(event.node)).all()
    last = (select(event.call_id, func.max(event.seq).label("seq"))
            .join(Call, Call.id == event.call_id).where(in_range)
            .group_by(event.call_id).subquery("last_step"))
    other = aliased(CallEvent)
    ever_queued = exists().where(other.call_id == event.call_id, other.node_type == "queue")
    hung_up = and_(event.outcome == "hangup", event.node_type.not_in(NOT_A_CALLER_HANGUP))
    contained = and_(Call.ended_at.is_not(None), event.outcome.is_not(None),
                     not_(or_(hung_up, event.node_type.in_(NOT_CONTAINING))),
                     not_(ever_queued))
    ending_rows = session.execute(
        select(event.node, func.sum(case((hung_up, 1), else_=0)),
               func.sum(case((contained, 1), else_=0)))
        .join(last, and_(last.c.call_id == event.call_id, last.c.seq == event.seq))
        .join(Call, Call.id == event.call_id)
        .where(event.flow_id == flow_id).group_by(event.node)).all()
    endings = {node: (int(left or 0), int(kept or 0)) for node, left, kept in ending_rows}
    found = {node: (node_type, int(reached), int(queued), float(mean or 0))
             for node, node_type, reached, queued, mean in reached_rows}
    ordered = list(dict(nodes).items())
    known = {node for node, _ in ordered}
    ordered += [(node, found[node][0]) for node in
                sorted(set(found) - known, key=lambda n: (found[n][3], n))]
    rows = []
    for node, node_type in ordered:
        _, reached, queued, _ = found.get(node, (node_type, 0, 0, 0.0))
        left, kept = endings.get(node, (0, 0))
        rows.append(FunnelRow(node, node_type, reached, left, kept, queued))
    return Funnel(flow_id, start, end, int(calls), rows)


def node_order(flow: Flow) -> list[tuple[str, str]]:
    """The flow's nodes as ``(id, type)``, breadth-first from ``start`` along the edges (in
    the file's order), then the nodes no path reaches, in the file's order."""
    seen: dict[str, None] = {}
    pending = deque([flow.start])
    while pending:
        node = pending.popleft()
        if node in seen or node not in flow.nodes:
            continue
        seen[node] = None
        pending.extend(edge.target for edge in flow.edges.get(node, ()))
    names = list(seen) + [node for node in flow.nodes if node not in seen]
    return [(node, flow.nodes[node].type_name) for node in names]


def flow_choices(session: Session, start: datetime, end: datetime,
                 published: Iterable[str]) -> list[str]:
    """Flows to pick from: the published ones and those calls of the range started in."""
    started = session.scalars(select(Call.flow_id).distinct()
                              .where(Call.started_at >= start, Call.started_at < end))
    return sorted(set(published) | set(started))
