"""Storing finished recordings, reading them back, and removing them when they expire.

Owns the path from "Twilio says recording RE... of call CA... is complete" (or "the SIP worker
finished a WAV") to a file under ``VOICE_RECORDINGS_DIR/YYYY/MM/DD/`` plus its ``recordings``
row, and the rules that make it safe: idempotent per ``(source, source_id)`` (Twilio may
deliver a callback twice, even concurrently), no partial files (write a hidden temp file in
the target folder, then hard-link it into place, which is atomic and never overwrites), and
the row describes the audio (size, SHA-256, channels and duration of the clear WAV). With a
master key (``VOICE_RECORDINGS_KEY``) the file on disk is AES-256-GCM encrypted
(:mod:`voice.recordings.crypto`) and :meth:`RecordingService.open_audio` decrypts it; every
row gets ``expires_at`` from :mod:`voice.recordings.retention`, and
:meth:`RecordingService.purge_expired` removes expired files, then their rows (transcripts go
with them). A row's path is only followed when it stays inside the recordings folder. The
download client lives in :mod:`voice.recordings.download`. It must not start, pause or resume
recordings (``voice.twilio.rest`` does) nor transcribe.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from voice.recordings.crypto import RecordingCipher
from voice.recordings.download import compare_figures, download, make_download_client, media_url
from voice.recordings.errors import (
    DuplicateRecordingError,
    InvalidRecordingDataError,
    InvalidWavError,
    RecordingCallNotFoundError,
    RecordingChecksumError,
    RecordingDownloadError,
    RecordingFileMissingError,
    RecordingKeyError,
    UnsafeRecordingPathError,
)
from voice.recordings.records import KINDS, RecordingInfo, is_safe_path
from voice.recordings.repository import RecordingRepository
from voice.recordings.retention import RetentionPolicy
from voice.recordings.wavinfo import read_wav_info

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

__all__ = ["RecordingService", "make_download_client"]


class RecordingService:
    """Files recordings under ``recordings_dir``, reads them back and purges expired ones.

    ``http`` downloads Twilio media (:func:`make_download_client`); ``cipher`` encrypts new
    files and decrypts stored ones (None: new files are stored in clear); ``retention`` sets
    each new row's ``expires_at`` (None: rows never expire); ``clock`` stamps ``created_at``.
    """

    def __init__(
        self, repository: RecordingRepository, recordings_dir: Path,
        http: httpx.Client | None = None, *, cipher: RecordingCipher | None = None,
        retention: RetentionPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._repository = repository
        self._dir = recordings_dir
        self._http = http
        self._cipher = cipher
        self._retention = retention
        self._clock = clock or (lambda: datetime.now(UTC))
        #: told of every newly filed recording (the composition root queues its transcription)
        self.on_filed: Callable[[RecordingInfo], object] | None = None

    def close(self) -> None:
        """Close the download client."""
        if self._http is not None:
            self._http.close()

    def _filed(self, info: RecordingInfo) -> RecordingInfo:
        """Tell ``on_filed`` (a failure there is logged: the recording itself is kept, and
        the task queue's sweep sends any job it did queue)."""
        if self.on_filed is not None:
            try:
                self.on_filed(info)
            except Exception:
                log.exception("recording %d of call %s: could not queue its transcription",
                              info.id, info.call_id)
        return info

    @property
    def recordings_dir(self) -> Path:
        """The folder every stored ``path`` is relative to."""
        return self._dir

    @property
    def repository(self) -> RecordingRepository:
        """The recordings table (find, list, transcripts)."""
        return self._repository

    # -- storing ------------------------------------------------------------------------
    def store_twilio_recording(
        self,
        *,
        call_id: str,
        recording_sid: str,
        recording_url: str,
        kind: str,
        channels: int | None,
        duration_s: float | None,
        flow_id: str | None = None,
        queue: str | None = None,
        agent: str | None = None,
        started_at: datetime | None = None,
    ) -> RecordingInfo:
        """Download Twilio recording ``recording_sid`` as WAV and record it; return the row.

        ``recording_url`` is the callback's ``RecordingUrl`` (``.wav`` is appended);
        ``channels``/``duration_s`` are Twilio's figures, only compared with the file. The
        file goes under the day of ``started_at`` (default: the call's start in the call
        log). ``flow_id`` defaults to the call's flow. A repeated callback returns the stored
        row and downloads nothing. Raises :class:`RecordingDownloadError` (nothing stored, no
        file left), :class:`RecordingCallNotFoundError` or :class:`InvalidRecordingDataError`.
        """
        if kind not in KINDS:
            raise InvalidRecordingDataError(
                f"recording '{recording_sid}': kind '{kind}' is unknown; use one of "
                f"{', '.join(KINDS)}"
            )
        existing = self._repository.by_source_id("twilio", recording_sid)
        if existing is not None:
            log.info("recording %s of call %s is already stored as %s; callback repeated",
                     recording_sid, call_id, existing.path)
            return existing
        if started_at is not None and started_at.utcoffset() is None:
            raise InvalidRecordingDataError(
                f"recording '{recording_sid}': started_at {started_at!r} has no time zone; "
                "pass an aware datetime"
            )
        call_started = self._repository.call_started_at(call_id)
        if call_started is None:
            raise RecordingCallNotFoundError(call_id)
        folder = self._folder(started_at or call_started)

        if self._http is None:
            raise RecordingDownloadError(recording_url, "no Twilio credentials",
                                         hint="set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        url = media_url(recording_url)
        temp, sha256, size = download(self._http, url, folder)
        try:
            try:
                info = read_wav_info(temp)
            except InvalidWavError as exc:
                raise RecordingDownloadError(
                    url, f"the answer is not a WAV file ({exc.detail})",
                    hint="check that the URL is a Twilio RecordingUrl"
                ) from None
            final, wrapped_key = self._seal_and_place(temp, folder, call_id, kind)
        finally:
            temp.unlink(missing_ok=True)
        compare_figures(recording_sid, channels, duration_s, info.channels, info.duration_s)
        try:
            flow_id, created_at, expires_at = self._stamp(call_id, flow_id)
            return self._filed(self._repository.add(
                call_id=call_id, kind=kind, source="twilio", source_id=recording_sid,
                path=final.relative_to(self._dir).as_posix(), channels=info.channels,
                duration_s=round(info.duration_s, 3), size_bytes=size, sha256=sha256,
                created_at=created_at, flow_id=flow_id, queue=queue, agent=agent,
                expires_at=expires_at, wrapped_key=wrapped_key,
            ))
        except DuplicateRecordingError:
            # A concurrent delivery of the same callback stored it first; keep its file.
            final.unlink(missing_ok=True)
            stored = self._repository.by_source_id("twilio", recording_sid)
            if stored is None:  # pragma: no cover - rows are never deleted concurrently
                raise
            return stored
        except BaseException:
            final.unlink(missing_ok=True)
            raise

    def store_local_recording(
        self, *, call_id: str, file: Path, kind: str, source_id: str,
        flow_id: str | None = None, queue: str | None = None, agent: str | None = None,
    ) -> RecordingInfo:
        """File a WAV recorded on this machine (SIP worker) under the call's day; return the row.

        ``file`` is moved (hard-linked, or encrypted, then removed) into
        ``YYYY/MM/DD/<call-id>.wav``; a repeated ``source_id`` returns the stored row and
        leaves the stored file alone.
        """
        existing = self._repository.by_source_id("sip", source_id)
        if existing is not None:
            file.unlink(missing_ok=True)
            return existing
        call_started = self._repository.call_started_at(call_id)
        if call_started is None:
            raise RecordingCallNotFoundError(call_id)
        folder = self._folder(call_started)
        data = file.read_bytes()
        info = read_wav_info(file)
        final, wrapped_key = self._seal_and_place(file, folder, call_id, kind)
        file.unlink(missing_ok=True)
        try:
            flow_id, created_at, expires_at = self._stamp(call_id, flow_id)
            return self._filed(self._repository.add(
                call_id=call_id, kind=kind, source="sip", source_id=source_id,
                path=final.relative_to(self._dir).as_posix(), channels=info.channels,
                duration_s=round(info.duration_s, 3), size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(), created_at=created_at,
                flow_id=flow_id, queue=queue, agent=agent, expires_at=expires_at,
                wrapped_key=wrapped_key))
        except BaseException:
            final.unlink(missing_ok=True)
            raise

    # -- reading ------------------------------------------------------------------------
    def file_of(self, recording: RecordingInfo, *, must_exist: bool = True) -> Path:
        """The recording's file, checked to lie inside the recordings folder.

        Raises :class:`UnsafeRecordingPathError` for a path that is absolute, has ``..`` or
        resolves (through symlinks) outside the folder, and, with ``must_exist``,
        :class:`RecordingFileMissingError` when there is no such file.
        """
        if not is_safe_path(recording.path):
            raise UnsafeRecordingPathError(recording.id, recording.path)
        root = self._dir.resolve()
        file = recording.file_in(root).resolve()
        if not file.is_relative_to(root) or file == root:
            raise UnsafeRecordingPathError(recording.id, recording.path)
        if must_exist and not file.is_file():
            raise RecordingFileMissingError(recording.id, str(file))
        return file

    def open_audio(self, recording: RecordingInfo) -> bytes:
        """The recording's clear WAV bytes, decrypted when it is stored encrypted.

        Raises the errors of :meth:`file_of`, :class:`RecordingKeyError` when the file is
        encrypted and no or another master key is set, and
        :class:`~voice.recordings.errors.RecordingTamperedError` for a changed file.
        """
        file = self.file_of(recording)
        wrapped_key = self._repository.wrapped_key(recording.id) if recording.encrypted \
            else None
        if wrapped_key is None:
            return file.read_bytes()
        if self._cipher is None:
            raise RecordingKeyError(
                f"recording {recording.id} is stored encrypted, but VOICE_RECORDINGS_KEY is "
                "not set; set it to the master key in use when it was stored"
            )
        return self._cipher.decrypt(file, wrapped_key, recording.id)

    def export_audio(self, recording: RecordingInfo, target: Path) -> Path:
        """Write the clear WAV to ``target`` after checking its SHA-256 against the row.

        Nothing is written when the check fails (:class:`RecordingChecksumError`).
        """
        data = self.open_audio(recording)
        actual = hashlib.sha256(data).hexdigest()
        if actual != recording.sha256:
            raise RecordingChecksumError(recording.id, recording.sha256, actual)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-",
                                    suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(name, target)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return target

    # -- retention ----------------------------------------------------------------------
    def expired(self, now: datetime) -> list[RecordingInfo]:
        """The recordings :meth:`purge_expired` would remove at ``now``."""
        return self._repository.expired(now)

    def purge_expired(self, now: datetime) -> list[RecordingInfo]:
        """Delete the files, then the rows, of recordings expired at ``now``; return them.

        A row goes with its transcript and transcription job. A file that cannot be deleted
        keeps its row (logged; the next purge tries again); a file already gone, or a path
        outside the recordings folder (never touched), does not keep it.
        """
        removed = []
        for recording in self._repository.expired(now):
            try:
                file: Path | None = self.file_of(recording, must_exist=False)
            except UnsafeRecordingPathError:
                log.warning("recording %s of call %s: path %r is outside the recordings "
                            "folder; the row is removed, no file is touched", recording.id,
                            recording.call_id, recording.path)
                file = None
            if file is not None:
                try:
                    file.unlink(missing_ok=True)
                except OSError as exc:
                    log.error("recording %s of call %s: cannot delete %s (%s); kept until "
                              "the next purge", recording.id, recording.call_id,
                              recording.path, exc)
                    continue
            if self._repository.delete(recording.id):
                age = (now - recording.created_at).total_seconds() / 86400
                log.info("purged recording %s of call %s: %s, %.1f days old", recording.id,
                         recording.call_id, recording.path, age)
                removed.append(recording)
        return removed

    # -- helpers ------------------------------------------------------------------------
    def _folder(self, day: datetime) -> Path:
        """The day's folder (UTC), created if missing."""
        day = day.astimezone(UTC)
        folder = self._dir / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _stamp(self, call_id: str,
               flow_id: str | None) -> tuple[str | None, datetime, datetime | None]:
        """A new row's flow (default: the call's), ``created_at`` (now) and ``expires_at``.

        The call's pinned flow version decides the retention, with the queue nodes its path
        visited; another flow named by the caller is taken at its current version.
        """
        created_at = self._clock()
        call_flow = self._repository.call_flow(call_id)
        version = None
        if call_flow is not None and flow_id in (None, call_flow[0]):
            flow_id, version = call_flow
        expires_at = None
        if self._retention is not None:
            visited = self._repository.queue_nodes(call_id) if version is not None else []
            expires_at = self._retention.expires_at(created_at, flow_id, version, visited)
        return flow_id, created_at, expires_at

    def _seal_and_place(self, clear: Path, folder: Path, call_id: str,
                        kind: str) -> tuple[Path, str | None]:
        """File ``clear`` under the call's next free name, encrypted when there is a key."""
        if self._cipher is None:
            return self._place(clear, folder, call_id, kind), None
        fd, name = tempfile.mkstemp(dir=folder, prefix=".seal-", suffix=".part")
        os.close(fd)
        sealed = Path(name)
        try:
            wrapped_key = self._cipher.encrypt_file(clear, sealed)
            return self._place(sealed, folder, call_id, kind), wrapped_key
        finally:
            sealed.unlink(missing_ok=True)

    def _place(self, temp: Path, folder: Path, call_id: str, kind: str) -> Path:
        """Hard-link ``temp`` to the first free name for this call; return that path.

        ``os.link`` fails instead of overwriting, so two concurrent deliveries cannot
        clobber each other's file; the loser's row insert then fails as a duplicate.
        """
        base = _UNSAFE.sub("_", call_id).lstrip(".")[:150] or "call"
        if kind == "voicemail":
            first = 1 + sum(r.kind == "voicemail" for r in self._repository.list_for_call(call_id))
            names = (f"{base}-voicemail-{n}.wav" for n in range(first, first + 1000))
        else:
            names = (f"{base}.wav" if n == 1 else f"{base}-{n}.wav" for n in range(1, 1001))
        for name in names:
            target = folder / name
            with contextlib.suppress(FileExistsError):
                os.link(temp, target)
                return target
        raise InvalidRecordingDataError(  # pragma: no cover - a thousand files of one call
            f"call '{call_id}': no free file name in {folder}; clean up that folder"
        )
