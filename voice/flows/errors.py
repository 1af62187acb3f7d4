"""Errors of the flow services (files, publishing, versions, flow tests).

Exception tree::

    FlowsError
    ├── FlowValidationError   flows (or the schedules file) are invalid; ``problems`` lists
    │                         every problem as ``file:line: node 'x': field 'y': message``;
    │                         nothing was published
    ├── FlowNotFoundError     no flow (file or published version) has that id
    ├── VersionNotFoundError  the flow has no such published version
    ├── FlowTestFileError     a flow test file is malformed
    ├── InvalidFlowIdError    a new flow's id cannot name a flow file
    ├── DraftConflictError    another admin saved the draft since it was opened
    ├── FlowChangedError      the live version or the flow file changed since the draft
    │                         was started; nothing was published
    ├── FlowFileError         the flow file could not be written; nothing was published
    ├── FlowDiffError         a text to compare is not YAML
    └── SimulationInputError  a simulation request (time, lookups, inputs) is malformed
"""

from __future__ import annotations

from collections.abc import Sequence

from voice.errors import VoiceError


class FlowsError(VoiceError):
    """Base of the flow services' errors."""


class FlowValidationError(FlowsError):
    """Invalid flows or schedules; nothing was published."""

    def __init__(self, problems: Sequence[object]) -> None:
        self.located = list(problems)  # as found (ivr Problem objects carry their line)
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


class InvalidFlowIdError(FlowsError):
    """A new flow's id is not usable as an id and a file name."""

    def __init__(self, flow_id: str) -> None:
        self.flow_id = flow_id
        super().__init__(f"'{flow_id}' is not a valid flow id: use a letter first, then "
                         "letters, digits, - and _ (it also names the file <id>.yaml)")


class DraftConflictError(FlowsError):
    """The draft was saved by someone else after the editor loaded it."""

    def __init__(self, flow_id: str, revision: int, saved_by: str, saved_at: str) -> None:
        self.flow_id = flow_id
        self.revision = revision
        self.saved_by = saved_by
        super().__init__(
            f"the draft of flow '{flow_id}' was saved by {saved_by} at {saved_at} (revision "
            f"{revision}) after you opened it; your text was not saved. Copy your changes, "
            "reload the page to see theirs, or save again choosing to overwrite")


class FlowChangedError(FlowsError):
    """Publishing would overwrite a version or a file change the editor did not start from."""

    def __init__(self, flow_id: str, reason: str, live_version: int | None) -> None:
        self.flow_id = flow_id
        self.live_version = live_version
        super().__init__(f"flow '{flow_id}' was not published: {reason}. Nothing was "
                         "changed and the live version keeps serving; compare the versions, "
                         "then publish again choosing to overwrite if your text should win")


class FlowFileError(FlowsError):
    """The flow file in the flows folder could not be written."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        super().__init__(
            f"cannot write the flow file {path}: {problem}. Publishing from the web writes "
            "the file so that 'voice up' keeps serving the same version; make VOICE_FLOWS_DIR "
            "writable by the web process, or edit the file and run 'voice flows publish'. "
            "Nothing was published; the live version keeps serving")


class FlowDiffError(FlowsError):
    """A text given to the diff is not a YAML mapping."""


class SimulationInputError(FlowsError):
    """A simulation request is malformed; the message names the field to fix."""
