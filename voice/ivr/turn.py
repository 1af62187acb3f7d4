"""A Turn: one event's worth of work on a session, the only way nodes touch state.

The engine makes a Turn per event; node code calls it to render text, emit actions, wait for
an event, record the outcome of its visit in the IVR path and say which node comes next.
Keeping these verbs in one place is what lets node modules stay small and lets the path, the
masking of sensitive input and the recording pause/resume rules hold for every node.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from voice.ivr import actions as act
from voice.ivr.model import Defaults, Flow
from voice.ivr.schedules import Schedule
from voice.ivr.state import ENDED, SessionState, Wait
from voice.ivr.templates import Template, mask

if TYPE_CHECKING:
    from voice.ivr.nodes.base import Node


class Turn:
    """Mutable working context for handling one event (see module docstring)."""

    def __init__(self, state: SessionState, flows: Mapping[str, Flow],
                 schedules: Mapping[str, Schedule], now: datetime) -> None:
        self.state = state
        self.flows = flows
        self.schedules = schedules
        self.now = now
        self.actions: list[act.Action] = []
        self.next_node: str | None = None

    # -- where we are ---------------------------------------------------------------
    @property
    def flow(self) -> Flow:
        """The flow the current node belongs to (a subflow while inside one)."""
        return self.flows[self.state.flow]

    @property
    def node(self) -> Node:
        """The node being visited."""
        return self.flow.nodes[self.state.node or ""]

    @property
    def defaults(self) -> Defaults:
        """The current flow's defaults."""
        return self.flow.defaults

    @property
    def scratch(self) -> dict[str, Any]:
        """Per-visit working data of the current node (cleared on each visit)."""
        return self.state.scratch

    @property
    def language(self) -> str:
        """Prompt language: the ``language`` variable if a flow set one, else the default."""
        return str(self.state.vars.get("language") or self.defaults.language)

    # -- templates ------------------------------------------------------------------
    def context(self, *, with_secrets: bool = False) -> dict[str, Any]:
        """Template context; sensitive variables are masked unless ``with_secrets``."""
        variables = self.state.vars
        if with_secrets and self.state.secrets:
            variables = {**variables, **self.state.secrets}
        return {"call": self.state.call, "vars": variables,
                "customer": self.state.customer or {}, "auth": self.state.auth}

    def render(self, template: Template | None, *, with_secrets: bool = False) -> str:
        """Render a text field ('' for none)."""
        if template is None:
            return ""
        return template.render(self.context(with_secrets=with_secrets))

    def say(self, template: Template | None) -> act.Say | None:
        """A Say action for a text field, or None when there is nothing to say."""
        text = self.render(template)
        if not text:
            return None
        return act.Say(text=text, language=self.language, voice=self.defaults.voice)

    def says(self, *templates: Template | None) -> tuple[act.Say, ...]:
        """Say actions for the non-empty texts, in order."""
        return tuple(s for s in (self.say(t) for t in templates) if s is not None)

    # -- effects --------------------------------------------------------------------
    def emit(self, *actions: act.Action | None) -> None:
        """Queue actions for the adapter, in order (None is skipped)."""
        self.actions.extend(a for a in actions if a is not None)

    def request_id(self, kind: str) -> str:
        """A fresh id for an action that expects an answer (also used as timer name)."""
        self.state.counter += 1
        return f"{self.state.node}:{kind}:{self.state.counter}"

    def wait(self, kind: str, request: str | None = None) -> None:
        """Block the session until an event legal for ``kind`` arrives."""
        self.state.wait = Wait(kind, request)

    def goto(self, target: str) -> None:
        """Leave the current node for ``target`` (in the current flow)."""
        self.state.wait = None
        self.next_node = target

    def set_var(self, name: str, value: Any, *, sensitive: bool = False) -> None:
        """Store a flow variable; a sensitive one is kept as a secret and shown masked."""
        if sensitive and value is not None:
            self.state.secrets[name] = value
            self.state.vars[name] = mask(str(value))
            if name not in self.state.sensitive:
                self.state.sensitive.append(name)
        else:
            self.state.secrets.pop(name, None)
            self.state.vars[name] = value

    def pause_recording(self) -> None:
        """Pause the call recording before sensitive input (if it is running).

        The visit is marked ``sensitive`` in the path either way, so transcripts can leave
        its time span out even if audio got through.
        """
        if self.state.path:
            entry = self.state.path[-1]
            entry["detail"] = {**(entry.get("detail") or {}), "sensitive": True}
        if self.state.recording == "on":
            self.state.recording = "paused"
            self.emit(act.PauseRecording())

    def resume_recording(self) -> None:
        """Resume a recording paused for sensitive input."""
        if self.state.recording == "paused":
            self.state.recording = "on"
            self.emit(act.ResumeRecording())

    # -- the IVR path ---------------------------------------------------------------
    def finish(self, outcome: str, *, input: str | None = None,
               detail: dict[str, Any] | None = None) -> None:
        """Record the outcome of the current visit (input must already be masked)."""
        entry = self.state.path[-1]
        entry["outcome"] = outcome
        if input is not None:
            entry["input"] = input
        if detail:
            entry["detail"] = {**(entry.get("detail") or {}), **detail}

    def end(self, reason: str, *, hang_up: bool = True) -> None:
        """End the IVR session (and the call, with a HangUp action)."""
        self.state.secrets.clear()
        if hang_up:
            self.emit(act.HangUp(reason=reason))
        self.state.status = ENDED
        self.state.wait = None
        self.state.end_reason = reason
        self.next_node = None
