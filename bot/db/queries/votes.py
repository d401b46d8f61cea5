"""Queries about votes: vote changes in, tallies, charts, a member's votes, forgetting."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from bot.db.models import VoteChange
from bot.db.queries.base import Queries, in_lists
from bot.periods import PERIODS, bucket

ORPHAN_MAX_AGE = 3600  # seconds a reaction on a not-yet-recorded message waits for it


class VoteQueries(Queries):
    def change_votes(self, change: VoteChange) -> None:
        """Queue a vote change; the writer commits it with its batch."""
        self.writer.submit_vote(change.params())

    async def sources_of(self, message_id: int, prefix: str = "r:") -> set[tuple[int, str]]:
        """The stored (member, source) pairs of a recorded message. (Orphans never belong to one: the
        record trigger turns them into sources.)"""
        rows = await self.backend.fetch(
            "SELECT user_id, source FROM vote_source WHERE message_id = ? AND source LIKE ?",
            (message_id, prefix + "%"),
        )
        return {(user_id, source) for user_id, source in rows}

    async def source_counts(
        self, message_ids: Sequence[int], prefix: str = "r:"
    ) -> dict[int, dict[str, int]]:
        """How many members each stored source of these messages has (catch-up compares them with the
        counts Discord shows on the messages, and lists members only where they differ)."""
        counts: dict[int, dict[str, int]] = {mid: {} for mid in message_ids}
        for chunk, marks in in_lists(message_ids):
            rows = await self.backend.fetch(
                "SELECT message_id, source, COUNT(*) FROM vote_source"
                f" WHERE message_id IN ({marks}) AND source LIKE ? GROUP BY message_id, source",
                (*chunk, prefix + "%"),
            )
            for message_id, source, n in rows:
                counts[message_id][source] = int(n)
        return counts

    async def tallies(self, guild_id: int, title_id: str) -> tuple[int, int]:
        """A title's votes in one server and everywhere, in one read (a pick shows both)."""
        rows = await self.backend.fetch(
            "SELECT guild_id, count FROM tally WHERE title_id = ? AND guild_id IN (?, 0)",
            (title_id, guild_id),
        )
        counts = {g: int(c) for g, c in rows}
        return counts.get(guild_id, 0), counts.get(0, 0)

    async def tally(self, guild_id: int | None, title_id: str) -> int:
        row = await self.backend.fetchone(
            "SELECT count FROM tally WHERE guild_id = ? AND title_id = ?", (guild_id or 0, title_id)
        )
        return int(row[0]) if row else 0

    async def top(
        self, guild_id: int | None, limit: int = 10, *, period: str | None = None, now: int | None = None
    ) -> list[tuple[str, int]]:
        """The chart: (title id, votes), most cried-to first, read from the counters (an index range).

        guild_id None is the global chart across servers; `period` ("week", "month", "year") counts the
        votes first cast in the current one (UTC), from its own counters.
        """
        if period is None:
            rows = await self.backend.fetch(
                "SELECT title_id, count FROM tally WHERE guild_id = ? AND count > 0"
                " ORDER BY count DESC, title_id LIMIT ?",
                (guild_id or 0, limit),
            )
        else:
            code = PERIODS[period]
            rows = await self.backend.fetch(
                "SELECT title_id, count FROM tally_period WHERE guild_id = ? AND period = ? AND bucket = ?"
                " AND count > 0 ORDER BY count DESC, title_id LIMIT ?",
                (guild_id or 0, code, bucket(code, int(time.time()) if now is None else now), limit),
            )
        return [(title_id, int(count)) for title_id, count in rows]

    async def votes_with_time(self, guild_id: int, user_id: int) -> list[tuple[str, int]]:
        """A member's votes here with when each was cast, newest first (/tears me)."""
        rows = await self.backend.fetch(
            "SELECT title_id, created_at FROM vote WHERE guild_id = ? AND user_id = ? ORDER BY created_at DESC, title_id",
            (guild_id, user_id),
        )
        return [(title_id, int(at)) for title_id, at in rows]

    async def votes_of(self, guild_id: int, user_id: int) -> list[str]:
        rows = await self.backend.fetch(
            "SELECT title_id FROM vote WHERE guild_id = ? AND user_id = ? ORDER BY created_at DESC, title_id",
            (guild_id, user_id),
        )
        return [title_id for (title_id,) in rows]

    async def count_votes_of(self, user_id: int, guild_id: int | None) -> int:
        if guild_id is None:
            row = await self.backend.fetchone("SELECT COUNT(*) FROM vote WHERE user_id = ?", (user_id,))
        else:
            row = await self.backend.fetchone(
                "SELECT COUNT(*) FROM vote WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
        return int(row[0]) if row else 0

    async def forget(self, user_id: int, guild_id: int | None, at: int | None = None) -> int:
        """Delete a member's votes in one server (or all); returns how many votes were deleted.

        A marker keeps catch-up from bringing them back from reactions that are still on Discord.
        """
        now = int(time.time()) if at is None else at
        await self.writer.execute(
            "INSERT INTO forget_marker (guild_id, user_id, forgotten_at) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id, user_id) DO UPDATE SET forgotten_at = excluded.forgotten_at",
            (guild_id or 0, user_id, now),
        )
        await self.writer.execute("DELETE FROM orphan_source WHERE user_id = ?", (user_id,))
        if guild_id is None:
            return await self.writer.execute("DELETE FROM vote WHERE user_id = ?", (user_id,))
        return await self.writer.execute(
            "DELETE FROM vote WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )

    async def forgotten_at(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, int]:
        """When each of these members last asked to be forgotten in this server (or everywhere)."""
        wanted = set(user_ids)
        if not wanted:
            return {}
        rows = await self.backend.fetch(
            "SELECT user_id, MAX(forgotten_at) FROM forget_marker WHERE guild_id IN (?, 0) GROUP BY user_id",
            (guild_id,),
        )
        return {user_id: at for user_id, at in rows if user_id in wanted}

    async def prune_orphans(self, now: int | None = None) -> int:
        cutoff = (int(time.time()) if now is None else now) - ORPHAN_MAX_AGE
        return await self.writer.execute("DELETE FROM orphan_source WHERE created_at < ?", (cutoff,))
