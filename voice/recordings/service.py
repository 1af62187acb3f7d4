"""Storing finished recordings: fetch the carrier's audio once, file it, record it.

Owns the path from "Twilio says recording RE... of call CA... is complete" to a WAV file under
``VOICE_RECORDINGS_DIR/YYYY/MM/DD/`` plus its ``recordings`` row, and the rules that make it
safe: idempotent per ``(source, source_id)`` (Twilio may deliver a callback twice, even
concurrently), no partial files (download to a hidden temp file in the target folder, then
hard-link it into place, which is atomic and never overwrites), and the row describes the file
as stored (size, SHA-256, channels and duration from the WAV header). It also builds the HTTP
client that downloads with the account's credentials (:func:`make_download_client`). It must
not start, pause or resume recordings (``voice.twilio.rest`` does) nor transcribe.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path

import httpx

from voice.recordings.errors import (
    DuplicateRecordingError,
    InvalidRecordingDataError,
    InvalidWavError,
    RecordingCallNotFoundError,
    RecordingDownloadError,
    RecordingSettingsError,
)
from voice.recordings.records import KINDS, RecordingInfo
from voice.recordings.repository import RecordingRepository
from voice.recordings.wavinfo import read_wav_info
from voice.settings import Settings

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
_CHUNK = 64 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MEDIA_SUFFIXES = (".wav", ".mp3", ".json")

__all__ = ["RecordingService", "make_download_client"]


def make_download_client(settings: Settings) -> httpx.Client:
    """An HTTP client that fetches recording media with the Twilio account's credentials.

    The credentials go only to the origin of ``settings.twilio_api_url``: a recording URL on
    any other host (a forged callback, or a redirect to a media CDN) gets no Authorization
    header. Redirects are followed. The caller closes the client.
    """
    missing = settings.missing_twilio_credentials()
    if missing:
        raise RecordingSettingsError(
            f"downloading Twilio recordings needs {' and '.join(missing)}; set them in the "
            "environment (Twilio console: Account > API keys & tokens)"
        )
    auth = _OriginBasicAuth(
        settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url
    )
    return httpx.Client(auth=auth, timeout=DOWNLOAD_TIMEOUT, follow_redirects=True)


class RecordingService:
    """Files finished recordings under ``recordings_dir`` and records them in the database."""

    def __init__(
        self, repository: RecordingRepository, recordings_dir: Path,
        http: httpx.Client | None = None,
    ) -> None:
        self._repository = repository
        self._dir = recordings_dir
        self._http = http

    def close(self) -> None:
        """Close the download client."""
        if self._http is not None:
            self._http.close()

    @property
    def recordings_dir(self) -> Path:
        """The folder every stored ``path`` is relative to."""
        return self._dir

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
        log). A repeated callback returns the stored row and downloads nothing. Raises
        :class:`RecordingDownloadError` (nothing stored, no file left),
        :class:`RecordingCallNotFoundError` or :class:`InvalidRecordingDataError`.
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
        day = (started_at or call_started).astimezone(UTC)
        folder = self._dir / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
        folder.mkdir(parents=True, exist_ok=True)

        if self._http is None:
            raise RecordingDownloadError(recording_url, "no Twilio credentials",
                                         hint="set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        media_url = _media_url(recording_url)
        temp, sha256, size = self._download(media_url, folder)
        try:
            try:
                info = read_wav_info(temp)
            except InvalidWavError as exc:
                raise RecordingDownloadError(
                    media_url, f"the answer is not a WAV file ({exc.detail})",
                    hint="check that the URL is a Twilio RecordingUrl"
                ) from None
            final = self._place(temp, folder, call_id, kind)
        finally:
            temp.unlink(missing_ok=True)
        _compare(recording_sid, channels, duration_s, info.channels, info.duration_s)
        try:
            return self._repository.add(
                call_id=call_id, kind=kind, source="twilio", source_id=recording_sid,
                path=final.relative_to(self._dir).as_posix(), channels=info.channels,
                duration_s=round(info.duration_s, 3), size_bytes=size, sha256=sha256,
                created_at=datetime.now(UTC), flow_id=flow_id, queue=queue, agent=agent,
            )
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

        ``file`` is moved (hard-linked, then removed) into ``YYYY/MM/DD/<call-id>.wav``; a
        repeated ``source_id`` returns the stored row and leaves the stored file alone.
        """
        existing = self._repository.by_source_id("sip", source_id)
        if existing is not None:
            file.unlink(missing_ok=True)
            return existing
        call_started = self._repository.call_started_at(call_id)
        if call_started is None:
            raise RecordingCallNotFoundError(call_id)
        day = call_started.astimezone(UTC)
        folder = self._dir / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
        folder.mkdir(parents=True, exist_ok=True)
        data = file.read_bytes()
        info = read_wav_info(file)
        final = self._place(file, folder, call_id, kind)
        file.unlink(missing_ok=True)
        try:
            return self._repository.add(
                call_id=call_id, kind=kind, source="sip", source_id=source_id,
                path=final.relative_to(self._dir).as_posix(), channels=info.channels,
                duration_s=round(info.duration_s, 3), size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(), created_at=datetime.now(UTC),
                flow_id=flow_id, queue=queue, agent=agent)
        except BaseException:
            final.unlink(missing_ok=True)
            raise

    def _download(self, url: str, folder: Path) -> tuple[Path, str, int]:
        """Stream ``url`` into a hidden temp file in ``folder``; return it, SHA-256, size."""
        fd, name = tempfile.mkstemp(dir=folder, prefix=".download-", suffix=".part")
        temp = Path(name)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                with self._http.stream("GET", url) as response:
                    if response.status_code != 200:
                        raise RecordingDownloadError(
                            url, f"HTTP {response.status_code}", status=response.status_code,
                            hint=_hint(response.status_code),
                        )
                    for chunk in response.iter_bytes(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
        except httpx.HTTPError as exc:
            temp.unlink(missing_ok=True)
            raise RecordingDownloadError(
                url, f"{type(exc).__name__}: {exc}", hint=_hint(None)
            ) from exc
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return temp, digest.hexdigest(), size

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


class _OriginBasicAuth(httpx.Auth):
    """HTTP basic auth sent only to one origin (scheme, host, port)."""

    def __init__(self, username: str, password: str, base_url: str) -> None:
        self._basic = httpx.BasicAuth(username, password)
        url = httpx.URL(base_url)
        self._origin = (url.scheme, url.host, url.port)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the Authorization header when ``request`` goes to the allowed origin."""
        if (request.url.scheme, request.url.host, request.url.port) == self._origin:
            yield from self._basic.auth_flow(request)
        else:
            yield request


def _media_url(recording_url: str) -> str:
    """Twilio's RecordingUrl has no extension; ``.wav`` asks for uncompressed WAV."""
    url = recording_url.strip()
    for suffix in _MEDIA_SUFFIXES:
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url + ".wav"


def _compare(sid: str, channels: int | None, duration_s: float | None,
             file_channels: int, file_duration: float) -> None:
    """Log when Twilio's figures disagree with the file; the file wins."""
    if channels is not None and channels != file_channels:
        log.warning("recording %s: Twilio said %s channels, the file has %s; keeping the file's",
                    sid, channels, file_channels)
    # Twilio reports whole seconds.
    if duration_s is not None and abs(duration_s - file_duration) > 1.5:
        log.warning("recording %s: Twilio said %.1f s, the file lasts %.1f s; keeping the file's",
                    sid, duration_s, file_duration)


def _hint(status: int | None) -> str:
    if status is None:
        return "check the network access to Twilio (VOICE_TWILIO_API_URL); try again later"
    if status in (401, 403):
        return "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (they must own the recording)"
    if status == 404:
        return "Twilio has no such recording (deleted already, or a wrong RecordingUrl)"
    if status >= 500 or status == 429:
        return "Twilio could not serve it now; try again later"
    return "Twilio refused the download"
