"""Errors of the ACD (``voice.acd``); each message says what to fix."""

from __future__ import annotations

from collections.abc import Sequence

from voice.errors import VoiceError


class AcdError(VoiceError):
    """Base class of agent and queue errors."""


class AgentNotFoundError(AcdError):
    """No agent has this name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no agent is called '{name}'; check the name with 'voice agents "
                         "list' or add one with 'voice agents add'")


class NotAnAgentError(AcdError):
    """A user exists but is not an agent."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"user '{name}' is not an agent; agent pages and softphones need a "
                         "user made with 'voice agents add'")


class InvalidAgentError(AcdError, ValueError):
    """Agent fields break the rules; ``problems`` holds one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class InvalidStateError(AcdError, ValueError):
    """A state an agent cannot ask for (or that does not exist)."""


class InvalidQueueError(AcdError, ValueError):
    """Queue settings break the rules; ``problems`` holds one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class NoSuchCallError(AcdError, LookupError):
    """A call that is not (or no longer) in a queue or with this agent."""
