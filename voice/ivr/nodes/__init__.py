"""IVR node types, one module each, registered by their ``type:`` name.

Importing this package registers every node type in ``NODE_TYPES``.
"""

from __future__ import annotations

from voice.ivr.nodes import (  # noqa: F401  (imported to register)
    authenticate,
    branch,
    gather,
    hangup,
    hours,
    lookup,
    menu,
    queue,
    record,
    return_,
    say,
    set,
    subflow,
    transfer,
)
from voice.ivr.nodes.base import NODE_TYPES, Node, register

__all__ = ["NODE_TYPES", "Node", "register"]
