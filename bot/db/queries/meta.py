"""Facts the bot keeps about itself: command-sync hashes and ids, its shards' health, row counts."""

from __future__ import annotations

from collections.abc import Sequence

from bot.db.models import ShardStatus
from bot.db.queries.base import Queries
from bot.db.writer import Write

REPORT_SHARD_SQL = (
    "INSERT INTO shard_status (shard_id, shard_count, connected, host, updated_at) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (shard_id) DO UPDATE SET shard_count = excluded.shard_count,"
    " connected = excluded.connected, host = excluded.host, updated_at = excluded.updated_at"
)


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

    async def ping(self) -> None:
        """One round trip to the database (health checks)."""
        await self.backend.fetchone("SELECT 1")

    def report_shards(self, statuses: Sequence[ShardStatus]) -> None:
        """Queue each shard's state, without waiting (the health beat)."""
        for s in statuses:
            self.writer.submit(
                Write(REPORT_SHARD_SQL, (s.shard_id, s.shard_count, int(s.connected), s.host, s.updated_at))
            )

    async def shard_reports(self) -> list[ShardStatus]:
        rows = await self.backend.fetch(
            "SELECT shard_id, shard_count, connected, host, updated_at FROM shard_status ORDER BY shard_id"
        )
        return [ShardStatus(int(i), int(c), bool(up), h, int(at)) for i, c, up, h, at in rows]
