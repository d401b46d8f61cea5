"""The plain parts of catch-up: what it reads next, what the counts on a message say, how fast it asks.

Catch-up after downtime reads the recorded picks' messages a channel-history page at a time (one request
covers up to 100 messages), compares the 😭 counts Discord shows on each with what is stored, and lists
the members of a reaction only where the two differ. These helpers hold no Discord client or database,
so each rule is unit-tested on its own; bot/ballot.py runs the protocol.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from discord.utils import snowflake_time

from bot.db import PresentedMessage
from bot.votes import emoji_key, poll_source, reaction_source

PAGE = 100  # messages per history request, Discord's maximum


def snowflake_seconds(snowflake: int) -> float:
    return snowflake_time(snowflake).timestamp()


class Pacer:
    """At most `rate` requests a second, evenly spread, shared by every catch-up of the process: a long
    catch-up never takes the requests that commands and weekly polls need. A rate of 0 means no limit."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.interval = 1 / rate if rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        now = self._clock()
        at = max(now, self._next)
        self._next = at + self.interval
        if at > now:
            await self._sleep(at - now)


@dataclass
class CatchUpRun:
    """One shard's catch-up, as its progress lines and metrics report it."""

    shard_id: int
    picks: int
    polls: int = 0
    checked: int = 0
    changed: int = 0  # picks and polls whose stored votes changed
    sources: int = 0  # vote sources added or removed
    requests: int = 0
    unread: int = 0  # picks in channels Discord would not let the bot read (their votes stay as they are)
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def line(self, done: bool = False) -> str:
        total = self.picks + self.polls
        requests = f"{self.requests:,} request" + ("" if self.requests == 1 else "s")
        return (
            f"catch-up for shard {self.shard_id} {'done' if done else 'in progress'} after {self.elapsed:.1f}s:"
            f" {self.checked:,}/{total:,} picks and polls checked, {self.changed:,} changed"
            f" ({self.sources:,} vote sources), {requests} to Discord"
            + (f"; {self.unread:,} could not be read" if self.unread else "")
        )


def reaction_counts(message: Mapping, emojis: Iterable[str]) -> dict[str, int] | None:
    """Members per vote source as Discord counts them on a message payload, the bot's own seed reaction
    left out. None when the payload lacks the per-type counts: then every source must be listed."""
    wanted = frozenset(emojis)
    counts: dict[str, int] = {}
    for reaction in message.get("reactions") or ():
        emoji = reaction.get("emoji") or {}
        key = emoji_key(emoji.get("name"), int(emoji["id"]) if emoji.get("id") else None)
        if key not in wanted:
            continue
        details = reaction.get("count_details")
        if details is None:
            return None
        normal = int(details.get("normal", 0)) - (1 if reaction.get("me") else 0)
        burst = int(details.get("burst", 0)) - (1 if reaction.get("me_burst") else 0)
        counts[reaction_source(key, False)] = normal
        counts[reaction_source(key, True)] = burst
    return {source: n for source, n in counts.items() if n > 0}


def answer_counts(message: Mapping) -> dict[str, int] | None:
    """Voters per answer source on a poll payload; None when Discord sent no results ("unknown", not
    "none", in its own words)."""
    results = (message.get("poll") or {}).get("results")
    if results is None:
        return None
    return {
        poll_source(int(a["id"])): int(a["count"]) for a in results.get("answer_counts", []) if a["count"]
    }


def differing(observed: Mapping[str, int], stored: Mapping[str, int]) -> frozenset[str]:
    """The sources whose member counts differ between Discord and the database."""
    return frozenset(s for s in observed.keys() | stored.keys() if observed.get(s, 0) != stored.get(s, 0))


class ChannelWalk:
    """One channel's recorded picks, newest first, read from the newest one not yet covered.

    Each read asks for the history just before (and including) that pick, so every request covers at
    least one pick. Where picks sit close together one page of 100 covers dozens; where the last page
    showed they are far apart (other messages between them), a read of one message is enough."""

    def __init__(self, channel_id: int, picks: Iterable[PresentedMessage]) -> None:
        self.channel_id = channel_id
        self.picks = sorted(picks, key=lambda p: p.message_id, reverse=True)
        self._per_second: float | None = None  # messages a second in this channel, from the last page

    @property
    def newest(self) -> int:
        return self.picks[0].message_id

    def next_limit(self) -> int:
        if len(self.picks) < 2:
            return 1
        if self._per_second is None:
            return PAGE
        reach = PAGE / self._per_second if self._per_second > 0 else float("inf")
        first = snowflake_seconds(self.newest)
        close = sum(1 for p in self.picks[:2] if first - snowflake_seconds(p.message_id) <= reach)
        return PAGE if close >= 2 else 1

    def covered(self, page: list[Mapping], limit: int) -> list[tuple[PresentedMessage, Mapping | None]]:
        """Split off the picks this page covers, each with its message (None: deleted). A page shorter
        than asked reached the channel's first message, so it covers the rest."""
        if len(page) >= limit:
            oldest = min(int(m["id"]) for m in page)
            if len(page) >= 2:
                span = snowflake_seconds(int(page[0]["id"])) - snowflake_seconds(oldest)
                self._per_second = len(page) / span if span > 0 else 0.0
        else:
            oldest = 0
        by_id = {int(m["id"]): m for m in page}
        taken = [p for p in self.picks if p.message_id >= oldest]
        self.picks = self.picks[len(taken) :]
        return [(p, by_id.get(p.message_id)) for p in taken]
