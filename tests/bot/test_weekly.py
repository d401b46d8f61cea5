"""The weekly poll's pure arithmetic, and its claim protocol on each backend (a crash between claim
and record included)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.db import PollSchedule
from bot.schedule import backoff_seconds
from bot.weekly.plan import answer_titles, next_slot, retry_time

FRIDAY = 4


def schedule(**fields) -> PollSchedule:
    base = dict(
        guild_id=1, channel_id=2, weekday=FRIDAY, local_time="21:00", timezone="Asia/Seoul", size=5, locale=None,
        enabled=1, next_due=None, posting_slot=None, last_posted_at=None, last_error=None, last_error_at=None,
        failures=0,
    )  # fmt: skip
    return PollSchedule(**{**base, **fields})


def ts(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


def test_the_next_slot_is_the_servers_weekday_and_time_strictly_after():
    friday_9pm_seoul = ts(2026, 11, 27, 12, 0)
    assert next_slot(schedule(), ts(2026, 11, 24, 0, 0)) == friday_9pm_seoul
    assert next_slot(schedule(), friday_9pm_seoul) == friday_9pm_seoul + 7 * 86400


def test_a_retry_backs_off_but_never_past_the_next_slot():
    assert retry_time(1, 1000, None) == 1000 + backoff_seconds(1) == 1300
    assert retry_time(3, 1000, 5000) == 1000 + 1200
    assert retry_time(9, 1000, 5000) == 5000


def test_answers_map_back_to_titles_in_either_language(catalog):
    goblin = catalog.drama("goblin")
    found = answer_titles(
        [(1, goblin.title), (2, catalog.drama("signal").hangul), (3, "Not a drama")], catalog
    )
    assert found == [(1, "goblin"), (2, "signal")]


async def test_a_crash_between_claim_and_record_leaves_a_claim_that_blocks_others_until_released(storage):
    await storage.save_schedule(
        guild_id=1, channel_id=2, weekday=FRIDAY, local_time="21:00", timezone="Asia/Seoul", size=5, locale=None,
        next_due=1000, now=900,
    )  # fmt: skip
    assert await storage.claim_post(1, 1000, due=1000)
    # The process dies here, before Discord's answer was recorded.
    assert [s.guild_id for s in await storage.interrupted_posts(1, [0])] == [1]
    assert not await storage.claim_post(1, 1000, due=1000)  # nobody posts over it
    assert await storage.due_schedules(2000, 1, [0]) == []
    await storage.release_post(1, error=None, retry_at=None, now=2000)  # recovery: it never reached Discord
    assert [s.guild_id for s in await storage.due_schedules(2000, 1, [0])] == [1]
    assert await storage.claim_post(1, 1000, due=1000)
    await storage.record_poll(
        guild_id=1, channel_id=2, message_id=77, posted_at=2000, closes_at=5000, answers=[(1, "goblin")],
        next_due=605_800,
    )  # fmt: skip
    recorded = await storage.schedule(1)
    assert recorded.posting_slot is None and recorded.next_due == 605_800 and recorded.last_posted_at == 2000
    assert not await storage.claim_post(1, 1000, due=1000)  # a stale row cannot post the week again
