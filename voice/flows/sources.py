"""Reading flow files and the schedules file from disk (the I/O the engine must not do).

Problems name files the way the user would type them: relative to the current directory
when the file is below it, absolute otherwise.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import yaml

from voice.flows.errors import FlowValidationError
from voice.ivr import Schedule, ScheduleError, parse_schedules
from voice.ivr.errors import Problem


def display_path(path: Path) -> str:
    """``path`` relative to the current directory if it is below it."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


@contextmanager
def folder_lock(folder: Path, failure: Callable[[str], Exception]) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (``flock``) while its files are rewritten, so the
    web processes and their threads take turns; ``failure(reason)`` is raised when the
    folder cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise failure(str(exc)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def flow_files(flows_dir: Path) -> list[Path]:
    """The flow files of a flows folder (``*.yaml``/``*.yml``, not its tests/ folder)."""
    return sorted(p for p in flows_dir.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def read_sources(paths: Sequence[Path]) -> tuple[dict[str, str], list[Problem]]:
    """Read files as UTF-8 text: (display name -> text, problems for unreadable files)."""
    sources: dict[str, str] = {}
    problems: list[Problem] = []
    for path in paths:
        name = display_path(path)
        try:
            sources[name] = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            problems.append(Problem(name, 0, message="no such file"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(name, 0, message=f"cannot read: {exc}"))
    return sources, problems


def read_schedules(path: Path) -> dict[str, Schedule]:
    """Load the schedules file; FlowValidationError lists every problem in it."""
    name = display_path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FlowValidationError([f"{name}: no such schedules file (set "
                                   "VOICE_SCHEDULES_FILE)"]) from None
    except yaml.YAMLError as exc:
        raise FlowValidationError([f"{name}: YAML syntax error: {exc}"]) from None
    try:
        return parse_schedules(document, name)
    except ScheduleError as exc:
        raise FlowValidationError(exc.problems) from None
