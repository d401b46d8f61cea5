"""Queries about picks: the messages that presented a title, and each member's history."""

from __future__ import annotations

import time
from collections.abc import Sequence

from bot.db.models import PresentedMessage
from bot.db.queries.base import Queries, in_lists


class PickQueries(Queries):
    async def record_presented(
        self,
        *,
        message_id: int,
        guild_id: int,
        channel_id: int,
        title_id: str,
        kind: str,
        requested_by: int,
        created_at: int | None = None,
    ) -> None:
        """Idempotent: the same message recorded twice stays one row. Waits for the commit."""
        await self.writer.execute(
            "INSERT INTO presented_message"
            " (message_id, guild_id, channel_id, title_id, kind, requested_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
            (
                message_id,
                guild_id,
                channel_id,
                title_id,
                kind,
                requested_by,
                int(time.time()) if created_at is None else created_at,
            ),
        )

    async def presented(self, message_id: int) -> PresentedMessage | None:
        row = await self.backend.fetchone(
            "SELECT message_id, guild_id, channel_id, title_id, kind, requested_by, created_at"
            " FROM presented_message WHERE message_id = ?",
            (message_id,),
        )
        return PresentedMessage(*row) if row else None

    async def presented_since(
        self, guild_ids: Sequence[int], since: int, *, quiet_before: int | None = None
    ) -> list[PresentedMessage]:
        """Recorded messages of these servers newer than `since`, newest first (for catch-up). With
        `quiet_before`, those older than it are left out unless they hold a vote: a pick nobody cried
        to for days is not worth a request after every restart."""
        found: list[PresentedMessage] = []
        quiet = ""
        extra: tuple[int, ...] = ()
        if quiet_before is not None and quiet_before > since:
            quiet = (
                " AND (created_at > ? OR EXISTS"
                " (SELECT 1 FROM vote_source s WHERE s.message_id = presented_message.message_id))"
            )
            extra = (quiet_before,)
        for chunk, marks in in_lists(guild_ids):
            rows = await self.backend.fetch(
                "SELECT message_id, guild_id, channel_id, title_id, kind, requested_by, created_at"
                f" FROM presented_message WHERE guild_id IN ({marks}) AND created_at >= ?{quiet}",
                (*chunk, since, *extra),
            )
            found += [PresentedMessage(*row) for row in rows]
        found.sort(key=lambda m: m.message_id, reverse=True)
        return found

    async def pick_history(self, member_id: int, kind: str) -> tuple[dict[str, int], set[str]]:
        """For the picker, in one read: when each title of this kind was last shown to the member (as
        the id of the message that showed it: ids grow with time, finer than seconds), and the titles
        they cried to (in any server)."""
        rows = await self.backend.fetch(
            "SELECT title_id, MAX(message_id), 0 FROM presented_message WHERE requested_by = ? AND kind = ?"
            " GROUP BY title_id UNION ALL SELECT DISTINCT title_id, 0, 1 FROM vote WHERE user_id = ?",
            (member_id, kind, member_id),
        )
        shown = {title_id: int(at) for title_id, at, cried in rows if not cried}
        return shown, {title_id for title_id, _at, cried in rows if cried}
