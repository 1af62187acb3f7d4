"""The INVITE gate: refuses new calls with ``503`` before pjsua spends sockets on them.

pjsua creates a call's media transport (two sockets in the select() I/O queue) before the
application's ``onIncomingCall`` can say no, and the queue frees handles only half a second
after they close. A worker that rejected a burst of calls from Python would still run out of
handles and abort. So the worker registers this small PJSIP module (through ``ctypes``; the
``pjsua2`` extension exports the C API) at a priority in front of the transaction layer: each
new INVITE (no To tag) is offered to :class:`~voice.sip.admission.Admission`; a refused one is
answered statelessly with ``503 Service Unavailable`` and ``Retry-After`` and goes no further.
Everything else passes through untouched.

The callback runs on whichever pjsua thread polls the I/O queue; it only parses the packet
text and asks ``Admission`` (thread-safe). It never touches pjsua2 objects.
"""

from __future__ import annotations

import ctypes
import logging
import re

from voice.sip.admission import Admission

log = logging.getLogger(__name__)

# pjsip_module, as declared in pjsip/sip_module.h (stable since pjsip 1.x).
_ON_RX = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


class _PjStr(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_char_p), ("slen", ctypes.c_ssize_t)]


class _PjsipModule(ctypes.Structure):
    _fields_ = [("prev", ctypes.c_void_p), ("next", ctypes.c_void_p), ("name", _PjStr),
                ("id", ctypes.c_int), ("priority", ctypes.c_int),
                ("load", ctypes.c_void_p), ("start", ctypes.c_void_p),
                ("stop", ctypes.c_void_p), ("unload", ctypes.c_void_p),
                ("on_rx_request", _ON_RX), ("on_rx_response", ctypes.c_void_p),
                ("on_tx_request", ctypes.c_void_p), ("on_tx_response", ctypes.c_void_p),
                ("on_tsx_state", ctypes.c_void_p)]


#: in front of the transaction layer (PJSIP_MOD_PRIORITY_TSX_LAYER = 16)
GATE_PRIORITY = 15
#: rdata->pkt_info.packet: after tp_info {pool, transport, tp_data, op_key {pj_ioqueue_op_key_t
#: (32 internal pointers, activesock_data, user_data), rdata}} and pkt_info.timestamp (2 longs)
_PACKET_OFFSET = (3 + 34 + 1) * ctypes.sizeof(ctypes.c_void_p) + 2 * ctypes.sizeof(ctypes.c_long)
_REQUEST_LINE = re.compile(rb"^[A-Z]+ \S+ SIP/2\.0\r?\n")
_CALL_ID = re.compile(rb"^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
_TO = re.compile(rb"^(?:To|t)[ \t]*:(.*)$", re.IGNORECASE | re.MULTILINE)


def new_call_id(packet: bytes) -> str | None:
    """The Call-ID of an initial INVITE (no To tag), or None for anything else."""
    if not packet.startswith(b"INVITE "):
        return None
    head = packet.split(b"\r\n\r\n", 1)[0]
    to = _TO.search(head)
    if to is None or re.search(rb";\s*tag\s*=", to.group(1), re.IGNORECASE):
        return None
    match = _CALL_ID.search(head)
    return match.group(1).decode("latin-1") if match else None


class InviteGate:
    """A PJSIP module answering refused INVITEs with 503 (see module docstring)."""

    def __init__(self, library: ctypes.CDLL, admission: Admission, *,
                 retry_after: int = 5) -> None:
        self._lib = library
        self._admission = admission
        self._retry_after = str(retry_after).encode()
        self._callback = _ON_RX(self._on_rx_request)  # kept alive as long as the module
        self._name = b"mod-voice-gate"
        self._module = _PjsipModule()
        self._module.name = _PjStr(self._name, len(self._name))
        self._module.id = -1
        self._module.priority = GATE_PRIORITY
        self._module.on_rx_request = self._callback
        self._endpt: int | None = None
        self._warned = False
        lib = self._lib
        lib.pjsua_get_pjsip_endpt.restype = ctypes.c_void_p
        lib.pjsip_endpt_register_module.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.pjsip_endpt_unregister_module.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.pjsip_generic_string_hdr_create.restype = ctypes.c_void_p
        lib.pjsip_generic_string_hdr_create.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(_PjStr), ctypes.POINTER(_PjStr)]
        lib.pjsip_endpt_respond_stateless.argtypes = [
            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
            ctypes.c_void_p]

    def install(self) -> None:
        """Register the module with the running pjsua endpoint (call from the pjsua thread)."""
        self._endpt = self._lib.pjsua_get_pjsip_endpt()
        status = self._lib.pjsip_endpt_register_module(self._endpt,
                                                       ctypes.byref(self._module))
        if status != 0:
            raise OSError(f"could not register the INVITE gate with pjsip (status {status})")

    def uninstall(self) -> None:
        """Unregister the module (before ``libDestroy``)."""
        if self._endpt is not None:
            self._lib.pjsip_endpt_unregister_module(self._endpt, ctypes.byref(self._module))
            self._endpt = None

    def _on_rx_request(self, rdata: int) -> int:
        try:
            packet = ctypes.string_at(rdata + _PACKET_OFFSET, 2048).split(b"\0", 1)[0]
            if not _REQUEST_LINE.match(packet):
                self._layout_mismatch()
                return 0
            call_id = new_call_id(packet)
            if call_id is None:
                return 0
            reason = self._admission.offer(call_id)
            if reason is None:
                return 0
            self._refuse(rdata)
            return 1  # consumed: pjsua never sees it
        except Exception:
            log.exception("INVITE gate failed; letting the request through")
            return 0

    def _layout_mismatch(self) -> None:
        if not self._warned:
            self._warned = True
            log.error("INVITE gate: this pjsip build lays out pjsip_rx_data differently; "
                      "bursts of calls are not refused early (pin pjsua2-python 2.15)")

    def _refuse(self, rdata: int) -> None:
        pool = ctypes.c_void_p.from_address(rdata).value  # rdata->tp_info.pool
        name, value = b"Retry-After", self._retry_after
        header = self._lib.pjsip_generic_string_hdr_create(
            pool, ctypes.byref(_PjStr(name, len(name))), ctypes.byref(_PjStr(value, len(value))))
        # A list head for the one header: pj_list prev/next pointing at each other.
        sentinel = (ctypes.c_void_p * 8)()
        head = ctypes.addressof(sentinel)
        sentinel[0] = sentinel[1] = header
        ctypes.c_void_p.from_address(header).value = head        # header->prev
        ctypes.c_void_p.from_address(header + ctypes.sizeof(ctypes.c_void_p)).value = head
        self._lib.pjsip_endpt_respond_stateless(self._endpt, rdata, 503, None, head, None)
