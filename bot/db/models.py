"""What the storage layer hands out: plain rows as frozen dataclasses."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class PresentedMessage:
    message_id: int
    guild_id: int
    channel_id: int
    title_id: str
    kind: str
    requested_by: int
    created_at: int


# One vote change, as the `vote_change` view takes it: op, message, member, source, time.
VOTE_CHANGE_SQL = "INSERT INTO vote_change (op, message_id, user_id, source, at) VALUES (?, ?, ?, ?, ?)"


@dataclass(frozen=True, slots=True)
class VoteChange:
    """One change to the votes, as the `vote_change` view takes it (see migration 0002)."""

    op: str
    message_id: int
    user_id: int = 0
    source: str = ""
    at: int = 0

    def params(self) -> tuple[Any, ...]:
        return (self.op, self.message_id, self.user_id, self.source, self.at or int(time.time()))


SCHEDULE_COLUMNS = (
    "guild_id, channel_id, weekday, local_time, timezone, size, locale, enabled, next_due, posting_slot,"
    " last_posted_at, last_error, last_error_at, failures"
)
POLL_COLUMNS = "message_id, guild_id, channel_id, posted_at, closes_at, closed_at, recap_message_id"


@dataclass(frozen=True, slots=True)
class PollSchedule:
    guild_id: int
    channel_id: int
    weekday: int
    local_time: str
    timezone: str
    size: int
    locale: str | None
    enabled: int
    next_due: int | None
    posting_slot: int | None
    last_posted_at: int | None
    last_error: str | None
    last_error_at: int | None
    failures: int


@dataclass(frozen=True, slots=True)
class WeeklyPoll:
    message_id: int
    guild_id: int
    channel_id: int
    posted_at: int
    closes_at: int
    closed_at: int | None
    recap_message_id: int | None


SUGGESTION_COLUMNS = "id, guild_id, kind, fields, suggested_by, suggested_name, state, reason, created_at, reviewed_by, reviewed_at"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A member's suggestion for their server's catalog; `fields` is the cleaned form as JSON."""

    id: int
    guild_id: int
    kind: str
    fields: str
    suggested_by: int
    suggested_name: str
    state: str
    reason: str
    created_at: int
    reviewed_by: int | None
    reviewed_at: int | None


@dataclass(frozen=True, slots=True)
class ShardStatus:
    """A shard's state as its process last reported it (for `python -m bot health`)."""

    shard_id: int
    shard_count: int
    connected: bool
    host: str
    updated_at: int
