"""Errors of the flow services (files, publishing, versions, flow tests).

Exception tree::

    FlowsError
    ├── FlowValidationError   flows (or the schedules file) are invalid; ``problems`` lists
    │                         every problem as ``file:line: node 'x': field 'y': message``;
    │                         nothing was published
    ├── FlowNotFoundError     no flow (file or published version) has that id
    ├── VersionNotFoundError  the flow has no such published version
    └── FlowTestFileError     a flow test file is malformed
"""

from __future__ import annotations

from collections.abc import Sequence

from voice.errors import VoiceError


class FlowsError(VoiceError):
    """Base of the flow services' errors."""


class FlowValidationError(FlowsError):
    """Invalid flows or schedules; nothing was published."""

    def __init__(self, problems: Sequence[object]) -> None:
        self.problems = [str(p) for p in problems]
        super().__init__("\n".join(self.problems))


class FlowNotFoundError(FlowsError):
    """No flow with that id."""

    def __init__(self, flow_id: str, where: str) -> None:
        self.flow_id = flow_id
        super().__init__(f"no flow '{flow_id}' {where}")


class VersionNotFoundError(FlowsError):
    """The flow exists but has no such version."""

    def __init__(self, flow_id: str, version: int, known: Sequence[int]) -> None:
        listed = ", ".join(str(v) for v in known) or "none"
        super().__init__(f"flow '{flow_id}' has no version {version} (versions: {listed})")


class FlowTestFileError(FlowsError):
    """A flow test file cannot be used; the message says where and why."""
