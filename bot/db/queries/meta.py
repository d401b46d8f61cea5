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
