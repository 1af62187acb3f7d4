"""Engine actions to TwiML, for one webhook reply.

Every URL handed to Twilio is absolute, built from ``VOICE_PUBLIC_URL``, and carries the
call id and the engine's request id, so the next webhook can be matched to what the engine
is waiting for. Whole-call recording control (start, pause, resume) is not TwiML: it goes to
the recording control service through the ``recording`` callback.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlencode

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from voice.calls.sessions import SavedSession
from voice.ivr import actions as act

RecordingHook = Callable[[act.Action, SavedSession], None]


class TwimlBuilder:
    """Builds the reply for one request (see module docstring)."""

    def __init__(self, public_url: str, recording: RecordingHook | None = None) -> None:
        self.public_url = public_url.rstrip("/")
        self.recording = recording

    def url(self, path: str, **params: object) -> str:
        """An absolute URL of this service for Twilio."""
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return f"{self.public_url}{path}" + (f"?{query}" if query else "")

    def render(self, actions: list[act.Action], saved: SavedSession) -> str:
        """TwiML for ``actions`` in order."""
        reply = VoiceResponse()
        call = saved.call_id
        for action in actions:
            if isinstance(action, act.Say):
                reply.say(action.text, **_voice(action))
            elif isinstance(action, act.Play):
                reply.play(self.prompt_url(action.audio))
            elif isinstance(action, act.Gather):
                reply.append(self.gather(action, call))
            elif isinstance(action, act.Record):
                reply.record(action=self.url("/twilio/record", call=call, req=action.request),
                             method="POST", max_length=action.max_length,
                             play_beep=action.beep, finish_on_key=action.finish_on,
                             recording_status_callback=self.url(
                                 "/twilio/recording-status", call=call, kind="voicemail"),
                             recording_status_callback_event="completed")
            elif isinstance(action, act.Transfer):
                dial = Dial(action=self.url("/twilio/dial", call=call, req=action.request),
                            method="POST", timeout=action.timeout)
                if action.to.startswith("sip:"):
                    dial.sip(action.to)
                else:
                    dial.number(action.to)
                reply.append(dial)
            elif isinstance(action, act.Enqueue):
                saved.adapter["queue"] = {"name": action.queue,
                                          "announce": action.announce_position,
                                          "music": action.music,
                                          "callback": action.callback}
                reply.redirect(self.url("/twilio/queue", call=call, n=0), method="POST")
            elif isinstance(action, act.HangUp):
                reply.hangup()
            elif isinstance(action, act.StartRecording | act.PauseRecording
                            | act.ResumeRecording) and self.recording is not None:
                self.recording(action, saved)
        wait = saved.state.wait
        if not actions and wait is not None and wait.kind == "connected":
            reply.hangup()  # a <Dial> came back: the bridged call is over
        return str(reply)

    def gather(self, action: act.Gather, call: str) -> Gather:
        """A <Gather> whose empty result comes back as a timeout."""
        options: dict[str, object] = {
            "input": action.input, "timeout": action.timeout, "language": action.language,
            "action": self.url("/twilio/gather", call=call, req=action.request),
            "method": "POST", "action_on_empty_result": True,
        }
        if action.finish_on:
            options["finish_on_key"] = action.finish_on
            if action.min_digits == action.max_digits:
                options["num_digits"] = action.max_digits
        else:
            options["num_digits"] = action.max_digits
            options["finish_on_key"] = ""
        if "speech" in action.input:
            options["speech_timeout"] = "auto"
            if action.hints:
                options["hints"] = ",".join(action.hints)
        gather = Gather(**options)
        for prompt in action.prompts:
            if isinstance(prompt, act.Say):
                gather.say(prompt.text, **_voice(prompt))
            else:
                gather.play(self.prompt_url(prompt.audio))
        return gather

    def prompt_url(self, audio: str) -> str:
        """Where Twilio fetches a flow's prompt audio (served by this service)."""
        return f"{self.public_url}/media/prompts/{quote(audio)}"


def _voice(say: act.Say) -> dict[str, str]:
    options = {"language": say.language}
    if say.voice:
        options["voice"] = say.voice
    return options
