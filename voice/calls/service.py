"""The call service: runs a call's IVR session for any front end (Twilio now, SIP next).

An adapter hands it events and gets back the media actions to translate (Say, Gather,
Record, Transfer, Enqueue, HangUp, recording control); everything else the engine asks for
is done here: lookups (within a hard time budget), caller verification, timers, queue
bookkeeping, the call log and saving the session. Each request is one transaction on the
saved session: a repeated delivery (same ``key``) gets the reply it got before, and a lost
race on the session is retried on fresh state. An unexpected error never reaches the
carrier: the caller hears an apology and the call ends, and the error is logged with the
call id.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from datetime import datetime, timedelta

from voice.acd.records import Placement
from voice.acd.service import Acd
from voice.auth.verifier import Verifier
from voice.calls.repository import CallRepository
from voice.calls.sessions import SavedSession, SessionStore
from voice.flows.catalog import FlowCatalog
from voice.flows.errors import FlowNotFoundError
from voice.ivr import Session, SessionState
from voice.ivr import actions as act
from voice.ivr import events as ev
from voice.lookups import HttpLookupService, LookupResult

log = logging.getLogger(__name__)

Render = Callable[[list[act.Action], SavedSession], str]
EventFor = Callable[[SavedSession], "ev.Event | None"]
APOLOGY = "We are sorry, something went wrong on our side. Please call again later."
UNKNOWN_NUMBER = "Sorry, this number is not in service. Goodbye."
SAVE_ATTEMPTS = 5


class CallService:
    """Runs IVR sessions and keeps their state, timers and call log (see module docstring)."""

    def __init__(self, *, catalog: FlowCatalog, calls: CallRepository, store: SessionStore,
                 verifier: Verifier, lookups: HttpLookupService, lookup_budget: float,
                 clock: Callable[[], datetime], default_flow: str | None = None,
                 acd: Acd | None = None, handle_time: float = 180.0) -> None:
        self.catalog = catalog
        self.calls = calls
        self.store = store
        self.verifier = verifier
        self.lookups = lookups
        self.lookup_budget = lookup_budget
        self.clock = clock
        self.default_flow = default_flow
        self.acd = acd
        self.handle_time = handle_time
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lookup")

    def close(self) -> None:
        """Stop the lookup threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- entry points -----------------------------------------------------------------
    def start(self, *, channel: str, call_id: str, from_number: str, to_number: str,
              flow_id: str | None, render: Render, worker: str | None = None) -> str:
        """A new call: pick the flow (given, by number, or the default) and run it.

        ``worker`` names the media worker holding the call (SIP), for the call log.
        """
        existing = self.store.load(call_id)
        if existing is not None:  # the carrier retried the first webhook
            return existing.last_reply or render([], existing)
        now = self.clock()
        chosen = flow_id or self._flow_for(to_number)
        try:
            pinned = self.catalog.published(chosen) if chosen else None
        except FlowNotFoundError:
            pinned = None
        if pinned is None:
            log.warning("call %s to %s: no published flow answers this number", call_id,
                        to_number)
            blank = SavedSession(call_id, SessionState(), {})
            return render([act.Say(text=UNKNOWN_NUMBER, language="en-US"),
                           act.HangUp(reason="unknown-number")], blank)
        self.calls.start_call(call_id=call_id, channel=channel, flow_id=pinned.root,
                              flow_version=pinned.versions.get(pinned.root),
                              flow_sha256=pinned.sha256.get(pinned.root),
                              from_number=from_number, to_number=to_number, started_at=now,
                              simulated=False, worker=worker)
        session = Session(pinned.flows, flow_id=pinned.root,
                          schedules=self.catalog.schedules())
        saved = SavedSession(call_id, session.state, dict(pinned.versions))
        self.store.create(saved, now)
        return self.handle(call_id, lambda _s: ev.CallStarted(
            at=now, call_id=call_id, channel=channel, from_number=from_number,
            to_number=to_number), key="start", render=render)

    def handle(self, call_id: str, event_for: EventFor, *, key: str, render: Render) -> str:
        """Apply the event ``event_for(saved)`` (None: no event) and return the reply."""
        for _ in range(SAVE_ATTEMPTS):
            saved = self.store.load(call_id)
            if saved is None:
                raise LookupError(f"no call {call_id}")
            if saved.last_key == key and saved.last_reply is not None:
                return saved.last_reply
            now = self.clock()
            logged = _finished(saved.state.path, ended=saved.ended)
            try:
                reply = self._step(saved, event_for, now, render)
            except Exception:
                log.exception("call %s: error while handling %s; the caller hears an apology",
                               call_id, key)
                reply = self._fail(saved, now, render)
            path = saved.state.path
            saved.unlogged = path[logged:_finished(path, ended=saved.ended)]
            saved.last_key, saved.last_reply = key, reply
            if self.store.save(saved, now):
                self._log_path(saved)
                if self.acd is not None:
                    if saved.joined and not saved.ended:
                        self.acd.distributor.activate(call_id)  # the screen pop has the path
                    if saved.ended:
                        self.acd.handoff.finished(call_id)  # the agent (if any) wraps up
                if saved.ended:
                    self.calls.end_call(call_id, ended_at=now,
                                        outcome=saved.state.end_reason or "ended")
                return reply
        raise RuntimeError(f"call {call_id}: could not save the session (too much contention)")

    def placement(self, saved: SavedSession) -> Placement:
        """The caller's place in their queue and estimated wait, for hold announcements."""
        if self.acd is not None:
            return self.acd.distributor.placement(saved.call_id)
        position = self.store.queue_position(saved)
        return Placement(status="waiting", position=position,
                         estimated_wait=(position or 1) * self.handle_time)

    def due_timer(self, saved: SavedSession) -> str | None:
        """The name of a timer that has run out, if any."""
        now = self.clock()
        for name, deadline in saved.timers.items():
            if datetime.fromisoformat(deadline) <= now:
                return name
        return None

    # -- work -------------------------------------------------------------------------
    def _step(self, saved: SavedSession, event_for: EventFor, now: datetime,
              render: Render) -> str:
        pinned = self.catalog.published(saved.state.call.get("flow") or saved.state.flow,
                                        saved.versions)
        session = Session(pinned.flows, schedules=self.catalog.schedules(), state=saved.state)
        event = event_for(saved)
        actions = session.handle(event) if event is not None else []
        if isinstance(event, ev.TimerFired):
            saved.timers.pop(event.timer, None)
        media = self._serve(session, saved, actions, now)
        saved.ended = session.ended
        return render(media, saved)

    def _serve(self, session: Session, saved: SavedSession, actions: list[act.Action],
               now: datetime) -> list[act.Action]:
        """Do the non-media actions; return the media actions for the adapter, in order."""
        media: list[act.Action] = []
        pending = deque(actions)
        while pending:
            action = pending.popleft()
            if isinstance(action, act.Lookup):
                result = self._lookup(action)
                pending.extend(session.handle(ev.LookupCompleted(
                    at=now, request=action.request, ok=result.ok, status=result.status,
                    data=result.data, error=result.error)))
            elif isinstance(action, act.VerifyCaller):
                answer = self.verifier.verify(action, saved.call_id)
                pending.extend(session.handle(ev.VerificationCompleted(
                    at=now, request=action.request, verified=answer.verified,
                    customer=answer.customer, reason=answer.reason)))
            elif isinstance(action, act.StartTimer):
                saved.timers[action.timer] = (now + timedelta(seconds=action.seconds)).isoformat()
            elif isinstance(action, act.CancelTimer):
                saved.timers.pop(action.timer, None)
            elif isinstance(action, act.Enqueue):
                saved.queue, saved.queue_priority, saved.enqueued_at = \
                    action.queue, action.priority, now
                if self.acd is not None:
                    call = saved.state.call
                    self.acd.distributor.enqueue(
                        saved.call_id, action.queue, channel=str(call.get("channel") or "sip"),
                        from_number=str(call.get("from") or ""), priority=action.priority,
                        skills=action.skills)
                    saved.joined = True
                media.append(action)
            elif isinstance(action, act.Dequeue):
                saved.queue = saved.queue_priority = saved.enqueued_at = None
                if self.acd is not None:
                    self.acd.distributor.leave(saved.call_id, action.reason)
            elif isinstance(action, act.RequestCallback):
                if self.acd is not None:
                    self.acd.handoff.request_callback(saved.call_id, action.number)
            elif isinstance(action, act.EmitEvent):
                log.info("call %s: event %s", saved.call_id, action.type)
            else:
                media.append(action)
        return media

    def _lookup(self, action: act.Lookup) -> LookupResult:
        """Perform a lookup within the budget; past it, the flow takes on_error."""
        budget = min(action.timeout, self.lookup_budget)
        future = self._pool.submit(self.lookups.perform, replace(action, timeout=budget))
        try:
            return future.result(timeout=budget + 0.05)
        except FutureTimeout:
            return LookupResult(False, None, None, f"no answer within {budget:g} s")

    def _fail(self, saved: SavedSession, now: datetime, render: Render) -> str:
        saved.ended = True
        saved.state.status = "ended"
        saved.state.end_reason = "error"
        return render([act.Say(text=APOLOGY, language="en-US"), act.HangUp(reason="error")],
                      saved)

    def _log_path(self, saved: SavedSession) -> None:
        """Log the steps this request finished (every step once the call ended)."""
        steps = saved.unlogged
        if steps:
            self.calls.append_path(saved.call_id, [
                {**step, "at": datetime.fromisoformat(step["at"]), "detail": step.get("detail")}
                for step in steps])

    def _flow_for(self, number: str) -> str | None:
        info = self.catalog.flow_for_number(number)
        return info.flow_id if info is not None else self.default_flow



def _finished(path: list[dict], *, ended: bool) -> int:
    """How many leading path steps are finished (all of them once the call ended)."""
    if ended:
        return len(path)
    for index, step in enumerate(path):
        if step.get("outcome") is None:
            return index
    return len(path)
