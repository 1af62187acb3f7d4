"""An open-loop HTTP/1.1 load generator for the web benchmarks, run in its own process.

The caller prepares everything up front (request bytes, signatures included, and a schedule of
send times); :func:`run_plan` only sends and times, so the generator costs little CPU and does
not share a GIL with the server. Open loop: every request has a scheduled send time, and its
latency is measured from that time, not from when it actually went out, so a slow server cannot
hide its queueing by slowing the generator down (no coordinated omission).

A *sequence* is one call's requests, sent in order: request k+1 goes out at its scheduled time,
but never before the reply to request k arrived (it is then sent at once and counted late).
A request that fails (no reply, timeout) ends its sequence; the rest count as not sent.

Connections: raw asyncio streams, HTTP/1.1 with ``Connection: keep-alive``, from a pool of at
most ``max_connections``. A connection is reused only when the server keeps it open; the
counts of opened and reused connections are reported so a benchmark can say which it measured.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

# outcome codes of one request
OK = "ok"                # the expected status and body
WRONG = "wrong"          # a reply, but not the expected status or body
FAILED = "failed"        # no reply: timeout, refused, reset
NOT_SENT = "not-sent"    # an earlier request of the sequence failed


@dataclass(frozen=True)
class Step:
    """One request: its bytes, its send time (seconds after start) and what must come back."""

    data: bytes
    at: float
    status: int
    needle: bytes = b""  # must occur in the body when not empty


@dataclass(frozen=True)
class Plan:
    """Everything the generator needs; picklable, so it crosses to the generator process."""

    host: str
    port: int
    sequences: list[list[Step]]
    timeout: float = 10.0
    max_connections: int = 256
    start_delay: float = 0.5  # seconds between receiving the plan and the first send time


@dataclass
class Outcome:
    """What happened to one request (times in seconds from the plan's start)."""

    sequence: int
    step: int
    at: float
    result: str
    status: int = 0
    latency: float | None = None  # scheduled send time -> full reply read
    late: bool = False  # the previous reply of the sequence came after this send time
    lag: float = 0.0  # actual send time - scheduled (generator or sequencing delay)
    detail: str = ""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    opened: int = 0
    reused: int = 0
    server_closed: int = 0  # replies that carried "Connection: close"
    wall: float = 0.0
    cpu: float = 0.0  # CPU seconds the generator used


class _Pool:
    def __init__(self, host: str, port: int, limit: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(limit)
        self.opened = self.reused = self.server_closed = 0

    async def request(self, data: bytes) -> tuple[int, bytes]:
        async with self.slots:
            while self.idle:
                reader, writer = self.idle.pop()
                try:
                    return await self._exchange(reader, writer, data, reused=True)
                except (ConnectionError, asyncio.IncompleteReadError):
                    continue  # the server closed the idle connection: take another
            reader, writer = await asyncio.open_connection(self.host, self.port)
            self.opened += 1
            return await self._exchange(reader, writer, data, reused=False)

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        data: bytes, *, reused: bool) -> tuple[int, bytes]:
        keep = False
        try:
            writer.write(data)
            head = await reader.readuntil(b"\r\n\r\n")
            if reused:
                self.reused += 1
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip().lower()
            length = int(headers.get("content-length") or 0)
            body = await reader.readexactly(length) if length else b""
            keep = headers.get("connection") != "close" and "content-length" in headers
            if headers.get("connection") == "close":
                self.server_closed += 1
            return status, body
        finally:
            if keep:
                self.idle.append((reader, writer))
            else:
                writer.close()

    def close(self) -> None:
        for _reader, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _run(plan: Plan) -> Report:
    loop = asyncio.get_running_loop()
    pool = _Pool(plan.host, plan.port, plan.max_connections)
    report = Report()
    t0 = loop.time() + plan.start_delay

    async def sequence(index: int, steps: list[Step]) -> None:
        failed = False
        for k, step in enumerate(steps):
            outcome = Outcome(index, k, step.at, NOT_SENT)
            report.outcomes.append(outcome)
            if failed:
                continue
            target = t0 + step.at
            now = loop.time()
            if now < target:
                await asyncio.sleep(target - now)
            elif k > 0:
                outcome.late = True
            outcome.lag = loop.time() - target
            outcome.result, outcome.detail = FAILED, "no reply within the run's time budget"
            try:
                status, body = await asyncio.wait_for(pool.request(step.data), plan.timeout)
            except (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError) as exc:
                outcome.result, outcome.detail = FAILED, type(exc).__name__
                failed = True
                continue
            outcome.latency = loop.time() - target
            outcome.status, outcome.detail = status, ""
            if status == step.status and (not step.needle or step.needle in body):
                outcome.result = OK
            else:
                outcome.result = WRONG
                outcome.detail = body[:200].decode("utf-8", "replace")
                failed = status >= 400  # the call's state is unknown: stop it

    started, cpu = time.perf_counter(), time.process_time()
    tasks = [asyncio.ensure_future(sequence(i, s)) for i, s in enumerate(plan.sequences)]
    last = max((s[-1].at for s in plan.sequences if s), default=0.0)
    budget = plan.start_delay + last + plan.timeout * (1 + max(map(len, plan.sequences),
                                                               default=1))
    _done, pending = await asyncio.wait(tasks, timeout=budget)
    for task in pending:  # bounded in time whatever the server does
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    pool.close()
    report.wall, report.cpu = time.perf_counter() - started, time.process_time() - cpu
    report.opened, report.reused, report.server_closed = \
        pool.opened, pool.reused, pool.server_closed
    return report


def run_plan(plan: Plan) -> Report:
    """Send ``plan`` (call this in a separate process) and return what happened."""
    return asyncio.run(_run(plan))
