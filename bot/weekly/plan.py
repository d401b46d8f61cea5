"""The weekly poll's pure arithmetic: the next slot, the retry time, the answers' titles. No I/O here."""

from __future__ import annotations

from collections.abc import Iterable

from bot.catalog import Catalog
from bot.db import PollSchedule
from bot.schedule import backoff_seconds, from_ts, next_occurrence, parse_local_time, to_ts, zone


def next_slot(schedule: PollSchedule, after: int) -> int:
    """The server's first weekly slot strictly after `after` (unix seconds), in its own time zone."""
    at = parse_local_time(schedule.local_time)
    return to_ts(next_occurrence(from_ts(after), schedule.weekday, at, zone(schedule.timezone)))


def retry_time(failures: int, now: int, next_due: int | None) -> int:
    """When a failed post is tried again: back-off after `failures` failures, never past the next slot."""
    retry = now + backoff_seconds(failures)
    return min(retry, next_due) if next_due is not None else retry


def answer_titles(answers: Iterable[tuple[int, str]], catalog: Catalog) -> list[tuple[int, str]]:
    """A posted poll's (answer id, answer text) as (answer id, drama id): answers are titles in English
    or Hangul, whichever language the poll was posted in; others are left out."""
    by_title = {name: d.id for d in catalog.dramas for name in (d.title, d.hangul)}
    return [(answer_id, by_title[text]) for answer_id, text in answers if text in by_title]
