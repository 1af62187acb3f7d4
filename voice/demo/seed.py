"""Seed realistic demo calls: IVR paths, queue stays, recordings, transcripts, dispositions.

Owns the generator behind ``voice demo seed``. Every row goes into the real tables through
batched Core inserts (``session.execute(insert(Model), rows)``) so 100,000 calls take
minutes, not hours, on SQLite. Demo calls have ids starting with ``demo-``; that prefix is
how a second run notices existing demo data (refused unless ``append``). Recording and
transcript ids are assigned here (so children can refer to them without a round trip); on
PostgreSQL the id sequences are moved past them afterwards. Only the newest ``audio_calls``
answered recordings get real WAV files (two channels, 8 kHz, tones per speaker turn); the
other recording rows point at files that do not exist, which the QA player shows as "audio
not available". About 10% of answered calls get a QA evaluation against the demo scorecard
(:mod:`voice.evaluations.demo`).
"""

from __future__ import annotations

import hashlib
import math
import random
import struct
import time
import wave
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from voice.evaluations.demo import SHARE, DemoScorecard, demo_evaluation, ensure_demo_scorecard
from voice.store.models import (
    Agent,
    Call,
    CallDisposition,
    CallEvent,
    Evaluation,
    QueueEntry,
    Recording,
    Transcript,
    TranscriptSegment,
)

DEMO_PREFIX = "demo-"
DEMO_PASSWORD = "demo-agent-Passw0rd-2026"
RATE = 8000
BATCH = 2000
#: demo agents and the queues they answer
AGENTS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (f"demo-agent-{n:02d}", q) for n, q in enumerate(
        [("billing",), ("billing",), ("billing", "general"), ("support",), ("support",),
         ("support", "general"), ("general",), ("general",), ("billing", "support"),
         ("billing", "support", "general")], start=1))
TOPICS: dict[str, list[tuple[str, str]]] = {
    "billing": [
        ("I was charged twice on my last invoice.", "I can see the duplicate charge, I will "
         "issue a refund to your card."),
        ("My bill is higher than usual this month.", "The promotional discount ended, let me "
         "apply the loyalty rate."),
        ("I want to change my payment date.", "Done, your payment date is now the fifteenth."),
    ],
    "support": [
        ("My internet keeps dropping every evening.", "I will run a line test and reset your "
         "router remotely."),
        ("The router shows a red light.", "Please unplug the router for thirty seconds, then "
         "plug it back in."),
        ("My email stopped syncing on my phone.", "Let me walk you through the password "
         "reset for your mailbox."),
    ],
    "general": [
        ("I would like to update my address.", "Sure, I have updated the service address "
         "on your account."),
        ("I want to cancel my subscription.", "I am sorry to hear that, I can offer you "
         "three months at half price."),
        ("Can you tell me where my order is?", "Your order shipped yesterday and arrives "
         "on Friday."),
    ],
}
DISPOSITIONS = {"billing": ["refund issued", "billing question"],
                "support": ["resolved", "technician dispatched"],
                "general": ["account updated", "retention offer", "information given"]}


class DemoDataExistsError(Exception):
    """Demo calls are already in the database and ``append`` was not asked for."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} demo calls already exist; use --append to add more")
        self.count = count


@dataclass(frozen=True)
class SeedOptions:
    """What to generate."""

    calls: int
    days: int = 30
    seed: int | None = None
    audio_calls: int = 20  # the newest answered calls that get WAV files (0: none)
    append: bool = False
    now: datetime | None = None


@dataclass
class SeedReport:
    """What was generated, and how fast."""

    calls: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    events: int = 0
    queue_entries: int = 0
    recordings: int = 0
    audio_files: int = 0
    transcripts: int = 0
    segments: int = 0
    dispositions: int = 0
    evaluations: int = 0
    agents_created: int = 0
    seconds: float = 0.0

    @property
    def calls_per_second(self) -> float:
        """Calls generated per wall second."""
        return self.calls / self.seconds if self.seconds > 0 else 0.0


def ensure_agents(acd: Any, session_factory: sessionmaker[Session]) -> tuple[dict[str, int], int]:
    """Create the demo agents once (through ``acd.agents.add``); return name -> agent id
    and how many were created now."""
    with session_factory() as session:
        existing = dict(session.execute(select(Agent.name, Agent.id)).all())
    created = 0
    for name, queues in AGENTS:
        if name not in existing:
            acd.agents.add(name, DEMO_PASSWORD, queues=queues, skills=queues)
            created += 1
    with session_factory() as session:
        rows = session.execute(select(Agent.name, Agent.id)
                               .where(Agent.name.like("demo-agent-%"))).all()
    return dict(rows), created


def _start_time(rng: random.Random, now: datetime, days: int) -> datetime:
    """A start within the last ``days`` days, weighted to business hours and weekdays."""
    while True:
        day = now - timedelta(days=rng.randrange(max(days, 1)))
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        weekday = day.weekday()
        if (weekday == 6 and rng.random() < 0.8) or (weekday == 5 and rng.random() < 0.5):
            continue
        moment = day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60),
                             microsecond=0)
        if moment < now - timedelta(minutes=30):  # every call has ended by ``now``
            return moment


HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 6, 12, 16, 18, 17, 14, 15, 17, 16, 14, 11, 8, 5, 3, 2, 1, 1]


class _Path:
    """Builds one call's IVR path as call_events rows with increasing times."""

    def __init__(self, call_id: str, start: datetime) -> None:
        self.call_id, self.at, self.rows = call_id, start, []

    def visit(self, node: str, node_type: str, outcome: str | None, seconds: float,
              value: str | None = None, detail: dict[str, Any] | None = None) -> datetime:
        at = self.at
        self.rows.append({"call_id": self.call_id, "seq": len(self.rows) + 1, "at": at,
                          "flow_id": "main", "node": node, "node_type": node_type,
                          "outcome": outcome, "input": value, "detail": detail})
        self.at = at + timedelta(seconds=seconds)
        return at


def _call(rng: random.Random, call_id: str, start: datetime, agents: dict[str, list[int]],
          ) -> dict[str, Any]:
    """One call: row, path, queue entry, and what was said (a plan for recording rows)."""
    channel = "twilio" if rng.random() < 0.6 else "sip"
    path = _Path(call_id, start)
    path.visit("greeting", "say", "done", 6)
    open_hours = 8 <= start.hour < 20 and start.weekday() < 6
    plan: dict[str, Any] = {"queue": None, "agent": None, "voicemail": False, "topic": None}
    if not open_hours:
        path.visit("hours", "hours", "closed", 0.1)
        path.visit("after_hours", "say", "done", 8)
        outcome = _voicemail(rng, path, plan)
    else:
        path.visit("hours", "hours", "open", 0.1)
        roll = rng.random()
        if roll < 0.08:
            path.visit("main_menu", "menu", "hangup", rng.uniform(3, 15))
            outcome = "hangup"
        else:
            choice = "1" if roll < 0.45 else "2" if roll < 0.8 else "0"
            path.visit("main_menu", "menu", choice, rng.uniform(4, 12), value=choice)
            if choice == "1":
                verified = rng.random() < 0.85
                path.visit("auth", "authenticate", "verified" if verified else "failed",
                           rng.uniform(10, 30), detail={"method": "account_pin", "sensitive": True})
                if verified:
                    path.visit("crm", "lookup", "ok", 0.4)
                    gold = rng.random() < 0.15
                    path.visit("vip", "branch", "billing_priority" if gold else "billing", 0)
                    node, queue = ("billing_priority" if gold else "billing"), "billing"
                else:
                    node, queue = "agents", "general"
            elif choice == "2":
                zip_code = f"{rng.randrange(10000, 99999)}"
                path.visit("support_zip", "gather", "ok", rng.uniform(6, 12), value=zip_code)
                node, queue = "support", "support"
            else:
                node, queue = "agents", "general"
            outcome = _queue(rng, path, plan, node, queue, agents)
    plan.update(outcome=outcome, channel=channel, events=path.rows, ended_at=path.at)
    return plan


def _queue(rng: random.Random, path: _Path, plan: dict[str, Any], node: str, queue: str,
           agents: dict[str, list[int]]) -> str:
    """The queue stay: answered (talk), abandoned or timed out to voicemail."""
    wait = rng.expovariate(1 / 60)
    roll = rng.random()
    result = "answered" if roll < 0.78 else "abandoned" if roll < 0.92 else "timeout"
    if result == "timeout":
        wait = 600.0
    enqueued = path.visit(node, "queue", result, wait, detail={"queue": queue})
    plan.update(queue=queue, node=node, enqueued_at=enqueued, wait=wait, result=result,
                topic=rng.randrange(3))
    if result == "answered":
        plan["agent"] = rng.choice(agents[queue])
        plan["talk_start"] = path.at
        path.at += timedelta(seconds=rng.uniform(60, 600))
        return "agent"
    if result == "abandoned":
        return "abandoned"
    return _voicemail(rng, path, plan)


def _voicemail(rng: random.Random, path: _Path, plan: dict[str, Any]) -> str:
    """The caller leaves a message (or hangs up at the prompt)."""
    plan["voicemail"] = True
    plan["vm_start"] = path.visit("voicemail", "record", "recorded", rng.uniform(10, 90))
    path.visit("goodbye", "hangup", "done", 3)
    return "voicemail"


def _segments(rng: random.Random, plan: dict[str, Any], call_start: datetime,
              duration: float) -> list[dict[str, Any]]:
    """Per-speaker utterances (channel 0 caller, 1 IVR/agent) tagged with node and phase."""
    out: list[dict[str, Any]] = []

    def say(channel: int, speaker: str, start: float, words: str, node: str | None,
            phase: str) -> float:
        end = start + max(1.0, len(words.split()) * 0.35)
        out.append({"channel": channel, "speaker": speaker, "start_s": round(start, 2),
                    "end_s": round(min(end, max(duration, end)), 2), "text": words,
                    "confidence": round(rng.uniform(0.75, 0.98), 3), "words": None,
                    "node": node, "phase": phase})
        return end + rng.uniform(0.3, 1.5)

    if plan["voicemail"] and plan["agent"] is None:
        topic = TOPICS[plan["queue"] or "general"][plan["topic"] or 0][0]
        say(0, "caller", 1.0, f"Hi, this is a message about my account. {topic} "
            "Please call me back.", "voicemail", "ivr")
        return out
    t = say(1, "ivr", 0.5, "Thanks for calling Acme. Calls are recorded for quality and "
            "training.", "greeting", "ivr")
    queue = plan["queue"]
    question, answer = TOPICS[queue][plan["topic"]]
    t = max(t, (plan["talk_start"] - call_start).total_seconds())
    t = say(1, "agent", t, f"Thank you for holding, this is the {queue} team, how can I "
            "help?", plan["node"], "agent")
    t = say(0, "caller", t, question, plan["node"], "agent")
    t = say(1, "agent", t, answer, plan["node"], "agent")
    t = say(0, "caller", t, "Great, thank you very much.", plan["node"], "agent")
    say(1, "agent", t, "You are welcome, have a nice day.", plan["node"], "agent")
    return out


def _evaluation_rows(rng: random.Random, plan: dict[str, Any], call_id: str,
                     agent: str | None, card: DemoScorecard, now: datetime,
                     ) -> list[dict[str, Any]]:
    """QA evaluations of answered calls: about SHARE of them get one (demo scorecard)."""
    if plan["agent"] is None or rng.random() >= SHARE:
        return []
    started_at = plan["events"][0]["at"]
    return [demo_evaluation(rng, card, call_id=call_id, agent=agent, queue=plan["queue"],
                            started_at=started_at, talk_start=plan["talk_start"],
                            ended_at=plan["ended_at"], now=now)]


def write_wav(target: Path, duration: float, segments: list[dict[str, Any]]) -> tuple[int, str]:
    """A two-channel 8 kHz 16-bit WAV: a tone on the speaker's channel during each segment,
    faint noise elsewhere. Returns (size in bytes, SHA-256)."""
    step = RATE // 10  # 0.1 s blocks, precomputed per (caller active, other active)
    noise = random.Random(0)

    def block(active: bool, freq: float) -> list[int]:
        if active:
            return [int(6000 * math.sin(2 * math.pi * freq * i / RATE)) for i in range(step)]
        return [noise.randint(-60, 60) for _ in range(step)]

    blocks = {}
    for a in (False, True):
        for b in (False, True):
            left, right = block(a, 220.0), block(b, 330.0)
            samples = [s for pair in zip(left, right, strict=True) for s in pair]
            blocks[a, b] = struct.pack(f"<{len(samples)}h", *samples)
    frames = bytearray()
    for n in range(max(1, int(duration * 10))):
        t = n / 10
        active = [any(s["channel"] == ch and s["start_s"] <= t < s["end_s"] for s in segments)
                  for ch in (0, 1)]
        frames += blocks[active[0], active[1]]
    return store_stereo_wav(target, bytes(frames))


def store_stereo_wav(target: Path, frames: bytes) -> tuple[int, str]:
    """Write interleaved 16-bit stereo ``frames`` at 8 kHz as a WAV file (folders made);
    returns (size in bytes, SHA-256), as a recording row records them."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(target), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)
    data = target.read_bytes()
    return len(data), hashlib.sha256(data).hexdigest()


def seed(session_factory: sessionmaker[Session], acd: Any, recordings_dir: Path,
         options: SeedOptions, *, progress: Callable[[int], None] | None = None) -> SeedReport:
    """Generate ``options.calls`` demo calls; raises DemoDataExistsError (see module doc)."""
    began = time.perf_counter()
    now = (options.now or datetime.now(UTC)).astimezone(UTC)
    rng = random.Random(options.seed)
    report = SeedReport()
    with session_factory() as session:
        existing = session.scalar(select(func.count()).select_from(Call)
                                  .where(Call.id.like(f"{DEMO_PREFIX}%"))) or 0
        next_recording = (session.scalar(select(func.max(Recording.id))) or 0) + 1
        next_transcript = (session.scalar(select(func.max(Transcript.id))) or 0) + 1
    if existing and not options.append:
        raise DemoDataExistsError(existing)
    names, report.agents_created = ensure_agents(acd, session_factory)
    scorecard = ensure_demo_scorecard(session_factory, now)
    by_queue: dict[str, list[int]] = {"billing": [], "support": [], "general": []}
    for name, queues in AGENTS:
        for queue in queues:
            by_queue[queue].append(names[name])
    agent_names = {v: k for k, v in names.items()}
    starts = sorted(_start_time(rng, now, options.days) for _ in range(options.calls))
    audio_queue: deque[tuple[int, str, float, list[dict[str, Any]]]] = deque(
        maxlen=max(options.audio_calls, 1))
    for offset in range(0, options.calls, BATCH):
        tables: dict[Any, list[dict[str, Any]]] = {
            Call: [], CallEvent: [], QueueEntry: [], Recording: [], Transcript: [],
            TranscriptSegment: [], CallDisposition: [], Evaluation: []}
        for index in range(offset, min(offset + BATCH, options.calls)):
            call_id = f"{DEMO_PREFIX}{existing + index + 1:08d}"
            start = starts[index]
            plan = _call(rng, call_id, start, by_queue)
            if plan["ended_at"] > now:
                plan["ended_at"] = now
            report.outcomes[plan["outcome"]] = report.outcomes.get(plan["outcome"], 0) + 1
            from_number = f"+1{rng.randrange(201, 989)}{rng.randrange(2000000, 9999999)}"
            tables[Call].append({
                "id": call_id, "channel": plan["channel"], "flow_id": "main",
                "flow_version": None, "flow_sha256": None, "from_number": from_number,
                "to_number": "+15550100" if plan["channel"] == "twilio" else "1000",
                "started_at": start, "ended_at": plan["ended_at"],
                "outcome": plan["outcome"], "simulated": False, "worker": "demo"})
            tables[CallEvent].extend(plan["events"])
            if plan["queue"]:
                answered = plan["result"] == "answered"
                tables[QueueEntry].append({
                    "call_id": call_id, "queue": plan["queue"], "channel": plan["channel"],
                    "from_number": from_number, "priority": 10 if plan["node"] ==
                    "billing_priority" else 0, "skills": [plan["queue"]], "status": "ended",
                    "outcome": plan["result"], "enqueued_at": plan["enqueued_at"],
                    "agent_id": plan["agent"],
                    "offered_at": plan.get("talk_start") if answered else None,
                    "answered_at": plan.get("talk_start") if answered else None,
                    "ended_at": plan["ended_at"], "estimated_wait": round(plan["wait"], 1),
                    "callback": False, "callback_number": None, "tried": [], "holder": None})
            if plan["agent"] is not None:
                tables[CallDisposition].append({
                    "call_id": call_id, "agent_id": plan["agent"], "customer_id": None,
                    "disposition": rng.choice(DISPOSITIONS[plan["queue"]]),
                    "note": TOPICS[plan["queue"]][plan["topic"]][1],
                    "created_at": plan["ended_at"]})
            tables[Evaluation].extend(_evaluation_rows(
                rng, plan, call_id, agent_names.get(plan["agent"]), scorecard, now))
            if plan["agent"] is None and not plan["voicemail"]:
                continue
            kind = "call" if plan["agent"] is not None else "voicemail"
            rec_start = start if kind == "call" else plan["vm_start"]
            duration = round((plan["ended_at"] - rec_start).total_seconds(), 1)
            segments = _segments(rng, plan, rec_start, duration)
            relative = f"{rec_start:%Y/%m/%d}/{call_id}{'-vm' if kind == 'voicemail' else ''}.wav"
            size, digest = 0, hashlib.sha256(call_id.encode()).hexdigest()
            if kind == "call" and options.audio_calls:
                audio_queue.append((next_recording, relative, duration, segments))
            recording_id, transcript_id = next_recording, next_transcript
            next_recording += 1
            next_transcript += 1
            tables[Recording].append({
                "id": recording_id, "call_id": call_id, "kind": kind,
                "source": plan["channel"], "source_id": f"{DEMO_PREFIX}{call_id}-{kind}",
                "path": relative, "channels": 2 if kind == "call" else 1,
                "duration_s": duration, "size_bytes": size, "sha256": digest,
                "created_at": plan["ended_at"], "flow_id": "main", "queue": plan["queue"],
                "agent": agent_names.get(plan["agent"]) if plan["agent"] else None,
                "expires_at": None, "wrapped_key": None})
            tables[Transcript].append({
                "id": transcript_id, "recording_id": recording_id, "call_id": call_id,
                "model": "demo", "duration_s": duration, "processing_s": 0.0,
                "created_at": plan["ended_at"]})
            tables[TranscriptSegment].extend(
                {**s, "transcript_id": transcript_id, "call_id": call_id} for s in segments)
        with session_factory.begin() as session:
            for model, rows in tables.items():
                if rows:
                    session.execute(insert(model), rows)
        report.calls += len(tables[Call])
        report.events += len(tables[CallEvent])
        report.queue_entries += len(tables[QueueEntry])
        report.recordings += len(tables[Recording])
        report.transcripts += len(tables[Transcript])
        report.segments += len(tables[TranscriptSegment])
        report.dispositions += len(tables[CallDisposition])
        report.evaluations += len(tables[Evaluation])
        if progress is not None:
            progress(report.calls)
    with session_factory.begin() as session:
        for recording_id, relative, duration, segments in audio_queue:
            size, digest = write_wav(recordings_dir / relative, duration, segments)
            session.execute(update(Recording).where(Recording.id == recording_id)
                            .values(size_bytes=size, sha256=digest))
            report.audio_files += 1
        if session.get_bind().dialect.name == "postgresql":
            for table in ("recordings", "transcripts"):
                session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
    report.seconds = time.perf_counter() - began
    return report
