"""The sans-I/O IVR engine: YAML flows in, events in, actions out.

Nothing under ``voice.ivr`` does I/O: no files, sockets, HTTP, database, clock or randomness
(``tests/test_layering.py`` enforces it). Callers read flow files and pass their text to
``load_flows``, pass the current time inside events, and carry out the returned actions.
"""

from __future__ import annotations

from voice.ivr.engine import LEGAL, Session
from voice.ivr.errors import FlowError, IvrError, IvrProtocolError, Problem, ScheduleError
from voice.ivr.loader import load_flows, parse_flow
from voice.ivr.model import Flow
from voice.ivr.schedules import Schedule, parse_schedules
from voice.ivr.state import SessionState

__all__ = [
    "LEGAL",
    "Flow",
    "FlowError",
    "IvrError",
    "IvrProtocolError",
    "Problem",
    "Schedule",
    "ScheduleError",
    "Session",
    "SessionState",
    "load_flows",
    "parse_flow",
    "parse_schedules",
]
