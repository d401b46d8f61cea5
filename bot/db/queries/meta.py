"""Small key/value facts the bot keeps about itself (command-sync hashes and ids)."""

from __future__ import annotations

from bot.db.queries.base import Queries


class MetaQueries(Queries):
    async def get_meta(self, key: str) -> str | None:
        row = await self.backend.fetchone("SELECT value FROM bot_meta WHERE key = ?", (key,))
        return row[0] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self.writer.execute(
            "INSERT INTO bot_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def row_counts(self) -> dict[str, int]:
        """Rows per table, for `python -m bot db status` and for checking a copy."""
        from bot.db.copy import TABLES

        counts = {}
        for table in TABLES:
            row = await self.backend.fetchone(f"SELECT COUNT(*) FROM {table}")
            counts[table] = int(row[0]) if row else 0
        return counts

    async def all_tallies(self) -> list[tuple[int, str, int]]:
        """Every counter (server, title, count), ordered: two databases agree when these are equal."""
        rows = await self.backend.fetch(
            "SELECT guild_id, title_id, count FROM tally ORDER BY guild_id, title_id"
        )
        return [(int(g), t, int(c)) for g, t, c in rows]
