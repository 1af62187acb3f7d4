"""The official Vosk model list and downloading a model from it, checked and unpacked safely.

``list_models`` reads the list at ``VOICE_VOSK_MODELS_URL`` (alphacephei's
``model-list.json``: a JSON array of objects with ``name``, ``lang``, ``lang_text``, ``md5``,
``size``, ``size_text``, ``type``, ``url``, ``version`` and ``obsolete`` as the text
``"true"``/``"false"``). ``fetch_model`` downloads one model's zip into a temporary file next
to its destination while counting its bytes and computing its MD5, refuses it when either
differs from the list, unpacks it into a temporary folder (refusing absolute paths, ``..``
and links), checks that a model folder came out (``check_model_folder``) and renames that
folder into place, so ``<dest_dir>/<name>`` is either a complete model or absent. Nothing of a
failed fetch is left behind. The caller hands in the ``httpx.Client`` (timeouts, proxies).

The catalog's errors (``CatalogError`` and its subclasses) derive from ``SpeechError`` like
the rest of ``voice.speech``; they are defined here, next to the only code that raises them,
until they move into ``voice/speech/errors.py``.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import httpx

from voice.speech.errors import ModelNotFoundError, SpeechError
from voice.speech.models import check_model_folder

#: a model name is also a folder name: no separators, no dot files, no ".."
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_CHUNK = 1 << 20
_PARTIAL_PREFIX = ".partial-"

Progress = Callable[[int, int], None]


class CatalogError(SpeechError):
    """Base class of model list and download errors."""


class ModelListError(CatalogError):
    """The model list could not be fetched or is not in the expected format."""

    def __init__(self, url: str, detail: str) -> None:
        self.url = url
        super().__init__(f"cannot read the Vosk model list at {url}: {detail}; check the "
                         "network, or set VOICE_VOSK_MODELS_URL to a model-list.json "
                         "(default https://alphacephei.com/vosk/models/model-list.json)")


class UnknownModelError(CatalogError):
    """No model of that name is in the list; ``suggestions`` holds close names."""

    def __init__(self, name: str, suggestions: Iterable[str]) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        hint = (f"did you mean {', '.join(self.suggestions)}?" if self.suggestions
                else "see `voice models list` for the names")
        super().__init__(f"there is no model '{name}' in the Vosk model list; {hint}")


class ModelDownloadError(CatalogError):
    """A model could not be downloaded, or its zip was not what the list promised."""

    def __init__(self, name: str, url: str, detail: str) -> None:
        self.name = name
        self.url = url
        super().__init__(f"cannot download model {name} from {url}: {detail}; nothing was "
                         "kept - try again, or download and unpack the zip by hand")


class ModelArchiveError(CatalogError):
    """A downloaded zip is damaged, unsafe to unpack or holds no model folder."""

    def __init__(self, name: str, detail: str) -> None:
        self.name = name
        super().__init__(f"refusing the zip of model {name}: {detail}; nothing was kept - "
                         "the download is damaged or the model list points at a wrong file")


@dataclass(frozen=True)
class ModelEntry:
    """One model of the list: ``size`` in bytes of its zip, ``md5`` of the zip in hex."""

    name: str
    lang: str
    lang_text: str
    md5: str
    size: int
    size_text: str
    type: str
    url: str
    version: str
    obsolete: bool

    def to_dict(self) -> dict[str, Any]:
        """The entry as plain JSON-ready data."""
        return asdict(self)


def list_models(client: httpx.Client, url: str) -> list[ModelEntry]:
    """The models of the list at ``url``, in list order; raises ModelListError."""
    try:
        response = client.get(url)
        response.raise_for_status()
        data = response.json()
    except httpx.HTTPStatusError as exc:
        raise ModelListError(url, f"HTTP {exc.response.status_code}") from None
    except httpx.HTTPError as exc:
        raise ModelListError(url, str(exc) or type(exc).__name__) from None
    except ValueError as exc:
        raise ModelListError(url, f"the answer is not JSON ({exc})") from None
    if not isinstance(data, list):
        raise ModelListError(url, "the answer is not a JSON list of models")
    return [_entry(url, index, item) for index, item in enumerate(data)]


def find_model(entries: Iterable[ModelEntry], name: str) -> ModelEntry:
    """The entry called ``name``; raises UnknownModelError suggesting close names."""
    listed = list(entries)
    for entry in listed:
        if entry.name == name:
            return entry
    names = [entry.name for entry in listed]
    raise UnknownModelError(name, difflib.get_close_matches(name, names, n=3, cutoff=0.6))


def installed_path(entry: ModelEntry, dest_dir: Path) -> Path | None:
    """``dest_dir/<name>`` when a model folder is already there, else None."""
    try:
        return check_model_folder(Path(dest_dir) / _folder_name(entry))
    except ModelNotFoundError:
        return None


def fetch_model(client: httpx.Client, entry: ModelEntry, dest_dir: Path,
                progress: Progress | None = None) -> Path:
    """Download, check and unpack ``entry`` into ``dest_dir/<name>``; return that folder.

    A model already there is returned as it is, without downloading. ``progress(done, total)``
    is called as bytes arrive. Raises ModelDownloadError (network, HTTP, size or MD5
    mismatch) and ModelArchiveError (bad zip, unsafe entries, no model inside); then nothing
    new is left in ``dest_dir``.
    """
    name = _folder_name(entry)
    dest_dir = Path(dest_dir)
    target = dest_dir / name
    existing = installed_path(entry, dest_dir)
    if existing is not None:
        return existing
    if target.exists() or target.is_symlink():
        raise CatalogError(f"{target} exists but is not a Vosk model folder; remove it and "
                           f"fetch {name} again")
    dest_dir.mkdir(parents=True, exist_ok=True)
    handle, zip_name = tempfile.mkstemp(prefix=f"{_PARTIAL_PREFIX}{name}-", suffix=".zip",
                                        dir=dest_dir)
    zip_path = Path(zip_name)
    unpack_dir = Path(tempfile.mkdtemp(prefix=f"{_PARTIAL_PREFIX}{name}-", dir=dest_dir))
    try:
        with os.fdopen(handle, "wb") as out:
            _download(client, entry, out, progress)
        folder = _unpack(entry, zip_path, unpack_dir)
        try:
            folder.rename(target)
        except OSError:
            if installed_path(entry, dest_dir) is None:  # not another fetch that won
                raise
        return check_model_folder(target)
    finally:
        zip_path.unlink(missing_ok=True)
        shutil.rmtree(unpack_dir, ignore_errors=True)


def _entry(url: str, index: int, item: object) -> ModelEntry:
    if not isinstance(item, dict):
        raise ModelListError(url, f"item {index} is not an object")
    try:
        size = int(item.get("size", 0) or 0)
        fields = {key: str(item.get(key, "") or "") for key in
                  ("name", "lang", "lang_text", "md5", "size_text", "type", "url", "version")}
    except (TypeError, ValueError):
        raise ModelListError(url, f"item {index} has a size that is not a number") from None
    if not fields["name"] or not fields["url"]:
        raise ModelListError(url, f"item {index} has no name or no url")
    obsolete = str(item.get("obsolete", "false")).strip().lower() == "true"
    return ModelEntry(size=size, obsolete=obsolete, **fields)


def _folder_name(entry: ModelEntry) -> str:
    if not _SAFE_NAME.match(entry.name) or ".." in entry.name:
        raise ModelArchiveError(entry.name, "the name is not usable as a folder name")
    return entry.name


def _download(client: httpx.Client, entry: ModelEntry, out: Any,
              progress: Progress | None) -> None:
    """Stream the zip into ``out``, checking its size and MD5 against the list."""
    digest = hashlib.md5(usedforsecurity=False)
    done = 0
    try:
        with client.stream("GET", entry.url) as response:
            if response.status_code != 200:
                raise ModelDownloadError(entry.name, entry.url, f"HTTP {response.status_code}")
            for chunk in response.iter_bytes(_CHUNK):
                done += len(chunk)
                if entry.size and done > entry.size:
                    raise ModelDownloadError(entry.name, entry.url, "the server sent more than "
                                             f"the {entry.size} bytes the list gives")
                digest.update(chunk)
                out.write(chunk)
                if progress is not None:
                    progress(done, entry.size)
    except httpx.HTTPError as exc:
        raise ModelDownloadError(entry.name, entry.url, str(exc) or type(exc).__name__) from None
    if entry.size and done != entry.size:
        raise ModelDownloadError(entry.name, entry.url, f"got {done} bytes, the list gives "
                                 f"{entry.size} (the download was cut short)")
    if entry.md5 and digest.hexdigest().lower() != entry.md5.strip().lower():
        raise ModelDownloadError(entry.name, entry.url, f"MD5 {digest.hexdigest()} differs "
                                 f"from the list's {entry.md5}")


def _unpack(entry: ModelEntry, zip_path: Path, into: Path) -> Path:
    """Unpack the zip into ``into`` after checking every entry; the model folder inside."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members = archive.infolist()
            for member in members:
                _check_member(entry.name, member)
            archive.extractall(into)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise ModelArchiveError(entry.name, f"it is not a readable zip ({exc})") from None
    except OSError as exc:
        raise ModelArchiveError(entry.name, f"unpacking failed ({exc})") from None
    inside = [p for p in into.iterdir() if not p.name.startswith("__MACOSX")]
    folder = inside[0] if len(inside) == 1 and inside[0].is_dir() else into
    if folder is into:  # the zip holds the model's files without a top folder
        folder = into / entry.name
        folder.mkdir()
        for item in inside:
            item.rename(folder / item.name)
    with contextlib.suppress(ModelNotFoundError):
        return check_model_folder(folder)
    raise ModelArchiveError(entry.name, "it holds no Vosk model folder (no am/ or conf/)")


def _check_member(name: str, member: zipfile.ZipInfo) -> None:
    """Refuse entries that would land outside the folder or are not plain files/folders."""
    path = member.filename.replace("\\", "/")
    parts = PurePosixPath(path).parts
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path) or ".." in parts:
        raise ModelArchiveError(name, f"entry '{member.filename}' would be written outside "
                                      "the model folder")
    mode = member.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise ModelArchiveError(name, f"entry '{member.filename}' is a symbolic link")
