"""Moving up: copy a SQLite database into an empty PostgreSQL one, then check both sides agree."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.storage import Storage

# Every table, parents before children, with its columns (the same on both backends).
# Always empty between commits (SQLite's counter deltas, folded before each commit): nothing to copy.
TRANSIENT = ("vote_delta",)
TABLES: dict[str, tuple[str, ...]] = {
    "bot_meta": ("key", "value"),
    "shard_status": ("shard_id", "shard_count", "connected", "host", "updated_at"),
    "presented_message": ("message_id", "guild_id", "channel_id", "title_id", "kind", "requested_by", "created_at"),
    "vote": ("guild_id", "user_id", "title_id", "created_at"),
    "vote_source": ("message_id", "user_id", "source", "guild_id", "title_id", "created_at"),
    "orphan_source": ("message_id", "user_id", "source", "created_at"),
    "tally": ("guild_id", "title_id", "count"),
    "tally_period": ("guild_id", "period", "bucket", "title_id", "count"),
    "forget_marker": ("guild_id", "user_id", "forgotten_at"),
    "poll_schedule": (
        "guild_id", "channel_id", "weekday", "local_time", "timezone", "size", "locale", "enabled", "next_due",
        "posting_slot", "last_posted_at", "last_error", "last_error_at", "failures", "updated_at",
    ),
    "weekly_poll": ("message_id", "guild_id", "channel_id", "posted_at", "closes_at", "closed_at", "recap_message_id"),
    "weekly_poll_answer": ("message_id", "answer_id", "title_id"),
    "suggestion": (
        "id", "guild_id", "kind", "fields", "suggested_by", "suggested_name", "state", "reason", "created_at",
        "reviewed_by", "reviewed_at",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class CopyReport:
    rows: dict[str, int]  # rows copied per table
    tallies_match: bool


class CopyError(Exception):
    """The copy cannot go ahead (the target is not empty) or did not check out."""


async def copy_database(source: Storage, target: Storage) -> CopyReport:
    """Copy every row of `source` into `target` (which must hold no rows yet), as they are — the
    target's triggers are held off so that counters are copied, not counted twice — then compare the
    row counts and every server's tallies on both sides."""
    if any((await target.row_counts()).values()):
        raise CopyError(f"{target.backend.where} already holds data; copy into an empty database")
    await source.flush()
    copied: dict[str, int] = {}
    for table, columns in TABLES.items():
        rows = await source.backend.fetch(f"SELECT {', '.join(columns)} FROM {table}")
        await target.backend.load_table(table, columns, rows)
        copied[table] = len(rows)
    source_counts, target_counts = await source.row_counts(), await target.row_counts()
    if source_counts != target_counts:
        raise CopyError(f"row counts differ after the copy: {source_counts} vs {target_counts}")
    tallies_match = await source.all_tallies() == await target.all_tallies()
    if not tallies_match:
        raise CopyError("the copied tallies differ from the original's")
    return CopyReport(copied, tallies_match)
