"""The flow catalog: flow files on disk and published versions in the database.

It validates files (each in the context of the whole flows folder, so subflows and dialled
numbers are checked against their siblings), publishes valid flows as new versions (an
invalid set publishes nothing, so the live version keeps serving), rolls back by
re-publishing an older version, routes dialled numbers to flows, and pins flows for a call:
``published(flow_id)`` gives the newest versions of the flow and every subflow it reaches,
and ``published(flow_id, versions)`` rebuilds exactly those versions in another process.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from voice.flows.errors import (
    FlowNotFoundError,
    FlowValidationError,
    VersionNotFoundError,
)
from voice.flows.repository import FlowRepository, FlowVersionInfo, content_sha256
from voice.flows.sources import display_path, flow_files, read_schedules, read_sources
from voice.ivr import Flow, Schedule, load_flows, parse_flow
from voice.ivr.errors import Problem
from voice.ivr.nodes.subflow import SubflowNode

if TYPE_CHECKING:
    from voice.compose import Services

CACHE_LIMIT = 256


@dataclass(frozen=True)
class CheckedFiles:
    """Result of checking flow files: the selected flows, all texts, and the problems."""

    flows: dict[str, Flow]
    all_flows: dict[str, Flow]
    sources: dict[str, str]
    problems: list[Problem]


@dataclass(frozen=True)
class PublishReport:
    """What ``publish`` did: new versions, and flows whose content was already live."""

    published: list[FlowVersionInfo] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PinnedFlows:
    """The flows one call runs: ``root`` and its subflows, with their versions."""

    root: str
    flows: dict[str, Flow]
    versions: dict[str, int]
    sha256: dict[str, str]


class FlowCatalog:
    """Flow files and published versions (see module docstring)."""

    def __init__(self, *, flows_dir: Path, schedules_file: Path,
                 repository: FlowRepository | None) -> None:
        self.flows_dir = flows_dir
        self.schedules_file = schedules_file
        self._repository = repository
        self._parsed: dict[tuple[str, str], Flow] = {}
        self._versions: dict[tuple[str, int], FlowVersionInfo] = {}
        self._schedules: tuple[float, dict[str, Schedule]] | None = None

    @property
    def repository(self) -> FlowRepository:
        """The published versions (only catalogs built with a database have them)."""
        if self._repository is None:
            raise RuntimeError("this FlowCatalog was built without a database")
        return self._repository

    # -- files ----------------------------------------------------------------------------
    def schedules(self) -> dict[str, Schedule]:
        """The business-hours schedules (FlowValidationError if the file is invalid).

        Read again only when the file changed, so live calls see an edit without a restart.
        """
        try:
            stamp = self.schedules_file.stat().st_mtime_ns
        except OSError:
            stamp = -1
        if self._schedules is None or self._schedules[0] != stamp:
            self._schedules = (stamp, read_schedules(self.schedules_file))
        return self._schedules[1]

    def check_files(self, paths: Sequence[Path] | None = None,
                    other_flows: Collection[str] = ()) -> CheckedFiles:
        """Validate ``paths`` (default: every flow file) alongside the flows folder.

        A given file replaces the folder's file of the same name, so an edited copy can be
        checked before it is moved in. Only problems in the given files are returned.
        """
        folder = flow_files(self.flows_dir)
        selected = list(paths) if paths else folder
        stems = {p.stem for p in selected}
        everything = [*selected, *(p for p in folder if p.stem not in stems)]
        sources, problems = read_sources(everything)
        flows, found = load_flows(sources, self.schedules(), other_flows)
        names = {display_path(p) for p in selected}
        return CheckedFiles(
            flows={i: f for i, f in flows.items() if f.file in names},
            all_flows=flows, sources=sources,
            problems=sorted((p for p in [*problems, *found] if p.file in names),
                           key=Problem.sort_key),
        )

    def draft(self, flow_id: str) -> PinnedFlows:
        """A flow and its subflows from the files (for simulation and flow tests)."""
        checked = self.check_files()
        if checked.problems:
            raise FlowValidationError(checked.problems)
        if flow_id not in checked.all_flows:
            raise FlowNotFoundError(flow_id, f"in {display_path(self.flows_dir)}")
        flows = reachable(flow_id, checked.all_flows.get)
        return PinnedFlows(flow_id, flows, {},
                           {i: content_sha256(checked.sources[f.file]) for i, f in flows.items()})

    # -- publishing -----------------------------------------------------------------------
    def publish(self, paths: Sequence[Path] | None = None, *, published_by: str,
                note: str | None = None) -> PublishReport:
        """Validate and publish flows; nothing is published if any of them is invalid."""
        published_ids = {v.flow_id for v in self.repository.list_current()}
        checked = self.check_files(paths, other_flows=published_ids)
        if checked.problems:
            raise FlowValidationError(checked.problems)
        report = PublishReport()
        for flow_id in sorted(checked.flows):
            flow = checked.flows[flow_id]
            content = checked.sources[flow.file]
            current = self.repository.current(flow_id)
            if current is not None and current.sha256 == content_sha256(content):
                report.unchanged.append(flow_id)
                continue
            report.published.append(self.repository.publish(
                flow_id=flow_id, name=flow.name, content=content, numbers=flow.numbers,
                published_by=published_by, note=note))
        return report

    def rollback(self, flow_id: str, to_version: int, *, published_by: str) -> FlowVersionInfo:
        """Publish the content of an older version again, as the newest version."""
        old = self.version(flow_id, to_version)
        others = {v.flow_id for v in self.repository.list_current()}
        _, problems = load_flows({f"{flow_id}@v{to_version}": old.content},
                                     self.schedules(), others)
        if problems:
            raise FlowValidationError(problems)
        return self.repository.publish(
            flow_id=flow_id, name=old.name, content=old.content, numbers=old.numbers,
            published_by=published_by, note=f"rollback to version {to_version}")

    # -- serving calls --------------------------------------------------------------------
    def flow_for_number(self, number: str) -> FlowVersionInfo | None:
        """The published flow that answers ``number`` (a dialled number or SIP user)."""
        for info in self.repository.list_current():
            if number in info.numbers:
                return info
        return None

    def served_numbers(self) -> set[str]:
        """Every number (or SIP user) some published flow answers."""
        return {number for info in self.repository.list_current() for number in info.numbers}

    def published(self, flow_id: str, versions: Mapping[str, int] | None = None) -> PinnedFlows:
        """The newest (or the given) versions of a flow and the subflows it reaches."""
        infos: dict[str, FlowVersionInfo] = {}

        def get(fid: str) -> Flow | None:
            pinned = (versions or {}).get(fid)
            info = self.repository.current(fid) if pinned is None else self._version(fid, pinned)
            if info is None:
                return None
            infos[fid] = info
            return self._parse(info)

        if get(flow_id) is None:
            raise FlowNotFoundError(flow_id, "has been published")
        flows = reachable(flow_id, get)
        return PinnedFlows(flow_id, flows, {i: infos[i].version for i in flows},
                           {i: infos[i].sha256 for i in flows})

    def version(self, flow_id: str, version: int) -> FlowVersionInfo:
        """A published version of a flow; FlowNotFoundError when the flow has none,
        VersionNotFoundError (naming the versions there are) when not this one."""
        info = self._version(flow_id, version)
        if info is None:
            known = [v.version for v in self.repository.versions(flow_id)]
            if not known:
                raise FlowNotFoundError(flow_id, "has been published")
            raise VersionNotFoundError(flow_id, version, known)
        return info

    def _version(self, flow_id: str, version: int) -> FlowVersionInfo | None:
        """A published version; they never change, so each is read from the database once."""
        key = (flow_id, version)
        info = self._versions.get(key)
        if info is None:
            info = self.repository.get(flow_id, version)
            if info is not None:
                if len(self._versions) >= CACHE_LIMIT:
                    self._versions.clear()
                self._versions[key] = info
        return info

    def _parse(self, info: FlowVersionInfo) -> Flow:
        key = (info.flow_id, info.sha256)
        flow = self._parsed.get(key)
        if flow is None:
            flow, problems = parse_flow(info.content, f"{info.flow_id}@v{info.version}")
            if flow is None or problems:
                raise FlowValidationError(problems or [f"{info.flow_id}@v{info.version}: "
                                                       "cannot be loaded"])
            if len(self._parsed) >= CACHE_LIMIT:
                self._parsed.clear()
            self._parsed[key] = flow
        return flow


def reachable(root: str, get: Callable[[str], Flow | None]) -> dict[str, Flow]:
    """``root`` and every flow reachable through subflow nodes, looked up with ``get``."""
    flows: dict[str, Flow] = {}
    todo = [root]
    while todo:
        flow_id = todo.pop()
        if flow_id in flows:
            continue
        flow = get(flow_id)
        if flow is None:
            raise FlowNotFoundError(flow_id, "is available to run as a subflow")
        flows[flow_id] = flow
        todo.extend(n.flow for n in flow.nodes.values() if isinstance(n, SubflowNode))
    return flows


def publish_flows(services: Services, paths: Sequence[Path] | None = None, *,
                  published_by: str) -> PublishReport:
    """Publish the flows folder (or ``paths``) with the services of this process."""
    return services.flow_catalog.publish(paths, published_by=published_by)
