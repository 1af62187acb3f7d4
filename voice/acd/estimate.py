"""Estimated wait: when will the caller at ``position`` be offered an agent?

Pure arithmetic on what the distributor measured: the handle time of recent calls in the
queue (talk plus wrap-up) and the agents actually staffing it now. Agents free now take the
first callers; each busy agent frees up when their current call is expected to end (the
average handle time minus what has already passed, at least a tenth of it), and then every
average handle time after. The caller at ``position`` is reached at the ``position``-th of
those moments. No staffed agent: no estimate (None), and the caller is told so honestly.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence


def estimate_wait(position: int, *, free_agents: int, busy_elapsed: Sequence[float],
                  handle_time: float) -> float | None:
    """Seconds until the caller at 1-based ``position`` is offered an agent (None: nobody
    staffs the queue). ``busy_elapsed`` holds, per busy agent, seconds into their call."""
    if position < 1:
        raise ValueError("position is 1-based")
    if position <= free_agents:
        return 0.0
    if not busy_elapsed:
        return None
    handle_time = max(handle_time, 1.0)
    frees = [max(handle_time - elapsed, handle_time / 10) for elapsed in busy_elapsed]
    heapq.heapify(frees)
    remaining = position - free_agents
    # Beyond one round of every busy agent, whole rounds are plain multiplication.
    rounds, remaining = divmod(remaining - 1, len(frees))
    moment = 0.0
    for _ in range(remaining + 1):
        moment = heapq.heappop(frees)
        heapq.heappush(frees, moment + handle_time)
    return moment + rounds * handle_time


def minutes_phrase(seconds: float | None) -> str:
    """How a wait is said to a caller: "less than a minute", "about 3 minutes"."""
    if seconds is None:
        return ""
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def hold_message(position: int | None, estimate: float | None, *,
                 callback: bool = False) -> str:
    """What a caller on hold hears: their place in line and an honest wait estimate."""
    parts = []
    if position is not None:
        parts.append(f"You are number {position} in line.")
    if estimate is None:
        parts.append("All our agents are busy right now. Please stay on the line.")
    elif estimate < 60:
        parts.append("An agent will be with you in less than a minute.")
    else:
        parts.append(f"The estimated wait is {minutes_phrase(estimate)}.")
    if callback:
        parts.append("To be called back without losing your place in line, press 1.")
    return " ".join(parts)
