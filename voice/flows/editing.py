"""Editing flows from the web: check text, publish it, roll back, keeping file and live agree.

Flows are code: the files in ``VOICE_FLOWS_DIR`` are what ``voice up`` and ``voice flows
publish`` publish. So a version the web makes live is also written to its flow file
(atomically: a temporary file in the same folder, fsync, rename; the text byte for byte, so
comments and formatting stay), and the next start-up publish finds the file equal to the
live version and leaves it alone instead of reverting the admin's change. The order is: check
the text against the whole flows folder (the same ``load_flows`` validation as the CLI, with
the edited text in place of the file) -> refuse if it changed under the editor -> write the
file -> store the version; if storing fails the file is put back, so file and live never
disagree. Publishers on one machine take an exclusive lock on the flows folder.

Conflicts are refused, never resolved silently (``force`` overrides, after the admin saw
them): a version published since the draft was started (by the web, the CLI or ``voice up``),
or a flow file that was changed on disk and never published.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from voice.flows.catalog import FlowCatalog, reachable
from voice.flows.errors import (
    FlowChangedError,
    FlowFileError,
    FlowValidationError,
    InvalidFlowIdError,
)
from voice.flows.repository import FlowVersionInfo, content_sha256
from voice.flows.sources import display_path, flow_files, folder_lock, read_sources
from voice.ivr import Flow, load_flows
from voice.ivr.errors import Problem
from voice.ivr.loader import NAME_RE


@dataclass(frozen=True)
class TextCheck:
    """The edited text checked with its siblings.

    ``problems`` are in the edited flow (publishing is refused while there are any);
    ``elsewhere`` in other files of the folder or the schedules file (shown, not blocking,
    as with ``voice flows publish FLOW``). ``flow`` is None when the text is not usable.
    """

    file: str
    flow: Flow | None
    flows: dict[str, Flow]
    problems: list[Problem] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PublishOutcome:
    """What a publish or rollback did: the live version, whether it is a new one, and the
    version it replaced (read under the folder lock, so the audit names the right one)."""

    info: FlowVersionInfo
    published: bool
    previous: FlowVersionInfo | None


def flow_path(flows_dir: Path, flow_id: str) -> Path:
    """The file of ``flow_id`` in the flows folder (an existing ``.yml`` is kept)."""
    for path in flow_files(flows_dir):
        if path.stem == flow_id:
            return path
    return flows_dir / f"{flow_id}.yaml"


def check_flow_id(flow_id: str) -> str:
    """``flow_id`` when it can name a flow and its file, else InvalidFlowIdError."""
    if not NAME_RE.match(flow_id) or len(flow_id) > 100:
        raise InvalidFlowIdError(flow_id)
    return flow_id


class FlowEditor:
    """Checks, publishes and rolls back flows for the web (see module docstring)."""

    def __init__(self, catalog: FlowCatalog) -> None:
        self.catalog = catalog

    @property
    def flows_dir(self) -> Path:
        """The flows folder the files live in."""
        return self.catalog.flows_dir

    def file_text(self, flow_id: str) -> str | None:
        """The flow file's text, or None when there is no file."""
        try:
            return flow_path(self.flows_dir, flow_id).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise FlowFileError(display_path(flow_path(self.flows_dir, flow_id)),
                                str(exc)) from None

    def check(self, flow_id: str, text: str) -> TextCheck:
        """Validate ``text`` as the file of ``flow_id`` next to the folder's other flows."""
        path = flow_path(self.flows_dir, check_flow_id(flow_id))
        name = display_path(path)
        others = [p for p in flow_files(self.flows_dir) if p.stem != flow_id]
        sources, unreadable = read_sources(others)
        elsewhere = [str(p) for p in unreadable]
        try:
            schedules = self.catalog.schedules()
        except FlowValidationError as exc:
            schedules, elsewhere = {}, [*elsewhere, *exc.problems]
        published = {v.flow_id for v in self.catalog.repository.list_current()}
        flows, found = load_flows({name: text, **sources}, schedules, published)
        mine = sorted((p for p in found if p.file == name), key=Problem.sort_key)
        elsewhere += [str(p) for p in found if p.file != name]
        flow = next((f for f in flows.values() if f.file == name), None)
        return TextCheck(name, flow, flows, mine, elsewhere)

    def runnable(self, flow_id: str, text: str) -> tuple[TextCheck, dict[str, Flow]]:
        """The edited flow and every subflow it reaches (folder first, then published)."""
        checked = self.check(flow_id, text)
        if checked.problems or checked.flow is None:
            raise FlowValidationError(checked.problems or [f"{checked.file}:1: cannot be "
                                                           "loaded"])
        edited, folder = checked.flow, checked.flows

        def flow(fid: str) -> Flow:  # the edited text, else the folder, else published
            if fid == edited.id:
                return edited
            return folder.get(fid) or self.catalog.published(fid).flows[fid]

        return checked, reachable(edited.id, flow)

    def publish(self, flow_id: str, text: str, *, base_version: int | None,
                published_by: str, note: str | None = None,
                force: bool = False) -> PublishOutcome:
        """Publish ``text`` as the next version of ``flow_id`` and write its file.

        Raises FlowValidationError (with every problem) when the text is invalid,
        FlowChangedError when a version was published after ``base_version`` or the file
        holds changes never published (unless ``force``), FlowFileError when the file cannot
        be written. In every one of those cases nothing changed.
        """
        repository = self.catalog.repository
        path = flow_path(self.flows_dir, check_flow_id(flow_id))
        with _folder_lock(self.flows_dir):
            checked = self.check(flow_id, text)
            if checked.problems or checked.flow is None:
                raise FlowValidationError(checked.problems)
            live = repository.current(flow_id)
            on_disk = self.file_text(flow_id)
            if not force:
                _refuse_conflicts(flow_id, text, live, base_version, on_disk,
                                  display_path(path))
            if live is not None and live.sha256 == content_sha256(text):
                if on_disk != text:
                    _write_atomic(path, text)
                return PublishOutcome(live, published=False, previous=live)
            _write_atomic(path, text)
            try:
                info = repository.publish(
                    flow_id=flow_id, name=checked.flow.name, content=text,
                    numbers=checked.flow.numbers, published_by=published_by, note=note)
            except BaseException:
                _restore(path, on_disk)
                raise
            return PublishOutcome(info, published=True, previous=live)

    def rollback(self, flow_id: str, to_version: int, *, published_by: str,
                 force: bool = False) -> PublishOutcome:
        """Publish version ``to_version``'s text again as the newest version, file included.

        Raises FlowChangedError when the file holds changes never published (unless
        ``force``): rolling back would overwrite them. Nothing changes then.
        """
        repository = self.catalog.repository
        path = flow_path(self.flows_dir, check_flow_id(flow_id))
        with _folder_lock(self.flows_dir):
            old = self.catalog.version(flow_id, to_version)
            live = repository.current(flow_id)
            on_disk = self.file_text(flow_id)
            if not force and live is not None and on_disk is not None \
                    and on_disk not in (live.content, old.content):
                raise FlowChangedError(flow_id, f"{display_path(path)} holds changes that were "
                                       "never published (edited on disk); rolling back would "
                                       "overwrite them", live.version)
            _write_atomic(path, old.content)
            try:
                info = self.catalog.rollback(flow_id, to_version, published_by=published_by)
            except BaseException:
                _restore(path, on_disk)
                raise
            return PublishOutcome(info, published=True, previous=live)


def _refuse_conflicts(flow_id: str, text: str, live: FlowVersionInfo | None,
                      base_version: int | None, on_disk: str | None, file: str) -> None:
    if live is not None and base_version != live.version:
        since = "was started" if base_version is None else f"was started from version " \
                                                              f"{base_version}"
        raise FlowChangedError(flow_id, f"version {live.version} was published by "
                               f"{live.published_by} at {live.published_at:%Y-%m-%d %H:%M} "
                               f"UTC after this text {since}", live.version)
    # a flow never published has no live text to compare with: the editor started from its
    # file, so the admin's text replaces it
    if live is not None and on_disk is not None and on_disk not in (text, live.content):
        raise FlowChangedError(flow_id, f"{file} holds changes that were never published "
                               "(edited on disk); publishing would overwrite them",
                               live.version)


def _folder_lock(folder: Path) -> contextlib.AbstractContextManager[None]:
    """An exclusive lock on the flows folder, so one web publish at a time writes files."""
    return folder_lock(folder, lambda reason: FlowFileError(display_path(folder), reason))


def _write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8, byte for byte) so readers see old or new."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise FlowFileError(display_path(path), str(exc)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise FlowFileError(display_path(path), str(exc)) from None
    with contextlib.suppress(OSError):
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _restore(path: Path, previous: str | None) -> None:
    """Put the flow file back as it was before a publish that failed."""
    with contextlib.suppress(FlowFileError, OSError):
        if previous is None:
            path.unlink(missing_ok=True)
        else:
            _write_atomic(path, previous)
