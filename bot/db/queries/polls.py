"""Queries about the weekly poll: schedules, claims, posts, answers, recaps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.db.models import POLL_COLUMNS, SCHEDULE_COLUMNS, PollSchedule, WeeklyPoll
from bot.db.queries.base import Queries, in_lists


class PollQueries(Queries):
    async def schedule(self, guild_id: int) -> PollSchedule | None:
        row = await self.backend.fetchone(
            f"SELECT {SCHEDULE_COLUMNS} FROM poll_schedule WHERE guild_id = ?", (guild_id,)
        )
        return PollSchedule(*row) if row else None

    async def save_schedule(
        self,
        *,
        guild_id: int,
        channel_id: int,
        weekday: int,
        local_time: str,
        timezone: str,
        size: int,
        locale: str | None,
        next_due: int,
        now: int,
    ) -> None:
        """Set up or change a server's poll: it is enabled, errors are cleared, the next post is due."""
        await self.writer.execute(
            "INSERT INTO poll_schedule (guild_id, channel_id, weekday, local_time, timezone, size, locale,"
            " enabled, next_due, failures, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, 0, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, weekday = excluded.weekday,"
            " local_time = excluded.local_time, timezone = excluded.timezone, size = excluded.size,"
            " locale = excluded.locale, enabled = 1, next_due = excluded.next_due, failures = 0,"
            " last_error = NULL, last_error_at = NULL, updated_at = excluded.updated_at",
            (guild_id, channel_id, weekday, local_time, timezone, size, locale, next_due, now),
        )

    async def disable_schedule(self, guild_id: int, now: int) -> bool:
        changed = await self.writer.execute(
            "UPDATE poll_schedule SET enabled = 0, next_due = NULL, updated_at = ? WHERE guild_id = ? AND enabled = 1",
            (now, guild_id),
        )
        return changed > 0

    async def due_schedules(
        self, now: int, shard_count: int, shard_ids: Sequence[int], limit: int = 100
    ) -> list[PollSchedule]:
        """Servers whose post is due, on this process's shards. An index range over next_due: the work
        grows with the due servers, not with every configured one."""
        marks = ",".join("?" * len(shard_ids))
        rows = await self.backend.fetch(
            f"SELECT {SCHEDULE_COLUMNS} FROM poll_schedule WHERE enabled = 1 AND next_due <= ?"
            f" AND posting_slot IS NULL AND ((guild_id >> 22) % ?) IN ({marks}) ORDER BY next_due LIMIT ?",
            (now, shard_count, *shard_ids, limit),
        )
        return [PollSchedule(*row) for row in rows]

    async def interrupted_posts(self, shard_count: int, shard_ids: Sequence[int]) -> list[PollSchedule]:
        marks = ",".join("?" * len(shard_ids))
        rows = await self.backend.fetch(
            f"SELECT {SCHEDULE_COLUMNS} FROM poll_schedule WHERE posting_slot IS NOT NULL"
            f" AND ((guild_id >> 22) % ?) IN ({marks})",
            (shard_count, *shard_ids),
        )
        return [PollSchedule(*row) for row in rows]

    async def claim_post(self, guild_id: int, slot: int, *, due: int | None = None) -> bool:
        """Mark a post as under way; only one claimant wins, so a post is never made twice.

        A scheduled post passes the due time it was selected for: if another tick or process already
        posted it (and moved next_due on), the claim fails instead of posting the same week again.
        """
        sql = "UPDATE poll_schedule SET posting_slot = ? WHERE guild_id = ? AND posting_slot IS NULL"
        params: tuple[Any, ...] = (slot, guild_id)
        if due is not None:
            sql += " AND next_due = ?"
            params += (due,)
        return await self.writer.execute(sql, params) == 1

    async def release_post(self, guild_id: int, *, error: str | None, retry_at: int | None, now: int) -> None:
        """A post failed (or was found not to have happened): record why and when to try again."""
        if error is None:
            await self.writer.execute(
                "UPDATE poll_schedule SET posting_slot = NULL WHERE guild_id = ?", (guild_id,)
            )
            return
        await self.writer.execute(
            "UPDATE poll_schedule SET posting_slot = NULL, failures = failures + 1, last_error = ?,"
            " last_error_at = ?, next_due = CASE WHEN enabled = 1 THEN CAST(? AS BIGINT) ELSE NULL END WHERE guild_id = ?",
            (error[:300], now, retry_at, guild_id),
        )

    async def note_post_error(self, guild_id: int, *, error: str, now: int) -> None:
        """A post whose outcome is unknown (Discord never answered): keep the claim, show the error."""
        await self.writer.execute(
            "UPDATE poll_schedule SET failures = failures + 1, last_error = ?, last_error_at = ?"
            " WHERE guild_id = ?",
            (error[:300], now, guild_id),
        )

    async def record_poll(
        self,
        *,
        guild_id: int,
        channel_id: int,
        message_id: int,
        posted_at: int,
        closes_at: int,
        answers: Sequence[tuple[int, str]],
        next_due: int | None,
    ) -> None:
        """The poll and its answers, and the schedule moved on, in one transaction."""
        statements: list[tuple[str, tuple[Any, ...]]] = [
            (
                "INSERT INTO weekly_poll (message_id, guild_id, channel_id, posted_at, closes_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (message_id, guild_id, channel_id, posted_at, closes_at),
            ),
            *(
                (
                    "INSERT INTO weekly_poll_answer (message_id, answer_id, title_id) VALUES (?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (message_id, answer_id, title_id),
                )
                for answer_id, title_id in answers
            ),
        ]
        if next_due is not None:
            statements.append(
                (
                    "UPDATE poll_schedule SET posting_slot = NULL, next_due = CASE WHEN enabled = 1 THEN CAST(? AS BIGINT) END,"
                    " last_posted_at = ?, failures = 0, last_error = NULL WHERE guild_id = ?",
                    (next_due, posted_at, guild_id),
                )
            )
        else:
            statements.append(
                (
                    "UPDATE poll_schedule SET posting_slot = NULL, last_posted_at = ? WHERE guild_id = ?",
                    (posted_at, guild_id),
                )
            )
        await self.writer.transaction(statements)

    async def last_used_titles(self, guild_id: int) -> dict[str, int]:
        rows = await self.backend.fetch(
            "SELECT a.title_id, MAX(w.posted_at) FROM weekly_poll w JOIN weekly_poll_answer a"
            " ON a.message_id = w.message_id WHERE w.guild_id = ? GROUP BY a.title_id",
            (guild_id,),
        )
        return {title_id: int(at) for title_id, at in rows}

    async def open_polls(
        self,
        *,
        guild_ids: Sequence[int] | None = None,
        closing_by: int | None = None,
        shards: tuple[int, Sequence[int]] | None = None,
    ) -> list[WeeklyPoll]:
        """Polls not yet recapped, soonest to close first: of these servers, closed by `closing_by`, and
        on these shards (count, ids) — filtered in the database, so a process reads only its own."""
        sql = f"SELECT {POLL_COLUMNS} FROM weekly_poll WHERE closed_at IS NULL"
        params: tuple[Any, ...] = ()
        if closing_by is not None:
            sql += " AND closes_at <= ?"
            params += (closing_by,)
        if shards is not None:
            count, ids = shards
            sql += f" AND ((guild_id >> 22) % ?) IN ({','.join('?' * len(ids))})"
            params += (count, *ids)
        if guild_ids is None:
            return [WeeklyPoll(*row) for row in await self.backend.fetch(sql + " ORDER BY closes_at", params)]
        found: list[WeeklyPoll] = []
        for chunk, marks in in_lists(guild_ids):
            rows = await self.backend.fetch(f"{sql} AND guild_id IN ({marks})", (*params, *chunk))
            found += [WeeklyPoll(*row) for row in rows]
        return sorted(found, key=lambda p: p.closes_at)

    async def open_poll(self, message_id: int) -> WeeklyPoll | None:
        """One of our weekly polls by its message, if it has not been recapped yet."""
        row = await self.backend.fetchone(
            f"SELECT {POLL_COLUMNS} FROM weekly_poll WHERE message_id = ? AND closed_at IS NULL",
            (message_id,),
        )
        return WeeklyPoll(*row) if row else None

    async def latest_poll(self, guild_id: int) -> WeeklyPoll | None:
        row = await self.backend.fetchone(
            f"SELECT {POLL_COLUMNS} FROM weekly_poll WHERE guild_id = ? ORDER BY posted_at DESC LIMIT 1",
            (guild_id,),
        )
        return WeeklyPoll(*row) if row else None

    async def claim_close(self, message_id: int, now: int) -> bool:
        """The recap is made once: whoever sets closed_at first makes it."""
        changed = await self.writer.execute(
            "UPDATE weekly_poll SET closed_at = ? WHERE message_id = ? AND closed_at IS NULL",
            (now, message_id),
        )
        return changed == 1

    async def record_recap(self, message_id: int, recap_message_id: int) -> None:
        await self.writer.execute(
            "UPDATE weekly_poll SET recap_message_id = ? WHERE message_id = ?", (recap_message_id, message_id)
        )

    async def poll_answers(self, message_id: int) -> list[tuple[int, str]]:
        rows = await self.backend.fetch(
            "SELECT answer_id, title_id FROM weekly_poll_answer WHERE message_id = ? ORDER BY answer_id",
            (message_id,),
        )
        return [(int(a), t) for a, t in rows]

    async def poll_counts(self, message_id: int) -> dict[str, int]:
        """Votes per title on one poll, from the recorded poll votes."""
        rows = await self.backend.fetch(
            "SELECT title_id, COUNT(*) FROM vote_source WHERE message_id = ? AND source LIKE 'p:%' GROUP BY title_id",
            (message_id,),
        )
        return {title_id: int(n) for title_id, n in rows}

    async def reschedule(self, guild_id: int, next_due: int) -> None:
        """Move a server's next poll to `next_due` (tests drive the scheduler's clock with it)."""
        await self.writer.execute(
            "UPDATE poll_schedule SET next_due = ? WHERE guild_id = ?", (next_due, guild_id)
        )

    async def all_schedules(self) -> list[PollSchedule]:
        """Every server's schedule: what a scheduler without the due index would read each minute
        (bench/scheduler.py measures the difference)."""
        rows = await self.backend.fetch(f"SELECT {SCHEDULE_COLUMNS} FROM poll_schedule")
        return [PollSchedule(*row) for row in rows]
