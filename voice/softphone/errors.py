"""Errors of the agent softphone, each with a message that says what to fix.

The ``voice softphone`` command catches :class:`SoftphoneError`, prints the message and exits
with status 1; nothing here should end in a traceback for a problem the agent can fix::

    VoiceError
    +-- SoftphoneError
        +-- ServerUnreachableError    the service's address does not answer
        +-- LoginRejectedError        401: wrong username or password
        +-- NotAnAgentError           403/404: the user is not an agent
        +-- ServiceRequestError       any other refusal of the service API
        +-- SipStartError             the SIP endpoint could not start (port in use...)
        +-- SoundDeviceError          no headset and no --null-audio
"""

from __future__ import annotations

from voice.errors import VoiceError


class SoftphoneError(VoiceError):
    """Base class of the softphone's expected failures."""


class ServerUnreachableError(SoftphoneError):
    """The service at ``--server`` could not be reached."""

    def __init__(self, server: str, detail: str) -> None:
        super().__init__(
            f"cannot reach the voice service at {server} ({detail}); check --server and that "
            "'voice web' (or 'voice up') is running there")
        self.server = server


class LoginRejectedError(SoftphoneError):
    """The service answered 401: the username or password is wrong (or the user disabled)."""

    def __init__(self, server: str, user: str) -> None:
        super().__init__(
            f"the voice service at {server} rejected the login of '{user}': the username or "
            "password is wrong, or the user is disabled; check --user and --password (or "
            "VOICE_AGENT_PASSWORD), or ask an admin ('voice users list')")
        self.user = user


class NotAnAgentError(SoftphoneError):
    """The login is fine, but the user is not an agent (403 or 404 from ``/api/agents/me``)."""

    def __init__(self, user: str, detail: str) -> None:
        super().__init__(
            f"user '{user}' may not use the softphone: {detail}; log in as an agent (an admin "
            "makes one with 'voice agents add NAME --queues ...')")
        self.user = user


class ServiceRequestError(SoftphoneError):
    """The service refused a request for another reason (its own message is included)."""

    def __init__(self, what: str, status: int, detail: str) -> None:
        super().__init__(f"{what} failed: the service answered {status}: {detail}")
        self.status = status


class SipStartError(SoftphoneError):
    """The SIP endpoint could not start (address not local, port in use...)."""

    def __init__(self, host: str, port: int, detail: str) -> None:
        where = f"{host}:{port}" if port else f"{host} (any free port)"
        super().__init__(
            f"cannot listen for SIP on udp:{where} ({detail}); pick another --sip-port "
            "(0 picks a free one) or a --host address of this machine")


class SoundDeviceError(SoftphoneError):
    """No sound device to use as the agent's headset."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"no usable sound device ({detail}); plug in a headset, or start with "
            "--null-audio to take calls without audio (tests, demos)")
