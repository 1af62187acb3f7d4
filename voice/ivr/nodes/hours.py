"""``hours``: branch on a business-hours schedule (open, closed, holiday)."""

from __future__ import annotations

from dataclasses import dataclass

from voice.ivr.model import NodeReader
from voice.ivr.nodes.base import Node, register
from voice.ivr.turn import Turn


@register("hours")
@dataclass(frozen=True, kw_only=True)
class HoursNode(Node):
    """``schedule`` names a schedule in the schedules file; ``holiday`` defaults to closed."""

    schedule: str
    open: str
    closed: str
    holiday: str | None

    @classmethod
    def parse(cls, r: NodeReader) -> HoursNode:
        schedule = r.str("schedule", required=True,
                         what="name a schedule from the schedules file")
        opened = r.target("open", what="where callers go while open")
        closed = r.target("closed", what="where callers go while closed")
        holiday = r.target("holiday", required=False)
        r.check_fields()
        return cls(id=r.node_id, line=r.raw.line, schedule=schedule or "",
                   open=opened or "", closed=closed or "", holiday=holiday)

    def enter(self, t: Turn) -> None:
        schedule = t.schedules.get(self.schedule)
        if schedule is None:  # validation prevents this; fail safe to 'closed'
            t.finish("closed", detail={"error": f"unknown schedule '{self.schedule}'"})
            t.goto(self.closed)
            return
        status = schedule.status_at(t.now)
        t.finish(status, detail={"schedule": self.schedule})
        if status == "open":
            t.goto(self.open)
        elif status == "holiday" and self.holiday is not None:
            t.goto(self.holiday)
        else:
            t.goto(self.closed)
