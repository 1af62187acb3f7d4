"""The node base class and the registry that maps ``type:`` to node classes.

A node type is one small class: ``parse`` reads its fields through a ``NodeReader``,
``enter`` runs when the call reaches it, ``on_event`` handles the events its wait allows,
``on_hangup`` names the outcome if the caller hangs up meanwhile. Classes register themselves
with ``@register("type")``; the loader builds nodes through ``NODE_TYPES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from voice.ivr.errors import IvrProtocolError
from voice.ivr.events import Event
from voice.ivr.model import NodeReader
from voice.ivr.turn import Turn

NODE_TYPES: dict[str, type[Node]] = {}

N = TypeVar("N", bound="type[Node]")


def register(type_name: str) -> Callable[[N], N]:
    """Class decorator: make a node class available as ``type: <type_name>``."""

    def decorate(cls: N) -> N:
        cls.type_name = type_name
        NODE_TYPES[type_name] = cls
        return cls

    return decorate


@dataclass(frozen=True, kw_only=True)
class Node:
    """Base of every node type: ``id`` and the line it starts on."""

    type_name: ClassVar[str] = ""
    #: True when the node may end the call or hand it off with no ``next`` (hangup...)
    terminal: ClassVar[bool] = False

    id: str
    line: int

    @classmethod
    def parse(cls, r: NodeReader) -> Node:
        """Read the node's fields (problems go to the reader)."""
        raise NotImplementedError

    def waits_for_caller(self) -> bool:
        """True when visiting this node always waits for the caller (breaks busy loops)."""
        return False

    def enter(self, t: Turn) -> None:
        """The call reached this node."""
        raise NotImplementedError

    def on_event(self, t: Turn, event: Event) -> None:
        """An event the node's wait allows (the engine checked legality)."""
        raise IvrProtocolError(f"node '{self.id}' does not take {type(event).__name__}")

    def on_hangup(self, t: Turn) -> str:
        """The caller hung up during this node; return the outcome for the path."""
        return "hangup"
