"""Choosing what to show a member: every title that fits their options once before any comes back.

A member's history per kind (drama or OST) is when each title was last shown to them, and which titles
they said they cried to. Titles never shown come first, at random, the ones they cried to after the
others; then the ones shown longest ago.
"""

from __future__ import annotations

import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

log = logging.getLogger(__name__)

# A member's cried-to titles are re-read at most this often (their votes arrive through reactions,
# which the picker does not watch); the shown history is kept current as each pick goes out.
HISTORY_TTL = 15 * 60


class HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=HasId)
_RNG = random.Random()  # one generator: seeding a new one per pick cost more than the pick


@dataclass(slots=True)
class History:
    """One member's history for one kind: title -> when last shown (the id of the message that showed
    it, which grows with time), and the titles they cried to."""

    shown: dict[str, int] = field(default_factory=dict)
    cried: frozenset[str] = frozenset()
    loaded_at: float = 0.0


def choose(candidates: Sequence[T], history: History, rng: random.Random | None = None) -> T:
    """Titles never shown first, at random, those the member cried to after the others; then the one
    shown longest ago. So every title that fits comes once before any comes again, and each round
    keeps the order of the first, the ones cried to at its end."""
    if not candidates:
        raise ValueError("no candidates to choose from")
    rng = rng or _RNG
    shown, cried = history.shown, history.cried

    def rank(c: T) -> tuple[int, bool]:
        return (shown.get(c.id, -1), c.id in cried)

    best = min(rank(c) for c in candidates)
    return rng.choice([c for c in candidates if rank(c) == best])


Loader = Callable[[int, str], Awaitable[tuple[dict[str, int], set[str]]]]


class PickHistory:
    """Members' histories, held in memory for the members active lately.

    /cry and /ost read it before answering: one database read when a member is not held (or their
    cried-to titles are older than HISTORY_TTL), none otherwise (bench/command_latency.py). The database
    stays the truth, so the rotation survives restarts; `shown` records each pick as it goes out, before
    its row is committed.
    """

    def __init__(
        self, load: Loader, *, members: int = 20_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._load = load
        self._capacity = members
        self._clock = clock
        self._held: OrderedDict[tuple[int, str], History] = OrderedDict()

    async def get(self, member_id: int, kind: str) -> History:
        key = (member_id, kind)
        held = self._held.get(key)
        if held is None or self._clock() - held.loaded_at > HISTORY_TTL:
            try:
                shown, cried = await self._load(member_id, kind)
            except Exception as exc:
                # The database is unreachable: what is held (or a fresh start) will do until it is back.
                log.warning(
                    "could not read member %s's pick history (%s); picking without it", member_id, exc
                )
                return held if held is not None else History()
            if held is not None:  # keep picks shown meanwhile that the read may not see committed yet
                shown = {**shown, **{t: at for t, at in held.shown.items() if at > shown.get(t, -1)}}
            held = History(dict(shown), frozenset(cried), self._clock())
            self._held[key] = held
            while len(self._held) > self._capacity:
                self._held.popitem(last=False)
        self._held.move_to_end(key)
        return held

    def shown(self, member_id: int, kind: str, title_id: str, message_id: int) -> None:
        held = self._held.get((member_id, kind))
        if held is not None:  # not held: the database has it once the pick is recorded
            held.shown[title_id] = message_id
