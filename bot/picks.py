"""Choosing what to show a member: random within their filters, but not what they saw recently."""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

# How many of a member's latest picks are held back before a title may come round again.
RECENT_WINDOW = 8


class HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=HasId)
_RNG = random.Random()  # one generator: seeding a new one per pick cost more than the pick


def choose(candidates: Sequence[T], recent: Sequence[str], rng: random.Random | None = None) -> T:
    """A random candidate not in `recent` (newest first); if all were seen, the one seen longest ago."""
    if not candidates:
        raise ValueError("no candidates to choose from")
    rng = rng or _RNG
    seen = set(recent)
    fresh = [c for c in candidates if c.id not in seen]
    if fresh:
        return rng.choice(fresh)
    age = {title_id: i for i, title_id in enumerate(recent)}
    return max(candidates, key=lambda c: age[c.id])


class RecentPicks:
    """Each member's latest picks per kind, newest first, kept in memory for the members active lately.

    /cry and /ost read it before answering, so it saves a database round trip on the hot path
    (bench/command_latency.py). The database stays the truth: a member not held here is loaded from it,
    and `shown` is called as each pick goes out, so the window is current even before the record of
    the pick is committed.
    """

    def __init__(
        self,
        load: Callable[[int, str, int], Awaitable[list[str]]],
        *,
        window: int = RECENT_WINDOW,
        members: int = 50_000,
    ) -> None:
        self._load = load
        self._window = window
        self._capacity = members
        self._held: OrderedDict[tuple[int, str], list[str]] = OrderedDict()

    async def get(self, member_id: int, kind: str) -> list[str]:
        key = (member_id, kind)
        held = self._held.get(key)
        if held is None:
            held = list(await self._load(member_id, kind, self._window))
            self._store(key, held)
        else:
            self._held.move_to_end(key)
        return list(held)

    def shown(self, member_id: int, kind: str, title_id: str) -> None:
        key = (member_id, kind)
        held = self._held.get(key)
        if held is None:
            return  # not loaded yet: the database has it once the pick is recorded
        self._store(key, [title_id, *(t for t in held if t != title_id)][: self._window])

    def _store(self, key: tuple[int, str], titles: list[str]) -> None:
        self._held[key] = titles
        self._held.move_to_end(key)
        while len(self._held) > self._capacity:
            self._held.popitem(last=False)
