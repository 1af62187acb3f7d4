"""The SIP adapter's own rules, without pjsua2: admission, the INVITE gate's parsing, and how
a conversation turns keys, time and prompts into engine events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from voice.ivr import events as ev
from voice.sip.admission import CLAIM_TIMEOUT, Admission
from voice.sip.conversation import Conversation
from voice.sip.gate import new_call_id
from voice.sip.numbers import ServedNumbers

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_worker_with_four_slots_takes_two_callers() -> None:
    admission = Admission(4, clock=Clock())
    assert admission.capacity == 2
    assert admission.offer("a") is None and admission.offer("b") is None
    assert admission.offer("c") == "full"
    assert admission.offer("a") is None  # a retransmitted INVITE is not a new caller
    admission.release("a")
    assert admission.offer("c") == "full"  # the same INVITE again: the same answer
    assert admission.offer("d") is None  # a new caller gets the free place


def test_bursts_are_refused_beyond_the_rate() -> None:
    clock = Clock()
    admission = Admission(64, burst=3, window=0.5, clock=clock)
    for name in "abc":
        assert admission.offer(name) is None
        admission.release(name)
    assert admission.offer("d") == "rate"
    clock.now += 0.5
    assert admission.offer("e") is None
    assert admission.refused == {"full": 0, "rate": 1, "draining": 0}


def test_a_refused_invite_stays_refused_when_retransmitted() -> None:
    clock = Clock()
    admission = Admission(2, clock=clock)
    assert admission.offer("a") is None
    assert admission.offer("b") == "full"
    admission.release("a")
    assert admission.offer("b") == "full"  # its retransmission: still the same answer
    clock.now += 33
    assert admission.offer("b") is None  # a new attempt much later is a new decision
    assert admission.refused["full"] == 1


def test_draining_refuses_and_unclaimed_calls_expire() -> None:
    clock = Clock()
    admission = Admission(4, clock=clock)
    assert admission.offer("lost") is None  # admitted, but pjsua never handed it over
    assert admission.offer("kept") is None and admission.claim("kept")
    assert admission.offer("x") == "full"
    clock.now += CLAIM_TIMEOUT + 1
    assert admission.offer("x2") is None  # "lost" expired; "kept" is still held
    assert admission.holding == 2
    admission.draining = True
    assert admission.offer("y") == "draining"


def test_served_numbers_refresh_one_at_a_time_and_keep_the_old_list_on_errors() -> None:
    clock = Clock()
    published = [{"2000"}]

    def load() -> set[str]:
        if not published:
            raise RuntimeError("database down")
        return published[-1]

    numbers = ServedNumbers(load, refresh_seconds=10, clock=clock)
    assert "2000" not in numbers
    assert numbers.due() and not numbers.due()  # the first refresh is pending
    numbers.refresh()
    assert "2000" in numbers and not numbers.due()
    published.append({"2000", "3000"})
    clock.now += 10
    assert numbers.due()
    numbers.refresh()
    assert "3000" in numbers
    published.clear()
    clock.now += 10
    assert numbers.due()
    numbers.refresh()  # logged, not raised
    assert "3000" in numbers and not numbers.due()


@pytest.mark.parametrize(("packet", "expected"), [
    (b"INVITE sip:2000@h SIP/2.0\r\nTo: <sip:2000@h>\r\nCall-ID: abc@h\r\n\r\n", "abc@h"),
    (b"INVITE sip:2000@h SIP/2.0\r\nt: <sip:2000@h>\r\ni: short@h\r\n\r\n", "short@h"),
    (b"INVITE sip:2000@h SIP/2.0\r\nTo: <sip:2000@h>;tag=9\r\nCall-ID: re@h\r\n\r\n", None),
    (b"BYE sip:2000@h SIP/2.0\r\nTo: <sip:2000@h>\r\nCall-ID: b@h\r\n\r\n", None),
    (b"INVITE sip:2000@h SIP/2.0\r\nTo: <sip:2000@h>\r\n\r\nCall-ID: body@h", None),
])
def test_the_gate_only_counts_initial_invites(packet: bytes, expected: str | None) -> None:
    assert new_call_id(packet) == expected


class Media:
    """Records what the conversation asked of the call leg."""

    def __init__(self) -> None:
        self.log: list[tuple[Any, ...]] = []

    def play(self, files: list[str], *, loop: bool = False) -> None:
        self.log.append(("play", tuple(files), loop))

    def stop_playback(self) -> None:
        self.log.append(("stop",))

    def recording(self, action: str) -> None:
        self.log.append(("recording", action))

    def listen(self, phrases: list[str], language: str) -> bool:
        self.log.append(("listen", tuple(phrases)))
        return True

    def stop_listening(self) -> None:
        self.log.append(("stop-listening",))

    def start_message(self, request: str) -> None:
        self.log.append(("message", request))

    def stop_message(self) -> tuple[str, float]:
        return "ref", 2.0

    def transfer(self, to: str, timeout: int) -> None:
        self.log.append(("transfer", to))

    def hang_up(self, reason: str) -> None:
        self.log.append(("hangup", reason))


def _gather(**extra: Any) -> dict[str, Any]:
    step = {"op": "gather", "request": "g1", "files": ["menu.wav"], "dtmf": True,
            "speech": False, "hints": [], "language": "en-US", "min": 1, "max": 5,
            "finish_on": "#", "timeout": 3, "sensitive": False}
    return {**step, **extra}


def _conversation() -> tuple[Conversation, Media, list[ev.Event]]:
    media = Media()
    sent: list[ev.Event] = []
    conversation = Conversation("c1", media, lambda factory, _label: sent.append(factory(T0)))
    return conversation, media, sent


def test_first_key_stops_the_prompt_and_finish_key_completes() -> None:
    conversation, media, sent = _conversation()
    conversation.apply({"steps": [_gather()], "timers": {}}, T0)
    assert media.log == [("play", ("menu.wav",), False)]
    for key in "12#":
        conversation.digit(key, T0)
    assert ("stop",) in media.log
    assert sent == [ev.DigitsReceived(at=T0, digits="12#")]


def test_max_digits_complete_and_inter_digit_timeout_delivers_what_was_typed() -> None:
    conversation, _media, sent = _conversation()
    conversation.apply({"steps": [_gather(max=2, finish_on=None)], "timers": {}}, T0)
    conversation.digit("4", T0)
    conversation.digit("2", T0)
    assert sent == [ev.DigitsReceived(at=T0, digits="42")]
    conversation.apply({"steps": [_gather(request="g2")], "timers": {}}, T0)
    conversation.playback_done(T0)
    conversation.digit("7", T0 + timedelta(seconds=1))
    conversation.tick(T0 + timedelta(seconds=3.5))  # 2.5 s after the key: not yet
    assert len(sent) == 1
    conversation.tick(T0 + timedelta(seconds=4.1))
    assert sent[-1] == ev.DigitsReceived(at=T0, digits="7")


def test_no_input_timeout_starts_when_the_prompt_ends() -> None:
    conversation, _media, sent = _conversation()
    conversation.apply({"steps": [_gather()], "timers": {}}, T0)
    conversation.tick(T0 + timedelta(seconds=10))  # the prompt is still playing
    assert sent == []
    conversation.playback_done(T0 + timedelta(seconds=10))
    conversation.tick(T0 + timedelta(seconds=12.9))
    assert sent == []
    conversation.tick(T0 + timedelta(seconds=13))
    assert sent == [ev.TimerFired(at=T0, timer="g1")]


def test_engine_timers_fire_and_hangup_mid_voicemail_keeps_the_message() -> None:
    conversation, media, sent = _conversation()
    due = (T0 + timedelta(seconds=30)).isoformat()
    conversation.apply({"steps": [{"op": "voicemail", "request": "r1", "max_length": 60,
                                   "finish_on": "#", "files": ["beep.wav"]}],
                        "timers": {"queue-max-wait": due}}, T0)
    conversation.playback_done(T0)
    assert ("message", "r1") in media.log
    conversation.tick(T0 + timedelta(seconds=31))
    assert sent == [ev.TimerFired(at=T0, timer="queue-max-wait")]
    conversation.caller_hung_up(T0)
    assert sent[1:] == [ev.RecordingFinished(at=T0, request="r1", recording="ref", duration=2.0),
                        ev.CallerHungUp(at=T0)]
