"""How long recordings are kept: a queue's or flow's ``retention_days``, else the default.

Owns the rule that gives each recording its ``expires_at``: a ``queue`` node the call waited
in may say ``retention_days: N`` (the longest of those the call visited wins); else the flow
the call ran may say it at its top level (a legal hold line keeps longer, a sales line
shorter); otherwise ``VOICE_RETENTION_DAYS`` (``Settings.retention_days``) applies. The flow is the
version the call was pinned to, read from the published versions (never from the files,
which may have changed since), so a recording's lifetime does not depend on when it
arrived. Removing expired recordings is :meth:`RecordingService.purge_expired`'s job.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from voice.flows.repository import FlowRepository
from voice.ivr import parse_flow
from voice.ivr.nodes.queue import QueueNode

log = logging.getLogger(__name__)

CACHE_LIMIT = 256
#: the latest expiry stored, for absurdly long retention settings
LATEST_EXPIRY = datetime(9999, 1, 1, tzinfo=UTC)

__all__ = ["RetentionPolicy"]


class RetentionPolicy:
    """Retention days per flow version, ``default_days`` when the flow sets none.

    ``flows`` reads published flow versions; without it every recording gets the default.
    """

    def __init__(self, default_days: int, flows: FlowRepository | None = None) -> None:
        if default_days < 1:
            raise ValueError(f"default_days must be 1 or more, got {default_days}")
        self.default_days = default_days
        self._flows = flows
        self._days: dict[tuple[str, int], tuple[int | None, dict[str, int]]] = {}

    def days_for(self, flow_id: str | None, version: int | None,
                 queue_nodes: Sequence[str] = ()) -> int:
        """Days recordings of ``flow_id`` (that version; None: the current one) are kept,
        for a call that visited the queue nodes ``queue_nodes``."""
        if flow_id is None or self._flows is None:
            return self.default_days
        flow_days, queue_days = self._flow_days(flow_id, version)
        visited = [queue_days[node] for node in queue_nodes if node in queue_days]
        if visited:
            return max(visited)
        return flow_days if flow_days is not None else self.default_days

    def expires_at(self, created_at: datetime, flow_id: str | None,
                   version: int | None, queue_nodes: Sequence[str] = ()) -> datetime:
        """When a recording made at ``created_at`` during that flow expires."""
        try:
            return created_at + timedelta(days=self.days_for(flow_id, version, queue_nodes))
        except OverflowError:
            return LATEST_EXPIRY

    def _flow_days(self, flow_id: str, version: int | None
                   ) -> tuple[int | None, dict[str, int]]:
        """The flow's own days and those of its queue nodes that set them, by node id."""
        assert self._flows is not None
        if version is not None and (flow_id, version) in self._days:
            return self._days[(flow_id, version)]
        info = (self._flows.current(flow_id) if version is None
                else self._flows.get(flow_id, version))
        if info is None:
            log.warning("flow %s version %s is not published; its recordings are kept for "
                        "the default %d days", flow_id, version, self.default_days)
            return None, {}
        flow, _ = parse_flow(info.content, f"{flow_id}@v{info.version}")
        days = (flow.retention_days if flow is not None else None,
                {node.id: node.retention_days for node in (flow.nodes.values() if flow else ())
                 if isinstance(node, QueueNode) and node.retention_days is not None})
        if len(self._days) >= CACHE_LIMIT:
            self._days.clear()
        self._days[(flow_id, info.version)] = days  # published versions never change
        return days
