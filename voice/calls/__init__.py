"""The call log: every call (real or simulated), the flow version it ran and its IVR path.

Owns ``calls`` and ``call_events`` through :class:`voice.calls.repository.CallRepository`.
Adapters (SIP, Twilio, the simulator) record calls through it; it never masks or interprets
inputs: the engine masks sensitive input before it gets here.
"""

from __future__ import annotations
