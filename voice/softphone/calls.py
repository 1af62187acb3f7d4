"""One call to the agent's softphone, as a pjsua2 ``Call`` that only posts messages.

:class:`AgentCall` carries what the phone tracks about the call (ringing, answered, connected,
held, muted, who ended it) and small helpers that read pjsua2's call info. Its callbacks post
``("state", call, state, status)`` and ``("media", call)`` to the phone's inbox and return;
only the phone's pjsua2 thread (the main thread) acts on them (:mod:`voice.softphone.phone`).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from typing import Any

import pjsua2 as pj

log = logging.getLogger(__name__)

Post = Callable[[tuple[Any, ...]], None]
#: pjsua2 Call objects that could not be destroyed safely: never destroyed
_KEPT_UNTIL_EXIT: list[Any] = []
_ANGLED = re.compile(r"<([^>]*)>")


class AgentCall(pj.Call):
    """An incoming call (see module docstring)."""

    def __init__(self, account: pj.Account, call_id: int, post: Post) -> None:
        super().__init__(account, call_id)
        self.post = post
        self.remote = ""
        self.ringing_at: float | None = None
        self.connected_at: float | None = None
        self.answered = False
        self.connected = False
        self.ended = False
        self.held = False
        self.hold_wanted = False
        self.muted = False
        #: "hangup" or "rejected" once the agent ended the call
        self.local_end: str | None = None

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        try:
            info = self.getInfo()
            self.post(("state", self, info.state, info.lastStatusCode))
        except Exception:
            log.exception("softphone: call state callback failed")

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        try:
            self.post(("media", self))
        except Exception:
            log.exception("softphone: media callback failed")

    def answer_with(self, status: int) -> bool:
        """Answer the INVITE with ``status`` (180, 200, 486...); False if it is gone."""
        param = pj.CallOpParam(True)
        param.statusCode = status
        try:
            self.answer(param)
        except pj.Error as exc:
            log.info("call not answered with %d: %s", status, exc.info())
            return False
        return True

    def remote_uri(self) -> str:
        """The caller's SIP URI (From header, without display name or tag)."""
        with contextlib.suppress(pj.Error):
            return sip_uri(self.getInfo().remoteUri)
        return "unknown"

    def audio_status(self) -> int | None:
        """The pjsua media status of the call's audio stream (None: no audio)."""
        info = self.getInfo()
        media = info.media  # keep the vector alive while iterating it
        for index in range(len(media)):
            item = media[index]
            if item.type == pj.PJMEDIA_TYPE_AUDIO:
                return int(item.status)
        return None

    def active_audio(self) -> pj.AudioMedia | None:
        """The call's audio in the conference bridge while it flows (or is on hold)."""
        info = self.getInfo()
        media = info.media
        for index in range(len(media)):
            item = media[index]
            if item.type == pj.PJMEDIA_TYPE_AUDIO and item.status in (
                    pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD,
                    pj.PJSUA_CALL_MEDIA_LOCAL_HOLD):
                with contextlib.suppress(pj.Error):
                    return self.getAudioMedia(index)
        return None


def sip_uri(text: str) -> str:
    """``"caller" <sip:+1555@h:5060>;tag=x`` -> ``sip:+1555@h:5060``."""
    found = _ANGLED.search(text)
    if found:
        return found.group(1)
    return text.split(";", 1)[0].strip() or "unknown"


def ended_reason(call: AgentCall, status: int) -> str:
    """Why the call ended, for the ENDED line.

    ``hangup`` (the agent hung up), ``rejected`` (the agent declined it while it rang),
    ``remote`` (the other side hung up a connected call), ``cancelled`` (the caller or the
    service stopped ringing: 487), ``failed`` (anything else before connecting).
    """
    if call.local_end is not None:
        return call.local_end
    if call.connected:
        return "remote"
    if status == 487:
        return "cancelled"
    return "failed"


def keep_forever(call: AgentCall) -> None:
    """Never destroy ``call``'s pjsua2 object (its destructor would act on a reused slot,
    or on a library already destroyed)."""
    call.thisown = False
    _KEPT_UNTIL_EXIT.append(call)


def release(call: AgentCall, user_data_of: Callable[[int], int | None]) -> None:
    """Let go of a disconnected call, safely.

    pjsua2's Call destructor hangs up whatever call holds its slot. The slot is freed at
    DISCONNECTED and may already belong to a new call (``user_data_of(slot)``, pjsua's user
    data, is then another object); the old object is then kept undestroyed, as
    :meth:`voice.sip.worker.MediaWorker._release` does. Otherwise dropping the last
    reference destroys it.
    """
    slot = call.getId()
    if slot >= 0 and user_data_of(slot) != int(call.this):
        keep_forever(call)
