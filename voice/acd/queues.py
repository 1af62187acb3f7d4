"""ACD queues: their settings in the ``queues`` table, with defaults for unconfigured ones.

A flow may name a queue nobody configured: it then works with the defaults (longest idle,
20 s ring timeout, 30 s wrap-up, 20 s service level). Queues are configured through the admin
API, ``voice queues set`` or a YAML file (``voice queues import``; ``voice up`` imports
``config/queues.yaml`` for queues not yet in the database, so edits made since are kept)::

    queues:
      support:
        skills: [general]
        strategy: longest_idle     # round_robin, fewest_calls
        ring_timeout: 20
        wrap_up: 30
        max_wait: 900              # then the caller moves to `overflow`, if given
        overflow: support_overflow
        service_level: 20
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from voice.acd.errors import InvalidQueueError
from voice.acd.records import QueueConfig
from voice.acd.strategies import STRATEGIES, parse_requirement
from voice.store.models import AgentQueue, QueueSettings

_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
FIELDS = ("description", "skills", "strategy", "ring_timeout", "wrap_up", "max_wait",
          "overflow", "service_level")


def queue_problems(name: str, fields: Mapping[str, Any]) -> list[str]:
    """Every problem with a queue's name and settings, one line each (empty: valid)."""
    problems = []
    if not _NAME.fullmatch(name or ""):
        problems.append(f"queue name '{name}' must be 1-100 letters, digits, '.', '_' or '-'")
    for key in fields:
        if key not in FIELDS:
            problems.append(f"queue '{name}': unknown field '{key}'; known: "
                            f"{', '.join(FIELDS)}")
    strategy = fields.get("strategy")
    if strategy is not None and strategy not in STRATEGIES:
        problems.append(f"queue '{name}': strategy '{strategy}' is unknown; use one of "
                        f"{', '.join(STRATEGIES)}")
    for key, low, high in (("ring_timeout", 5, 300), ("wrap_up", 0, 3600),
                           ("max_wait", 1, 86400), ("service_level", 1, 3600)):
        value = fields.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.append(f"queue '{name}': {key} must be a whole number of seconds "
                            f"{low}-{high}, got {value!r}")
    skills = fields.get("skills")
    if skills is not None:
        if not isinstance(skills, list):
            problems.append(f"queue '{name}': skills must be a list like [billing, spanish:2]")
        else:
            for skill in skills:
                try:
                    parse_requirement(str(skill))
                except ValueError as exc:
                    problems.append(f"queue '{name}': {exc}")
    overflow = fields.get("overflow")
    if overflow is not None and (not _NAME.fullmatch(str(overflow)) or overflow == name):
        problems.append(f"queue '{name}': overflow must name another queue")
    return problems


class QueueRepository:
    """Reads and writes queue settings."""

    def __init__(self, session_factory: sessionmaker[Session],
                 clock: Callable[[], datetime]) -> None:
        self._sessions = session_factory
        self._clock = clock

    def get(self, name: str) -> QueueConfig:
        """The queue's settings, or the defaults when it is not configured."""
        with self._sessions() as session:
            row = session.get(QueueSettings, name)
            return _config(row) if row is not None else QueueConfig(name=name)

    def list(self) -> builtins.list[QueueConfig]:
        """Every configured queue, by name."""
        with self._sessions() as session:
            return [_config(row) for row in
                    session.scalars(select(QueueSettings).order_by(QueueSettings.name))]

    def names(self) -> builtins.list[str]:
        """Every queue there is: the configured ones and those agents answer, by name."""
        with self._sessions() as session:
            configured = set(session.scalars(select(QueueSettings.name)))
            staffed = set(session.scalars(select(AgentQueue.queue).distinct()))
        return sorted(configured | staffed)

    def put(self, name: str, fields: Mapping[str, Any], *, replace: bool = False) -> QueueConfig:
        """Create or change a queue (``replace``: unspecified fields go back to defaults).

        Raises :class:`InvalidQueueError` listing every problem.
        """
        problems = queue_problems(name, fields)
        if problems:
            raise InvalidQueueError(problems)
        with self._sessions.begin() as session:
            row = session.get(QueueSettings, name)
            base = QueueConfig(name=name) if (row is None or replace) else _config(row)
            merged = {key: getattr(base, key) for key in FIELDS}
            merged.update(fields)
            merged["skills"] = [str(s) for s in merged["skills"] or []]
            if row is None:
                row = QueueSettings(name=name, updated_at=self._clock(), **merged)
                session.add(row)
            else:
                for key, value in merged.items():
                    setattr(row, key, value)
                row.updated_at = self._clock()
            session.flush()
            return _config(row)

    def remove(self, name: str) -> bool:
        """Forget a queue's settings (it falls back to defaults); False if not configured."""
        with self._sessions.begin() as session:
            return session.execute(
                delete(QueueSettings).where(QueueSettings.name == name)).rowcount > 0

    def import_file(self, path: Path, *, only_new: bool = False) -> list[str]:
        """Configure the queues of a YAML file (see module docstring); returns their names.

        ``only_new``: leave queues already in the database as they are. Raises
        :class:`InvalidQueueError` (nothing is changed) when any queue is invalid.
        """
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidQueueError([f"{path}: cannot read queues: {exc}"]) from None
        queues = document.get("queues") if isinstance(document, dict) else None
        if not isinstance(queues, dict):
            raise InvalidQueueError([f"{path}: expected a mapping 'queues:' of queue names"])
        problems = []
        for name, fields in queues.items():
            if not isinstance(fields, dict):
                problems.append(f"{path}: queue '{name}' must be a mapping of settings")
                continue
            problems += [f"{path}: {p}" for p in queue_problems(str(name), fields)]
        if problems:
            raise InvalidQueueError(problems)
        existing = {q.name for q in self.list()} if only_new else set()
        done = []
        for name, fields in queues.items():
            if str(name) not in existing:
                self.put(str(name), fields, replace=True)
                done.append(str(name))
        return done


def _config(row: QueueSettings) -> QueueConfig:
    return QueueConfig(name=row.name, skills=list(row.skills or []), strategy=row.strategy,
                       ring_timeout=row.ring_timeout, wrap_up=row.wrap_up,
                       max_wait=row.max_wait, overflow=row.overflow,
                       service_level=row.service_level, description=row.description,
                       configured=True)
