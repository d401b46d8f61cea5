"""Members' suggestions and their review. Limits are part of the insert, so two forms submitted at
once cannot both slip past them."""

from __future__ import annotations

import time

from bot.db.models import SUGGESTION_COLUMNS, Suggestion
from bot.db.queries.base import Queries

DAY = 86_400


class SuggestionQueries(Queries):
    async def add_suggestion(
        self, suggestion: Suggestion, *, per_member_per_day: int, max_pending: int
    ) -> bool:
        """Store a new pending suggestion unless the member's daily limit or the server's queue is
        full (then nothing is written and False comes back)."""
        s = suggestion
        written = await self.writer.execute(
            f"INSERT INTO suggestion ({SUGGESTION_COLUMNS})"
            " SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT),"
            " CAST(? AS TEXT), 'pending', '', CAST(? AS BIGINT), NULL, NULL"
            " WHERE (SELECT COUNT(*) FROM suggestion WHERE guild_id = ? AND suggested_by = ? AND created_at > ?) < ?"
            " AND (SELECT COUNT(*) FROM suggestion WHERE guild_id = ? AND state = 'pending') < ?",
            (
                s.id, s.guild_id, s.kind, s.fields, s.suggested_by, s.suggested_name, s.created_at,
                s.guild_id, s.suggested_by, s.created_at - DAY, per_member_per_day,
                s.guild_id, max_pending,
            ),
        )  # fmt: skip
        return written == 1

    async def suggestions_today(self, guild_id: int, user_id: int, now: int) -> int:
        row = await self.backend.fetchone(
            "SELECT COUNT(*) FROM suggestion WHERE guild_id = ? AND suggested_by = ? AND created_at > ?",
            (guild_id, user_id, now - DAY),
        )
        return int(row[0]) if row else 0

    async def suggestion(self, guild_id: int, suggestion_id: int) -> Suggestion | None:
        row = await self.backend.fetchone(
            f"SELECT {SUGGESTION_COLUMNS} FROM suggestion WHERE guild_id = ? AND id = ?",
            (guild_id, suggestion_id),
        )
        return Suggestion(*row) if row else None

    async def suggestions(
        self, guild_id: int, states: tuple[str, ...], *, member: int | None = None, limit: int = 100
    ) -> list[Suggestion]:
        """A server's suggestions in these states, oldest first (a queue is reviewed in order)."""
        marks = ", ".join("?" for _ in states)
        where = f"guild_id = ? AND state IN ({marks})" + (" AND suggested_by = ?" if member else "")
        params = (guild_id, *states, *((member,) if member else ()), limit)
        rows = await self.backend.fetch(
            f"SELECT {SUGGESTION_COLUMNS} FROM suggestion WHERE {where} ORDER BY id LIMIT ?", params
        )
        return [Suggestion(*row) for row in rows]

    async def approved_suggestions(self) -> list[Suggestion]:
        """Every server's approved entries, loaded once at start into their catalogs."""
        rows = await self.backend.fetch(
            f"SELECT {SUGGESTION_COLUMNS} FROM suggestion WHERE state = 'approved' ORDER BY id"
        )
        return [Suggestion(*row) for row in rows]

    async def review_suggestion(
        self,
        guild_id: int,
        suggestion_id: int,
        *,
        state: str,
        reviewer: int,
        expected: str = "pending",
        fields: str | None = None,
        reason: str = "",
    ) -> bool:
        """Move a suggestion from `expected` to `state`; False if someone else got there first."""
        changed = await self.writer.execute(
            "UPDATE suggestion SET state = ?, reason = ?, reviewed_by = ?, reviewed_at = ?,"
            " fields = COALESCE(?, fields) WHERE guild_id = ? AND id = ? AND state = ?",
            (state, reason, reviewer, int(time.time()), fields, guild_id, suggestion_id, expected),
        )
        return changed == 1

    async def edit_suggestion(self, guild_id: int, suggestion_id: int, fields: str) -> bool:
        """An admin's edit of a pending suggestion's form."""
        changed = await self.writer.execute(
            "UPDATE suggestion SET fields = ? WHERE guild_id = ? AND id = ? AND state = 'pending'",
            (fields, guild_id, suggestion_id),
        )
        return changed == 1
