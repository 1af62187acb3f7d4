"""Screen-pop latency: from the moment an agent is reserved to the CRM receiving the webhook.

Real services over a temporary database (SQLite, and PostgreSQL unless ``--no-postgres``),
a webhook endpoint pointing at a local receiver (a threaded HTTP server on 127.0.0.1 that
checks the signature with the ``standardwebhooks`` library and notes when each request
arrived) and one agent. Each round a call with a short IVR path (menu, verified
``authenticate``) is queued and activated: the distributor reserves the agent and writes the
``call.offered`` delivery in the same transaction; right after that commit the time is
taken (the "reserved" moment, through the outbox's ``committed`` hook) and the process's
fast-path sender posts the delivery. The receiver's arrival time minus the reserved moment
is the screen-pop latency. The agent is then released (answered, finished, no wrap-up) for
the next round. Rounds are sequential: the figure is the latency of one pop, not a load test.

Baseline in the same process: a bare signed POST of a same-size body with httpx to the same
receiver (no database, no queue): the ratio says what the outbox and the claim add.
Run: ``.venv/bin/python bench/screen_pop.py [--rounds 200] [--quick] [--no-postgres]``
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from standardwebhooks import Webhook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import migrated_services, percentile, postgres_url

from voice.compose import Services
from webhooks.signing import sign

TARGET_P95_MS = 300.0


class Receiver:
    """A local CRM: verifies each webhook and notes its arrival (monotonic seconds)."""

    def __init__(self) -> None:
        self.secret = ""
        self.arrivals: dict[str, float] = {}
        self.failures = 0
        self.done = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                arrived = time.monotonic()
                try:
                    Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                    ok = True
                except Exception:
                    ok = False
                self.send_response(204 if ok else 400)
                self.end_headers()
                with receiver.done:
                    if ok:
                        receiver.arrivals[self.headers["webhook-id"]] = arrived
                    else:
                        receiver.failures += 1
                    receiver.done.notify_all()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/crm/voice"

    def wait(self, webhook_id: str, timeout: float = 10.0) -> float:
        """The arrival time of ``webhook_id`` (waits for it)."""
        with self.done:
            self.done.wait_for(lambda: webhook_id in self.arrivals, timeout)
        return self.arrivals[webhook_id]


def measure(services: Services, receiver: Receiver, rounds: int) -> list[float]:
    """Latency (ms) of ``rounds`` screen pops, one at a time."""
    acd, outbox_ids = services.acd, {}
    assert acd is not None and services.webhook_endpoints is not None
    _id, receiver.secret = services.webhook_endpoints.add(receiver.url, events=["call.offered"])
    acd.queues.put("support", {"wrap_up": 0})
    acd.agents.add("ann", "bench-password-1", queues=["support"],
                   contact="sip:ann@127.0.0.1:5999")
    acd.agents.set_state("ann", "available")
    events = acd.distributor.events
    original = events.committed

    def committed(ids: list[int]) -> None:  # the reservation just committed
        now = time.monotonic()
        for delivery_id in ids:
            outbox_ids[delivery_id] = now
        original(ids)

    events.committed = committed  # type: ignore[method-assign]
    latencies = []
    for n in range(rounds):
        call_id = f"bench-{n}-{secrets.token_hex(4)}"
        now = datetime.now(UTC)
        services.call_repository.start_call(
            call_id=call_id, channel="sip", flow_id="main", flow_version=1, flow_sha256=None,
            from_number="+15550142", to_number="1000", started_at=now, simulated=False)
        services.call_repository.append_path(call_id, [
            {"seq": 1, "at": now, "flow": "main", "node": "main_menu", "type": "menu",
             "outcome": "1", "input": "1"},
            {"seq": 2, "at": now, "flow": "main", "node": "auth", "type": "authenticate",
             "outcome": "verified", "input": "****1234",
             "detail": {"method": "account_pin", "level": "strong", "customer_id": "1"}}])
        outbox_ids.clear()
        acd.distributor.enqueue(call_id, "support", channel="sip", from_number="+15550142")
        acd.distributor.activate(call_id)
        [(delivery_id, reserved)] = outbox_ids.items()
        msg_id = services.webhook_deliverer.get(delivery_id).msg_id  # type: ignore[union-attr]
        latencies.append((receiver.wait(msg_id) - reserved) * 1000)
        acd.handoff.answered(call_id, acd.agents.get("ann").id)
        acd.handoff.finished(call_id)
        services.call_repository.end_call(call_id, ended_at=datetime.now(UTC), outcome="ok")
    return latencies


def baseline(receiver: Receiver, rounds: int) -> list[float]:
    """Latency (ms) of a bare signed POST of a screen-pop-sized body."""
    body = json.dumps({"type": "call.offered", "data": {"pad": "x" * 1500}})
    times = []
    with httpx.Client(timeout=10) as client:
        for n in range(rounds):
            msg_id = f"msg_base_{n}_{secrets.token_hex(4)}"
            headers = sign(receiver.secret, msg_id, datetime.now(UTC), body)
            started = time.monotonic()
            client.post(receiver.url, content=body,
                        headers={**headers, "content-type": "application/json"})
            times.append((receiver.wait(msg_id) - started) * 1000)
    return times


def line(name: str, values: list[float]) -> str:
    """One figure line: median, p95, p99 in ms."""
    return (f"  {name:<28} p50 {statistics.median(values):7.1f}  p95 "
            f"{percentile(values, 95):7.1f}  p99 {percentile(values, 99):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="20 rounds, SQLite only")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    rounds = 20 if args.quick else args.rounds
    receiver = Receiver()
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        services = migrated_services(f"sqlite:///{folder / 'voice.db'}", folder)
        try:
            measure(services, receiver, 5)  # warm-up, not counted
        finally:
            services.close()
        services = migrated_services(f"sqlite:///{folder / 'voice2.db'}", folder / "2")
        try:
            results["SQLite"] = measure(services, receiver, rounds)
        finally:
            services.close()
        if not (args.quick or args.no_postgres):
            with postgres_url("bench_pop") as url:
                services = migrated_services(url, folder / "pg")
                try:
                    results["PostgreSQL"] = measure(services, receiver, rounds)
                finally:
                    services.close()
        base = baseline(receiver, rounds)
    print(f"screen pop: agent reserved -> call.offered received and verified, {rounds} rounds")
    for name, values in results.items():
        print(line(name, values))
    print(line("baseline: bare signed POST", base))
    for name, values in results.items():
        ratio = statistics.median(values) / max(statistics.median(base), 1e-6)
        print(f"  ratio {name} / baseline (p50) {ratio:.1f}")
    print(f"  signature failures {receiver.failures}")
    worst = max(percentile(v, 95) for v in results.values())
    verdict = "PASS" if worst <= TARGET_P95_MS else "MISS"
    figures = ", ".join(f"{n} p50 {statistics.median(v):.1f} p95 {percentile(v, 95):.1f}"
                        for n, v in results.items())
    print(f"RESULT screen pop ms: {figures}  target p95 <= {TARGET_P95_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
