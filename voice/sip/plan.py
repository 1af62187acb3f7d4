"""Media plans: the engine's media actions rendered for a pjsua2 call leg.

The call service hands the SIP adapter's ``render`` the media actions of one step (Say, Play,
Gather, Record, Enqueue, Transfer, HangUp, recording control). :class:`PlanRenderer` turns
them into a plan: plain JSON steps whose prompts are already WAV files on disk (text-to-speech
and conversion happen here, on the service thread, never on the pjsua2 thread). The plan is
what the call service keeps as the step's reply, so a repeated step replays the same plan; it
holds no secrets (a sensitive gather's digits never pass through here).

Step shapes (``op`` first)::

    {"op": "play", "files": [...]}
    {"op": "gather", "request", "files", "dtmf", "speech", "hints", "language", "min", "max",
     "finish_on", "timeout", "sensitive"}
    {"op": "record", "action": "start" | "pause" | "resume"}
    {"op": "voicemail", "request", "max_length", "finish_on", "files" (the beep)}
    {"op": "hold", "queue", "files" (announcement), "music", "max_wait", "callback"}
    {"op": "transfer", "request", "to", "timeout"}
    {"op": "hangup", "reason"}
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from voice.acd.estimate import hold_message
from voice.acd.records import Placement
from voice.calls.sessions import SavedSession
from voice.ivr import actions as act
from voice.sip.prompts import PromptCache


class PlanRenderer:
    """Renders media actions into a JSON plan (see module docstring)."""

    def __init__(self, prompts: PromptCache, *,
                 placement: Callable[[SavedSession], Placement]) -> None:
        self.prompts = prompts
        self.placement = placement

    def render(self, actions: list[act.Action], saved: SavedSession) -> str:
        """The plan for ``actions`` as JSON, with the session's timers and end flag."""
        steps: list[dict[str, Any]] = []
        for action in actions:
            step = self._step(action, saved)
            if step is None:
                continue
            if step["op"] == "play" and steps and steps[-1]["op"] == "play":
                steps[-1]["files"].extend(step["files"])
            else:
                steps.append(step)
        return json.dumps({"steps": steps, "timers": dict(saved.timers),
                           "ended": saved.ended})

    def hold_announcement(self, saved: SavedSession) -> str:
        """A plan that announces the caller's queue position, then holds again."""
        hold = saved.adapter.get("hold")
        wait = saved.state.wait
        if not hold or saved.ended or wait is None or wait.kind != "queue":
            return self.render([], saved)
        language = str(saved.state.vars.get("language") or "en-US")
        step = {**hold, "files": self._position(saved, language, hold.get("callback", False))}
        return json.dumps({"steps": [step], "timers": dict(saved.timers),
                           "ended": saved.ended})

    def _step(self, action: act.Action, saved: SavedSession) -> dict[str, Any] | None:
        if isinstance(action, act.Say | act.Play):
            return {"op": "play", "files": [self._prompt(action)]}
        if isinstance(action, act.Gather):
            return {"op": "gather", "request": action.request,
                    "files": [self._prompt(p) for p in action.prompts],
                    "dtmf": "dtmf" in action.input, "speech": "speech" in action.input,
                    "hints": list(action.hints), "language": action.language,
                    "min": action.min_digits, "max": action.max_digits,
                    "finish_on": action.finish_on, "timeout": action.timeout,
                    "sensitive": action.sensitive}
        if isinstance(action, act.StartRecording):
            return {"op": "record", "action": "start"}
        if isinstance(action, act.PauseRecording):
            return {"op": "record", "action": "pause"}
        if isinstance(action, act.ResumeRecording):
            return {"op": "record", "action": "resume"}
        if isinstance(action, act.Record):
            return {"op": "voicemail", "request": action.request,
                    "max_length": action.max_length, "finish_on": action.finish_on,
                    "files": [str(self.prompts.beep())] if action.beep else []}
        if isinstance(action, act.Enqueue):
            language = str(saved.state.vars.get("language") or "en-US")
            announce = self._position(saved, language, action.callback) \
                if action.announce_position or action.callback else []
            music = str(self.prompts.audio(action.music)) if action.music else \
                str(self.prompts.hold_music())
            hold = {"op": "hold", "queue": action.queue, "music": music,
                    "announce": action.announce_position or action.callback,
                    "max_wait": action.max_wait, "callback": action.callback}
            saved.adapter["hold"] = hold
            return {**hold, "files": announce}
        if isinstance(action, act.Transfer):
            return {"op": "transfer", "request": action.request, "to": action.to,
                    "timeout": action.timeout}
        if isinstance(action, act.HangUp):
            return {"op": "hangup", "reason": action.reason}
        return None

    def _prompt(self, prompt: act.Say | act.Play) -> str:
        if isinstance(prompt, act.Say):
            return str(self.prompts.say(prompt.text, prompt.language, prompt.voice))
        return str(self.prompts.audio(prompt.audio))

    def _position(self, saved: SavedSession, language: str, callback: bool) -> list[str]:
        placement = self.placement(saved)
        if placement.status not in ("waiting", "joining"):
            return []  # already offered to an agent: no announcement
        text = hold_message(placement.position, placement.estimated_wait, callback=callback)
        return [str(self.prompts.say(text, language))]


def parse_plan(reply: str) -> dict[str, Any]:
    """A plan back from its JSON (the call service's stored reply)."""
    if not reply:
        return {"steps": [], "timers": {}, "ended": False}
    return json.loads(reply)
