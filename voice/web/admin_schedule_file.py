"""Editing the business-hours file (``VOICE_SCHEDULES_FILE``) from the admin page.

Owns reading the file for display and changing it safely: every change is made on a
ruamel.yaml round-trip copy (comments, quoting and key order survive; only the values
touched change), checked by :func:`voice.flows.sources.read_schedules` -- the very code
``voice flows validate`` and the ``hours`` nodes use -- on the exact bytes about to be
installed, and installed with an atomic rename (a reader never sees half a file). An invalid
edit raises :class:`~voice.web.admin_errors.InvalidScheduleEditError` and leaves the file as
it was. A schedule a flow's ``hours`` node names (in the flows folder or a published version)
cannot be removed. The form carries the SHA-256 of the file it was made from, so an edit
made meanwhile by someone else is refused instead of being overwritten; edits take turns
under a lock on the file's folder (``flock``), across gunicorn's processes, so that check and
the rename cannot interleave with another worker's.

Flows pick the change up without a restart: :meth:`voice.flows.catalog.FlowCatalog.schedules`
reads the file again when its modification time changes, and the new file is given a
modification time later than the old one's even on coarse-clock filesystems.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from voice.flows.catalog import FlowCatalog
from voice.flows.errors import FlowValidationError
from voice.flows.sources import (
    display_path,
    flow_files,
    folder_lock,
    read_schedules,
    read_sources,
)
from voice.ivr import Schedule, parse_flow
from voice.ivr.nodes.hours import HoursNode
from voice.web.admin_errors import (
    InvalidScheduleEditError,
    ScheduleFileChangedError,
    ScheduleFileUnwritableError,
    ScheduleInUseError,
)

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class ScheduleSummary:
    """One schedule as the page shows it."""

    name: str
    timezone: str
    week: list[tuple[str, str]]  # (day name, "08:00-12:00, 13:00-17:00" or "closed")
    holidays: list[tuple[date, str]]
    status_now: str  # open, closed or holiday
    hours_text: str  # the file's hours lines, for the edit form


@dataclass(frozen=True)
class ScheduleFileView:
    """The whole file: its version, the schedules, or the problems that make it unusable."""

    shown_as: str
    version: str
    schedules: list[ScheduleSummary]
    problems: list[str]


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: comments and quoting kept
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def parse_hours_text(text: str) -> list[tuple[str, str]]:
    """The lines of the hours box (``mon-fri: 08:00-18:00``) as (days, hours) pairs.

    Raises InvalidScheduleEditError naming each line that is not ``DAYS: HOURS`` and each
    repeated day key; the hours themselves are checked by the schedules parser."""
    pairs: list[tuple[str, str]] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        days, sep, hours = line.partition(":")
        days, hours = days.strip().lower(), hours.strip().strip("\"'")
        if not sep or not days or not hours or any(ch.isspace() for ch in days):
            problems.append(f"hours line {number} '{line}': write DAYS: HOURS, e.g. "
                            "'mon-fri: 08:00-18:00' or 'sun: closed'")
        elif any(days == seen for seen, _ in pairs):
            problems.append(f"hours line {number}: '{days}' is given twice; keep one line")
        else:
            pairs.append((days, hours))
    if not pairs and not problems:
        problems.append("hours: give at least one line such as 'mon-fri: 08:00-18:00'")
    if problems:
        raise InvalidScheduleEditError(problems)
    return pairs


class ScheduleFileEditor:
    """Reads and changes the schedules file of ``catalog`` (see module docstring)."""

    def __init__(self, catalog: FlowCatalog, clock: Callable[[], datetime]) -> None:
        self.catalog = catalog
        self.path = catalog.schedules_file
        self.clock = clock

    # -- reading ------------------------------------------------------------------------
    def view(self) -> ScheduleFileView:
        """The file as the page shows it (problems instead of schedules when invalid)."""
        shown = display_path(self.path)
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            return ScheduleFileView(shown, "", [], [f"{shown}: cannot read: {exc}"])
        try:
            parsed = read_schedules(self.path)
            document = _yaml().load(text)
        except (FlowValidationError, YAMLError) as exc:
            problems = exc.problems if isinstance(exc, FlowValidationError) else [str(exc)]
            return ScheduleFileView(shown, _sha(text), [], problems)
        now = self.clock()
        specs = {str(key): spec for key, spec in document["schedules"].items()}
        summaries = [self._summary(schedule, specs.get(name), now)
                     for name, schedule in parsed.items()]
        return ScheduleFileView(shown, _sha(text), summaries, [])

    @staticmethod
    def _summary(schedule: Schedule, spec: Any, now: datetime) -> ScheduleSummary:
        week = [(DAY_NAMES[i], ", ".join(f"{a:%H:%M}-{_end(b)}" for a, b in ranges) or "closed")
                for i, ranges in enumerate(schedule.weekly)]
        hours = spec.get("hours") if hasattr(spec, "get") else None
        lines = [f"{key}: {value}" for key, value in (hours or {}).items()]
        return ScheduleSummary(schedule.name, schedule.timezone, week,
                               sorted(schedule.holidays.items()), schedule.status_at(now),
                               "\n".join(lines))

    # -- changing -----------------------------------------------------------------------
    def set_schedule(self, version: str, name: str, timezone: str, hours_text: str, *,
                     new: bool) -> None:
        """Add the schedule ``name`` (``new``) or change its time zone and weekly hours."""
        name = name.strip()
        pairs = parse_hours_text(hours_text)

        def change(schedules: CommentedMap) -> None:
            if new:
                if not name or any(ch.isspace() for ch in name) or len(name) > 100:
                    raise InvalidScheduleEditError(
                        f"schedule name '{name}' must be one word (letters, digits, - or _)")
                if name in schedules:
                    raise InvalidScheduleEditError(
                        f"a schedule called '{name}' exists already; edit it instead")
                spec = CommentedMap()
                spec["timezone"] = timezone.strip()
                spec["hours"] = CommentedMap()
                spec["holidays"] = CommentedSeq()
                spec["holidays"].fa.set_flow_style()
                schedules[name] = spec
            spec = _spec(schedules, name)
            if str(spec.get("timezone", "")) != timezone.strip():
                spec["timezone"] = timezone.strip()
            hours = spec.get("hours")
            if not isinstance(hours, CommentedMap):
                hours = spec["hours"] = CommentedMap()
            existing = {str(key).lower(): key for key in hours}
            wanted = dict(pairs)
            for lowered, key in existing.items():
                if lowered not in wanted:
                    del hours[key]
            for days, value in pairs:
                key = existing.get(days, days)
                if str(hours.get(key, "")) != value:
                    hours[key] = value if value.lower() == "closed" \
                        else DoubleQuotedScalarString(value)

        self._edit(version, change)

    def remove_schedule(self, version: str, name: str) -> None:
        """Remove the schedule ``name``; refused while a flow's hours node names it."""
        users = self.schedule_users().get(name)
        if users:
            raise ScheduleInUseError(name, users)

        def change(schedules: CommentedMap) -> None:
            _spec(schedules, name)
            del schedules[name]

        self._edit(version, change)

    def add_holiday(self, version: str, name: str, day: str, label: str) -> date:
        """Add a holiday (``YYYY-MM-DD``, with a name) to the schedule ``name``."""
        try:
            when = date.fromisoformat(day.strip())
        except ValueError:
            raise InvalidScheduleEditError(
                f"holiday date '{day}' is not a date; use YYYY-MM-DD") from None
        label = " ".join(label.split()) or "holiday"

        def change(schedules: CommentedMap) -> None:
            spec = _spec(schedules, name)
            holidays = spec.get("holidays")
            if not isinstance(holidays, CommentedSeq):
                holidays = spec["holidays"] = CommentedSeq()
            if any(_holiday_date(item) == when for item in holidays):
                raise InvalidScheduleEditError(
                    f"schedule '{name}' already has a holiday on {when.isoformat()}")
            item = CommentedMap()
            item["date"] = when
            item["name"] = label
            item.fa.set_flow_style()
            holidays.append(item)

        self._edit(version, change)
        return when

    def remove_holiday(self, version: str, name: str, day: str) -> None:
        """Remove the holiday on ``day`` from the schedule ``name``."""
        def change(schedules: CommentedMap) -> None:
            holidays = _spec(schedules, name).get("holidays") or []
            index = next((i for i, item in enumerate(holidays)
                          if str(_holiday_date(item)) == day.strip()), None)
            if index is None:
                raise InvalidScheduleEditError(
                    f"schedule '{name}' has no holiday on {day}; reload the page")
            del holidays[index]

        self._edit(version, change)

    def schedule_users(self) -> dict[str, list[str]]:
        """Schedule name -> the flows (files and published versions) whose hours nodes use
        it, as ``flow 'main' (node hours)``."""
        texts = dict(read_sources(flow_files(self.catalog.flows_dir))[0])
        with contextlib.suppress(RuntimeError):  # a catalog without a database has none
            texts |= {f"{info.flow_id}@v{info.version}": info.content
                      for info in self.catalog.repository.list_current()}
        users: dict[str, list[str]] = {}
        for file, text in texts.items():
            flow, _ = parse_flow(text, file)
            for node in (flow.nodes.values() if flow is not None else ()):
                if isinstance(node, HoursNode):
                    label = f"flow '{file}' (node {node.id})"
                    users.setdefault(node.schedule, [])
                    if label not in users[node.schedule]:
                        users[node.schedule].append(label)
        return users

    def _edit(self, version: str, change: Callable[[CommentedMap], None]) -> None:
        """Apply ``change`` to the round-trip document, check it, install it atomically."""
        shown = display_path(self.path)
        with folder_lock(self.path.parent, lambda reason: ScheduleFileUnwritableError(
                f"{shown}: cannot lock its folder: {reason}")):
            try:
                text = self.path.read_text(encoding="utf-8")
                old_stamp = self.path.stat().st_mtime_ns
            except OSError as exc:
                raise ScheduleFileUnwritableError(f"{shown}: cannot read: {exc}") from None
            if version != _sha(text):
                raise ScheduleFileChangedError(shown)
            yaml = _yaml()
            try:
                document = yaml.load(text)
            except YAMLError as exc:
                raise InvalidScheduleEditError(f"{shown}: cannot be edited here: {exc}") \
                    from None
            if not isinstance(document, CommentedMap) \
                    or not isinstance(document.get("schedules"), CommentedMap):
                raise InvalidScheduleEditError(
                    f"{shown}: expected a top-level 'schedules:' mapping; fix the file first")
            change(document["schedules"])
            out = io.StringIO()
            yaml.dump(document, out)
            self._install(out.getvalue(), old_stamp)

    def _install(self, text: str, old_stamp: int) -> None:
        """Check ``text`` with the flow check's schedules reader, then rename it into place."""
        try:
            fd, name = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                        suffix=".tmp")
        except OSError as exc:
            raise ScheduleFileUnwritableError(
                f"cannot write next to {display_path(self.path)}: {exc}") from None
        temp = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                read_schedules(temp)
            except FlowValidationError as exc:
                shown_temp, shown = display_path(temp), display_path(self.path)
                raise InvalidScheduleEditError(
                    [p.replace(shown_temp, shown) for p in exc.problems]) from None
            mode = self.path.stat().st_mode & 0o7777
            os.chmod(temp, mode)
            stamp = max(time.time_ns(), old_stamp + 1_000_000)
            os.utime(temp, ns=(stamp, stamp))
            os.replace(temp, self.path)
        except OSError as exc:
            raise ScheduleFileUnwritableError(
                f"cannot replace {display_path(self.path)}: {exc}") from None
        finally:
            temp.unlink(missing_ok=True)


def _spec(schedules: CommentedMap, name: str) -> CommentedMap:
    spec = schedules.get(name)
    if not isinstance(spec, CommentedMap):
        raise InvalidScheduleEditError(f"there is no schedule '{name}'; reload the page")
    return spec


def _holiday_date(item: Any) -> date | None:
    value = item.get("date") if isinstance(item, CommentedMap) else item
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _end(value: Any) -> str:
    text = f"{value:%H:%M}"
    return "24:00" if text == "23:59" and value.second == 59 else text


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

