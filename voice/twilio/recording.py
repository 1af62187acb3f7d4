"""Whole-call recording for Twilio calls: the engine's recording actions as REST calls.

``StartRecording`` starts a dual-channel recording of the live call (its status callback
brings the finished file in); ``PauseRecording``/``ResumeRecording`` bracket sensitive
input so the digits are never recorded; :meth:`TwilioRecordingHook.stop` ends it when an
agent answers (the ``<Dial>`` records the conversation, see ``voice.twilio.agents``). A
REST failure is logged with the call id and the call goes on: a missing recording must not
cost the caller their call.
"""

from __future__ import annotations

import logging

from voice.calls.sessions import SavedSession
from voice.ivr import actions as act
from voice.twilio.errors import TwilioApiError
from voice.twilio.rest import TwilioRecordingControl
from voice.twilio.twiml import TwimlBuilder

log = logging.getLogger(__name__)


class TwilioRecordingHook:
    """Carries out recording actions for one service (see module docstring)."""

    def __init__(self, control: TwilioRecordingControl, public_url: str) -> None:
        self.control = control
        self.urls = TwimlBuilder(public_url)

    def __call__(self, action: act.Action, saved: SavedSession) -> None:
        call = saved.call_id
        sid = saved.adapter.get("recording_sid")
        try:
            if isinstance(action, act.StartRecording) and sid is None:
                saved.adapter["recording_sid"] = self.control.start(
                    call, status_callback=self.urls.url("/twilio/recording-status",
                                                        call=call, kind="call"))
            elif saved.adapter.get("recording_stopped"):
                return
            elif isinstance(action, act.PauseRecording) and sid:
                self.control.pause(call, sid)
            elif isinstance(action, act.ResumeRecording) and sid:
                self.control.resume(call, sid)
        except TwilioApiError as exc:
            log.error("call %s: %s failed: %s", call, type(action).__name__, exc)

    def stop(self, saved: SavedSession) -> None:
        """Stop the call's whole-call recording for good (Twilio completes and files it)."""
        sid = saved.adapter.get("recording_sid")
        if not sid or saved.adapter.get("recording_stopped"):
            return
        try:
            self.control.stop(saved.call_id, sid)
            saved.adapter["recording_stopped"] = True
        except TwilioApiError as exc:
            log.error("call %s: stopping recording %s failed: %s", saved.call_id, sid, exc)
