"""A recorded SIP call transcribed by ``voice worker``: the caller talks Korean at a menu,
then types a PIN in a sensitive gather; the transcript keeps who said what where, nothing of
the PIN entry, and ``voice transcripts search`` finds the call.

The ``talkline`` flow (``tests/fixtures/sip/flows/talkline.yaml``, number 2200) is recorded:
"Hello." and a menu that waits 15 s for the key, during which the SIPp caller streams an
espeak-ng Korean sentence; key 1 (SIP INFO) opens a sensitive PIN gather (the recording
pauses) during which the caller talks again and then types the PIN. The media worker files
the two-channel recording, which queues a transcription job (Huey on SQLite in the site's
data folder); a ``voice worker`` process with the Korean Vosk model runs it. The small model
hears espeak's Korean poorly, so the words are not checked, only where they are and that a
word the transcript holds finds the call.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sip_harness import Caller, SipSite, ended_call, open_site
from test_sip_speech import korean_wav
from tooling import korean_model
from worker_process import transcribe_with_worker, wait_for

from voice.calls.records import CallRecord
from voice.cli import main
from voice.recordings.records import RecordingInfo

NUMBER = "2200"
TALK = "안녕하세요 예약을 확인하고 싶습니다"
SECRET_TALK = "제 비밀번호는 일이삼사 입니다"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SipSite]:
    korean_model()
    yield from open_site(tmp_path, ["talkline"], "sipp", "espeak-ng", "sox")


def _seconds(wav: Path) -> float:
    return float(subprocess.run(["soxi", "-D", str(wav)], capture_output=True, text=True,
                                check=True).stdout)


def _offset(call: CallRecord, at: datetime) -> float:
    """Seconds from the call's start (when the recording starts) to ``at``."""
    return (at - call.started_at).total_seconds()


def _sensitive_spans(call: CallRecord) -> list[tuple[float, float]]:
    """The sensitive visits of the path as (start, end) seconds into the call."""
    spans = []
    for index, step in enumerate(call.path):
        if (step.detail or {}).get("sensitive"):
            assert index + 1 < len(call.path), "the call ended inside the sensitive visit"
            spans.append((_offset(call, step.at), _offset(call, call.path[index + 1].at)))
    return spans


def _recording(site: SipSite, call: CallRecord) -> RecordingInfo:
    """The call's recording, once the media worker filed it."""
    assert site.services is not None and site.services.recording_service is not None
    rows = site.services.recording_service.repository
    return wait_for(lambda: next((r for r in rows.list_for_call(call.id) if r.kind == "call"),
                                 None), 30, "the call recording was not filed",
                    site.workers[0].output)


def _transcribe(site: SipSite, recording_id: int, log: Path) -> None:
    """Run ``voice worker`` (the site's environment plus the Korean model) until the
    recording's transcription job is done."""
    assert site.services is not None and site.services.task_queue is not None
    jobs = site.services.task_queue.jobs
    # filing queues the job right after the recording's row is committed
    wait_for(lambda: jobs.get(recording_id), 10, "filing queued no transcription job",
             site.workers[0].output)
    transcribe_with_worker(site.env | {"VOICE_VOSK_MODEL": str(korean_model())}, jobs,
                           recording_id, log)


def test_a_recorded_call_is_transcribed_without_the_pin_entry_and_found_by_search(
        site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()
    talk = korean_wav(TALK, tmp_path / "audio")
    secret = korean_wav(SECRET_TALK, tmp_path / "audio")
    # talk 4 s into the call (during or after the menu prompt, with a second of slack for
    # "Hello." reaching the menu late on a busy machine), press 1 once done; talk while the
    # PIN prompt plays (the recording is paused), then type the PIN
    steps = [("wait", 4000), ("audio", talk), ("wait", int(_seconds(talk) * 1000) + 1500),
             ("info", "1"), ("wait", 300), ("audio", secret),
             ("wait", int(_seconds(secret) * 1000) + 500), ("info", "4321#"),
             ("expect_bye", 20000)]
    result = Caller(steps, number=NUMBER).call(worker.port, tmp_path / "caller", timeout=60)
    assert result.returncode == 0, result.stdout + worker.output()
    call = ended_call(site)
    assert [(s.node, s.outcome) for s in call.path] == [
        ("hello", "said"), ("menu", "1"), ("pin", "collected"), ("thanks", "said"),
        ("bye", "hangup")], worker.output()
    menu = next(s for s in call.path if s.node == "menu")
    [(secret_start, secret_end)] = _sensitive_spans(call)
    assert _offset(call, menu.at) < secret_start < secret_end  # the PIN visit is marked

    recording = _recording(site, call)
    assert recording.channels == 2 and recording.duration_s > secret_end
    _transcribe(site, recording.id, tmp_path / "worker.log")

    assert site.services is not None and site.services.transcript_store is not None
    transcript = site.services.transcript_store.get(recording.id)
    assert transcript is not None and transcript.call_id == call.id
    segments = transcript.segments
    starts = [s.start_s for s in segments]
    assert starts == sorted(starts)
    assert all(0 <= s.start_s < s.end_s <= recording.duration_s + 0.5 for s in segments)
    # nothing said during the PIN entry was kept, on either channel
    assert not [s for s in segments if s.start_s < secret_end and s.end_s > secret_start]

    caller = [s for s in segments if s.channel == 0]
    assert caller, f"nothing recognised of the caller's speech: {segments}"
    assert all((s.speaker, s.node, s.phase) == ("caller", "menu", "ivr") for s in caller), (
        caller, [(s.node, _offset(call, s.at)) for s in call.path])
    # the caller only spoke at the menu, from 3 s into the call on: no segment before that
    # (two seconds of slack for the recorder starting after the call's start) or after the key
    assert all(s.start_s > 1.0 and s.end_s <= secret_start for s in caller), caller
    # the IVR's English prompts may or may not come out of the Korean model; if they do,
    # they are the IVR's, tagged with a node of the call's path
    nodes = {s.node for s in call.path}
    assert all(s.speaker == "ivr" and s.node in nodes and s.phase == "ivr"
               for s in segments if s.channel == 1)
    assert {s.channel for s in segments} <= {0, 1}

    word = caller[0].text.split()[0]
    found = CliRunner().invoke(main, ["transcripts", "search", word, "--json"], env=site.env)
    assert found.exit_code == 0, found.output
    hits = [hit for hit in json.loads(found.stdout) if hit["call_id"] == call.id]
    assert hits and {hit["recording_id"] for hit in hits} == {recording.id}
    assert any(hit["speaker"] == "caller" and hit["node"] == "menu" and
               word in hit["text"].split() for hit in hits), hits
    listed = CliRunner().invoke(main, ["transcripts", "search", word, "--speaker", "caller"],
                                env=site.env)
    assert listed.exit_code == 0 and f"call {call.id}" in listed.output, listed.output
