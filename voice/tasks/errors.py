"""Errors of the task queue and its workers; each message says what to fix."""

from __future__ import annotations

from voice.errors import VoiceError


class TasksError(VoiceError):
    """Base class of task queue errors."""


class WorkerSetupError(TasksError):
    """``voice worker`` cannot start (no speech model, queue storage unreachable)."""
