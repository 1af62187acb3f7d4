"""A Twilio call's recording filed by the recording-status callback and transcribed by a
``voice worker`` process with the Korean Vosk model: segments tagged with speaker and IVR
node, nothing kept from the card entry, the call found by a word of its transcript.

The call runs the demo ``main`` flow through the signed-webhook harness: the menu (3), the
``payments`` subflow's card number and expiry (sensitive) and the amount. The frozen clock
is moved on so the menu, the card entry and the amount each last 10 s. The fake Twilio cloud
then serves a dual-channel 8 kHz WAV built for the call: Korean sentences (espeak-ng) on the
IVR channel (1) at the menu and on the caller's channel (0) at the menu, during the card
entry (as if the pause had failed) and at the amount. The worker (real time, its own
process, the test's database and data folder, Huey on SQLite) must keep the menu and amount
speech with their tags and drop what overlaps the card entry. The small model hears espeak's
Korean poorly, so the words themselves are not checked.
"""

from __future__ import annotations

import array
import subprocess
import wave
from datetime import datetime
from pathlib import Path

import pytest
from tooling import korean_model, require_tools
from twilio_harness import Clock, TwilioLine
from worker_process import transcribe_with_worker

from voice.calls.records import CallRecord
from voice.transcripts.store import SearchFilters, TranscriptView

RATE = 8000
#: what the caller answers and how long each question stays open (the harness adds 3 s)
ANSWERS = (("3", 7), ("4111111111111111#", 7), ("1228", 0), ("50#", 7))
#: (channel, second into the call, sentence)
SPEECH = ((1, 0.5, "안녕하세요 고객센터입니다"),
          (0, 4.0, "안녕하세요 예약을 확인하고 싶습니다"),
          (0, 13.0, "카드 번호는 사일일일 입니다"),
          (0, 26.0, "네 오십 달러 결제해 주세요"))
LENGTH_S = 36.0


@pytest.fixture(autouse=True)
def _tools() -> None:
    require_tools("espeak-ng", "sox")
    korean_model()


def _samples(text: str, folder: Path) -> array.array:
    """16-bit mono 8 kHz samples of espeak-ng's Korean voice saying ``text``."""
    raw, converted = folder / "raw.wav", folder / "converted.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), "--", text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(converted)],
                   check=True)
    with wave.open(str(converted)) as audio:
        return array.array("h", audio.readframes(audio.getnframes()))


def call_wav(folder: Path) -> tuple[bytes, list[tuple[int, float, float]]]:
    """The call's two-channel WAV and where each sentence is: (channel, start, end) s."""
    folder.mkdir(parents=True, exist_ok=True)
    channels = [array.array("h", bytes(2 * int(LENGTH_S * RATE))) for _ in range(2)]
    placed = []
    for channel, start, text in SPEECH:
        samples = _samples(text, folder)
        at = int(start * RATE)
        channels[channel][at:at + len(samples)] = samples
        placed.append((channel, start, start + len(samples) / RATE))
    frames = array.array("h", (s for pair in zip(*channels, strict=True) for s in pair))
    target = folder / "call.wav"
    with wave.open(str(target), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames.tobytes())
    return target.read_bytes(), placed


def _run_call(line: TwilioLine, clock: Clock) -> None:
    document = line.dial_in()
    for answer, linger in ANSWERS:
        clock.advance(linger)
        document = line.follow(document, [answer], 50)
        assert document is not None, line.heard
    while document is not None and not line.ended:
        document = line.follow(document, [], 50)
    assert line.ended


def _offset(call: CallRecord, at: datetime) -> float:
    return (at - call.started_at).total_seconds()


def _visits(call: CallRecord) -> dict[str, tuple[float, float, bool]]:
    """Node -> (start, end, sensitive) in seconds into the call (the last visit of each)."""
    visits = {}
    for index, step in enumerate(call.path):
        end = _offset(call, call.path[index + 1].at) if index + 1 < len(call.path) \
            else LENGTH_S
        visits[step.node] = (_offset(call, step.at), end,
                             bool((step.detail or {}).get("sensitive")))
    return visits


def _transcribe(services, recording_id: int, log: Path) -> TranscriptView:
    """Run ``voice worker`` on the test's database and data folder until the job is done."""
    settings = services.settings
    env = {"VOICE_DATA_DIR": str(settings.data_dir), "VOICE_DATABASE_URL": settings.database_url,
           "VOICE_FLOWS_DIR": str(settings.flows_dir), "VOICE_VOSK_MODEL": str(korean_model()),
           "VOICE_LOG_LEVEL": "INFO"}
    transcribe_with_worker(env, services.task_queue.jobs, recording_id, log)
    transcript = services.transcript_store.get(recording_id)
    assert transcript is not None
    return transcript


def test_a_twilio_recording_is_transcribed_tagged_and_searchable(
        twilio_app, line: TwilioLine, clock: Clock, twilio_cloud, tmp_path: Path) -> None:
    services = twilio_app.extensions["voice"]
    _run_call(line, clock)
    [call] = [c for c in services.call_repository.list_calls() if c.id == line.call_sid]
    visits = _visits(call)
    assert visits["main_menu"][:2] == (0, 10) and visits["card"] == (10, 20, True)
    assert visits["expiry"][2] and visits["amount"] == (23, 33, False)

    media, placed = call_wav(tmp_path / "audio")
    sid = services.call_service.store.load(line.call_sid).adapter["recording_sid"]
    twilio_cloud.set_media(sid, media)
    response = line.post(f"/twilio/recording-status?call={line.call_sid}&kind=call", {
        "RecordingSid": sid, "RecordingUrl": twilio_cloud.recording_url(sid),
        "RecordingStatus": "completed", "RecordingChannels": "2",
        "RecordingDuration": str(int(LENGTH_S))})
    assert response.status_code == 204, response.data
    [recording] = services.recording_service.repository.list_for_call(line.call_sid)
    assert (recording.channels, recording.duration_s) == (2, LENGTH_S)
    assert services.task_queue.jobs.get(recording.id).state == "queued"  # the callback did

    transcript = _transcribe(services, recording.id, tmp_path / "worker.log")
    assert transcript.call_id == line.call_sid and transcript.duration_s == LENGTH_S
    segments = transcript.segments
    starts = [s.start_s for s in segments]
    assert starts == sorted(starts)
    assert all(0 <= s.start_s < s.end_s <= LENGTH_S for s in segments)
    sensitive = [(start, end) for start, end, secret in visits.values() if secret]
    assert not [s for s in segments for start, end in sensitive
                if s.start_s < end and s.end_s > start], segments

    def said(channel: int, start: float, end: float) -> list:
        return [s for s in segments if s.channel == channel and s.start_s < end + 0.5
                and s.end_s > start - 0.5]

    (_, *ivr), (_, *menu), (_, *card), (_, *amount) = placed
    assert said(1, *ivr) and all((s.speaker, s.node) == ("ivr", "main_menu")
                                 for s in said(1, *ivr))
    assert said(0, *menu) and all((s.speaker, s.node) == ("caller", "main_menu")
                                  for s in said(0, *menu))
    assert said(0, *amount) and all((s.speaker, s.node) == ("caller", "amount")
                                    for s in said(0, *amount))
    assert not said(0, *card)  # spoken during the card entry: dropped
    assert all(s.phase == "ivr" for s in segments)
    # nothing else was said, so nothing else was transcribed
    assert len(segments) == len(said(1, *ivr) + said(0, *menu) + said(0, *amount))

    for segment, node in ((said(0, *menu)[0], "main_menu"), (said(0, *amount)[0], "amount")):
        word = segment.text.split()[0]
        hits = services.transcript_store.search(word, SearchFilters(speaker="caller"))
        assert any((h.call_id, h.recording_id, h.node, h.speaker) ==
                   (line.call_sid, recording.id, node, "caller") for h in hits), (word, hits)
        assert services.transcript_store.search(word, SearchFilters(flow="main"))
