"""Choosing what to show a member: random within their filters, but not what they saw recently."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, TypeVar

# How many of a member's latest picks are held back before a title may come round again.
RECENT_WINDOW = 8


class HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=HasId)


def choose(candidates: Sequence[T], recent: Sequence[str], rng: random.Random | None = None) -> T:
    """A random candidate not in `recent` (newest first); if all were seen, the one seen longest ago."""
    if not candidates:
        raise ValueError("no candidates to choose from")
    rng = rng or random.Random()
    seen = set(recent)
    fresh = [c for c in candidates if c.id not in seen]
    if fresh:
        return rng.choice(fresh)
    age = {title_id: i for i, title_id in enumerate(recent)}
    return max(candidates, key=lambda c: age[c.id])
