"""Pure rules of agent selection: skill requirements and the distribution strategies.

A skill requirement is ``name`` or ``name:level`` (the agent needs at least that level; a bare
name needs level 1). Strategies order the agents able to take a caller:

- ``longest_idle`` (default): the agent idle the longest since their last call;
- ``round_robin``: the agent offered a call the longest ago;
- ``fewest_calls``: the agent who answered the fewest calls today, then longest idle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

STRATEGIES = ("longest_idle", "round_robin", "fewest_calls")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Candidate:
    """An agent who could be offered a call now."""

    id: int
    name: str
    skills: Mapping[str, int]
    idle_since: datetime | None
    last_offered_at: datetime | None
    calls_today: int = 0


def parse_requirement(text: str) -> tuple[str, int]:
    """``"billing:3"`` -> ("billing", 3); ``"billing"`` -> ("billing", 1).

    Raises ValueError naming the problem for an empty name or a level that is not 1-10.
    """
    name, _, level = text.partition(":")
    name = name.strip()
    if not name:
        raise ValueError(f"skill '{text}' has no name; write name or name:level")
    if not level:
        return name, 1
    try:
        value = int(level)
    except ValueError:
        raise ValueError(f"skill '{text}': the level must be a whole number 1-10") from None
    if not 1 <= value <= 10:
        raise ValueError(f"skill '{text}': the level must be 1-10")
    return name, value


def parse_skills(texts: Iterable[str]) -> dict[str, int]:
    """Skills typed as ``name[:level]`` into a mapping (an agent's skills, with levels)."""
    return dict(parse_requirement(text) for text in texts if text.strip())


def qualifies(skills: Mapping[str, int], requirements: Sequence[str]) -> bool:
    """True when ``skills`` meet every requirement (``name`` or ``name:level``)."""
    for requirement in requirements:
        try:
            name, level = parse_requirement(requirement)
        except ValueError:
            return False
        if int(skills.get(name, 0)) < level:
            return False
    return True


def rank(candidates: Iterable[Candidate], strategy: str) -> list[Candidate]:
    """``candidates`` best first for ``strategy`` (ties broken by agent id: stable)."""
    if strategy == "round_robin":
        return sorted(candidates, key=lambda c: (c.last_offered_at or _EPOCH, c.id))
    if strategy == "fewest_calls":
        return sorted(candidates,
                      key=lambda c: (c.calls_today, c.idle_since or _EPOCH, c.id))
    return sorted(candidates, key=lambda c: (c.idle_since or _EPOCH, c.id))
