"""Fetching a carrier's recording: the authenticated HTTP client and the streamed download.

Owns the HTTP side of storing a Twilio recording: the client that sends the account's
credentials only to Twilio's origin (:func:`make_download_client`), the media URL asked for
(``.wav``), streaming the answer into a hidden temp file with its SHA-256 (:func:`download`),
and the hints that turn an HTTP status into what to check. Filing the file and its row is
:mod:`voice.recordings.service`'s job.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Generator
from pathlib import Path

import httpx

from voice.recordings.errors import RecordingDownloadError, RecordingSettingsError
from voice.settings import Settings

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
_CHUNK = 64 * 1024
_MEDIA_SUFFIXES = (".wav", ".mp3", ".json")

__all__ = ["DOWNLOAD_TIMEOUT", "compare_figures", "download", "make_download_client",
           "media_url"]


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


def download(http: httpx.Client, url: str, folder: Path) -> tuple[Path, str, int]:
    """Stream ``url`` into a hidden temp file in ``folder``; return it, SHA-256, size.

    Raises :class:`RecordingDownloadError` (no file left behind) unless Twilio answers 200.
    """
    fd, name = tempfile.mkstemp(dir=folder, prefix=".download-", suffix=".part")
    temp = Path(name)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            with http.stream("GET", url) as response:
                if response.status_code != 200:
                    raise RecordingDownloadError(
                        url, f"HTTP {response.status_code}", status=response.status_code,
                        hint=download_hint(response.status_code),
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
            url, f"{type(exc).__name__}: {exc}", hint=download_hint(None)
        ) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp, digest.hexdigest(), size


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


def media_url(recording_url: str) -> str:
    """Twilio's RecordingUrl has no extension; ``.wav`` asks for uncompressed WAV."""
    url = recording_url.strip()
    for suffix in _MEDIA_SUFFIXES:
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url + ".wav"


def compare_figures(sid: str, channels: int | None, duration_s: float | None,
                    file_channels: int, file_duration: float) -> None:
    """Log when Twilio's figures disagree with the file; the file wins."""
    if channels is not None and channels != file_channels:
        log.warning("recording %s: Twilio said %s channels, the file has %s; keeping the file's",
                    sid, channels, file_channels)
    # Twilio reports whole seconds.
    if duration_s is not None and abs(duration_s - file_duration) > 1.5:
        log.warning("recording %s: Twilio said %.1f s, the file lasts %.1f s; keeping the file's",
                    sid, duration_s, file_duration)


def download_hint(status: int | None) -> str:
    """What to check when a download failed with HTTP ``status`` (None: no answer)."""
    if status is None:
        return "check the network access to Twilio (VOICE_TWILIO_API_URL); try again later"
    if status in (401, 403):
        return "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (they must own the recording)"
    if status == 404:
        return "Twilio has no such recording (deleted already, or a wrong RecordingUrl)"
    if status >= 500 or status == 429:
        return "Twilio could not serve it now; try again later"
    return "Twilio refused the download"
