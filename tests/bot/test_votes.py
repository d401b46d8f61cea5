"""Vote logic on a real SQLite file: sources, the one-vote rule, counters, forget, orphans."""

from __future__ import annotations

import time

import pytest

from bot.db import Storage, VoteChange
from bot.votes import bar, reaction_source, reconcile

GUILD, OTHER_GUILD, CHANNEL = 111, 222, 333
MINA, JOON = 1001, 1002
CRY = reaction_source("😭", False)
BURST = reaction_source("😭", True)


async def present(
    storage: Storage, message_id: int, title: str, guild: int = GUILD, channel: int = CHANNEL
) -> None:
    await storage.record_presented(
        message_id=message_id,
        guild_id=guild,
        channel_id=channel,
        title_id=title,
        kind="drama",
        requested_by=MINA,
    )


async def apply(storage: Storage, *changes: VoteChange) -> None:
    for change in changes:
        storage.change_votes(change)
    await storage.flush()


async def test_a_reaction_becomes_one_vote_and_counts(storage):
    await present(storage, 1, "mr-sunshine")
    await apply(storage, VoteChange("add", 1, MINA, CRY))
    assert await storage.votes_of(GUILD, MINA) == ["mr-sunshine"]
    assert await storage.tally(GUILD, "mr-sunshine") == 1
    assert await storage.tally(None, "mr-sunshine") == 1


async def test_repeated_adds_are_harmless(storage):
    await present(storage, 1, "mr-sunshine")
    await apply(storage, *[VoteChange("add", 1, MINA, CRY)] * 5)
    assert await storage.tally(GUILD, "mr-sunshine") == 1


async def test_one_batch_of_mixed_changes_applies_in_order(storage):
    """PostgreSQL applies runs of adds as sets (migration 0007): a remove between two adds, duplicate
    adds in one run and adds for unrecorded messages must come out as if applied one by one."""
    await present(storage, 1, "mr-sunshine")
    await present(storage, 2, "mr-sunshine")
    await present(storage, 3, "goblin")
    await apply(
        storage,
        VoteChange("add", 1, MINA, CRY),
        VoteChange("add", 1, MINA, CRY),
        VoteChange("add", 2, MINA, BURST),
        VoteChange("add", 3, JOON, CRY),
        VoteChange("remove", 1, MINA, CRY),
        VoteChange("remove", 2, MINA, BURST),
        VoteChange("add", 3, MINA, CRY),
        VoteChange("add", 9, JOON, CRY),  # not recorded yet: kept as an orphan
        VoteChange("remove", 3, JOON, CRY),
        VoteChange("add", 1, JOON, CRY),
    )
    assert await storage.votes_of(GUILD, MINA) == ["goblin"]
    assert await storage.votes_of(GUILD, JOON) == ["mr-sunshine"]
    assert await storage.tally(GUILD, "mr-sunshine") == 1
    assert await storage.tally(None, "goblin") == 1
    await present(storage, 9, "goblin")
    await storage.flush()
    assert await storage.tally(GUILD, "goblin") == 2


async def test_two_messages_of_one_title_are_one_vote_with_two_sources(storage):
    await present(storage, 1, "mr-sunshine")
    await present(storage, 2, "mr-sunshine")
    await apply(storage, VoteChange("add", 1, MINA, CRY), VoteChange("add", 2, MINA, CRY))
    assert await storage.tally(GUILD, "mr-sunshine") == 1
    await apply(storage, VoteChange("remove", 1, MINA, CRY))
    assert await storage.tally(GUILD, "mr-sunshine") == 1  # the other source still holds it
    await apply(storage, VoteChange("remove", 2, MINA, CRY))
    assert await storage.tally(GUILD, "mr-sunshine") == 0
    assert await storage.votes_of(GUILD, MINA) == []


async def test_a_super_reaction_counts_once_beside_a_normal_one(storage):
    await present(storage, 1, "red-sleeve")
    await apply(storage, VoteChange("add", 1, MINA, CRY), VoteChange("add", 1, MINA, BURST))
    assert await storage.tally(GUILD, "red-sleeve") == 1
    await apply(storage, VoteChange("remove", 1, MINA, CRY))
    assert await storage.tally(GUILD, "red-sleeve") == 1


async def test_clear_and_clear_emoji_withdraw_reaction_sources(storage):
    await present(storage, 1, "red-sleeve")
    await apply(storage, VoteChange("add", 1, MINA, CRY), VoteChange("add", 1, JOON, BURST))
    await apply(storage, VoteChange("clear-emoji", 1, source=CRY))
    assert await storage.tally(GUILD, "red-sleeve") == 0
    await apply(storage, VoteChange("add", 1, MINA, reaction_source("😢", False)))
    await apply(storage, VoteChange("clear", 1))
    assert await storage.tally(GUILD, "red-sleeve") == 0 and await storage.sources_of(1) == set()


async def test_message_and_channel_gone_take_their_votes(storage):
    await present(storage, 1, "red-sleeve")
    await present(storage, 2, "mr-sunshine", channel=444)
    await apply(storage, VoteChange("add", 1, MINA, CRY), VoteChange("add", 2, MINA, CRY))
    await apply(storage, VoteChange("message-gone", 1))
    assert await storage.presented(1) is None and await storage.tally(GUILD, "red-sleeve") == 0
    await apply(storage, VoteChange("channel-gone", 444))
    assert await storage.presented(2) is None and await storage.tally(GUILD, "mr-sunshine") == 0


async def test_a_reaction_that_beats_its_message_record_still_counts(storage):
    await apply(storage, VoteChange("add", 9, MINA, CRY))  # the event came first
    assert await storage.tally(GUILD, "youth-of-may") == 0
    await present(storage, 9, "youth-of-may")
    assert await storage.tally(GUILD, "youth-of-may") == 1


async def test_stale_orphans_are_pruned(storage):
    await apply(storage, VoteChange("add", 9, MINA, CRY, at=1000))
    assert await storage.prune_orphans(now=1000 + 3601) == 1


async def test_votes_in_two_servers_count_apart_and_globally(storage):
    await present(storage, 1, "mr-sunshine")
    await present(storage, 2, "mr-sunshine", guild=OTHER_GUILD)
    await apply(storage, VoteChange("add", 1, MINA, CRY), VoteChange("add", 2, MINA, CRY))
    assert await storage.tally(GUILD, "mr-sunshine") == 1
    assert await storage.tally(None, "mr-sunshine") == 2


async def test_top_reads_the_counters_in_order(storage):
    for message_id, title in enumerate(["a", "b", "c"], 1):
        await present(storage, message_id, title)
    votes = {"a": 1, "b": 3, "c": 2}
    await apply(
        storage,
        *[VoteChange("add", i, 5000 + n, CRY) for i, t in enumerate("abc", 1) for n in range(votes[t])],
    )
    assert await storage.top(GUILD) == [("b", 3), ("c", 2), ("a", 1)]
    assert await storage.top(GUILD, limit=1) == [("b", 3)]


async def test_forget_here_and_everywhere(storage):
    await present(storage, 1, "mr-sunshine")
    await present(storage, 2, "red-sleeve")
    await present(storage, 3, "mr-sunshine", guild=OTHER_GUILD)
    await apply(
        storage, *[VoteChange("add", m, MINA, CRY) for m in (1, 2, 3)], VoteChange("add", 1, JOON, CRY)
    )
    assert await storage.forget(MINA, GUILD) == 2
    assert await storage.tally(GUILD, "mr-sunshine") == 1  # Joon's stays
    assert await storage.sources_of(1) == {(JOON, CRY)}
    assert await storage.forget(MINA, None) == 1
    assert await storage.tally(None, "mr-sunshine") == 1
    assert (await storage.forgotten_at(GUILD, [MINA]))[MINA] > 0


async def test_adds_in_one_batch_count_each_member_once_and_keep_orphans(storage):
    await present(storage, 1, "mr-sunshine")
    await present(storage, 2, "mr-sunshine")  # a second pick of the same title
    await apply(
        storage,
        VoteChange("add", 1, MINA, CRY),
        VoteChange("add", 1, MINA, CRY),  # the same reaction twice: one source
        VoteChange("add", 2, MINA, CRY),  # another pick of the title: a second source, one vote
        VoteChange("add", 2, JOON, BURST),
        VoteChange("add", 9, JOON, CRY),  # a message not recorded yet: kept until it is
    )
    assert await storage.sources_of(1) == {(MINA, CRY)}
    assert await storage.sources_of(2) == {(MINA, CRY), (JOON, BURST)}
    assert await storage.tally(GUILD, "mr-sunshine") == 2
    await present(storage, 9, "red-sleeve")
    await storage.flush()
    assert await storage.tally(GUILD, "red-sleeve") == 1


async def test_a_batch_across_days_counts_each_vote_in_the_week_month_and_year_it_was_cast_in(storage):
    """Counter deltas are kept per day and folded per batch (migrations 0013): votes either side of
    a week's, a month's and a year's first second land in their own periods, removes included."""
    from bot.periods import PERIODS, bucket

    new_year = 1_798_761_600  # Friday 2027-01-01 00:00 UTC
    monday = 1_798_416_000  # Monday 2026-12-28 00:00 UTC
    times = [monday - 1, monday, new_year - 1, new_year, new_year + 86_399, new_year + 86_400]
    await present(storage, 1, "goblin")
    await present(storage, 2, "goblin", guild=OTHER_GUILD)
    changes = [VoteChange("add", 1 + i % 2, 5000 + i, CRY, at=at) for i, at in enumerate(times)]
    changes.append(VoteChange("remove", 1, 5002, CRY))  # cast at new_year - 1 in GUILD
    await apply(storage, *changes)
    kept = [(1 + i % 2, at) for i, at in enumerate(times) if i != 2]
    for now in times:
        for period, code in PERIODS.items():
            for guild in (GUILD, OTHER_GUILD, None):
                here = {GUILD: 1, OTHER_GUILD: 2}.get(guild)
                expected = sum(
                    1
                    for message, at in kept
                    if bucket(code, at) == bucket(code, now) and here in (None, message)
                )
                chart = await storage.top(guild, period=period, now=now)
                assert chart == ([("goblin", expected)] if expected else []), (now, period, guild)


async def test_counters_carry_over_the_move_to_daily_deltas(db_target):
    """A database migrated before 0013 keeps its counters, and votes after it add to them."""
    from bot.db import bundled_migrations

    backend = "postgres" if isinstance(db_target, str) else "sqlite"
    now = 1_795_535_447
    old = await Storage.open(db_target, bundled_migrations(backend)[:12])
    try:
        await present(old, 1, "goblin")
        await apply(
            old, VoteChange("add", 1, MINA, CRY, at=now), VoteChange("add", 1, JOON, CRY, at=now - 86400)
        )
    finally:
        await old.close()
    storage = await Storage.open(db_target)
    try:
        await apply(storage, VoteChange("add", 1, 1003, CRY, at=now), VoteChange("remove", 1, JOON, CRY))
        assert await storage.top(GUILD) == [("goblin", 2)]
        assert await storage.top(None, period="month", now=now) == [("goblin", 2)]
    finally:
        await storage.close()


async def test_adds_keep_any_source_text_as_it_is(storage):
    """PostgreSQL receives a run of adds as array literals: quotes, backslashes, commas, braces,
    spaces and the word NULL in a source arrive unchanged."""
    await present(storage, 1, "goblin")
    odd = ['r:"quoted"', "r:back\\slash", "r:a,b", "r:{braces}", "r: spaced ", "NULL", "r:😭:burst"]
    await apply(storage, *(VoteChange("add", 1, 7000 + i, source) for i, source in enumerate(odd)))
    assert await storage.sources_of(1, prefix="") == {(7000 + i, source) for i, source in enumerate(odd)}
    assert await storage.tally(GUILD, "goblin") == len(odd)


async def test_votes_are_committed_while_the_bot_loop_is_busy(storage):
    """The writer has a thread and a loop of its own: a burst that keeps the bot's loop busy does
    not hold the votes back until it is over."""
    await present(storage, 1, "mr-sunshine")
    before = storage.write_stats.votes
    for user in range(200):
        storage.change_votes(VoteChange("add", 1, 10_000 + user, CRY))
    deadline = time.monotonic() + 30
    while storage.write_stats.votes < before + 200 and time.monotonic() < deadline:
        time.sleep(0.01)  # noqa: ASYNC251 (on purpose: blocks this loop, as a burst keeps it busy)
    assert storage.write_stats.votes == before + 200
    assert await storage.tally(GUILD, "mr-sunshine") == 200


async def test_a_failing_write_does_not_lose_its_batch(storage):
    await present(storage, 1, "mr-sunshine")
    from bot.db import Write

    storage.writer.submit(Write("INSERT INTO nowhere VALUES (?)", (1,)))
    await apply(storage, VoteChange("add", 1, MINA, CRY))
    assert await storage.tally(GUILD, "mr-sunshine") == 1
    assert storage.writer.stats.failed == 1


def test_reconcile_adds_missing_and_removes_stale():
    diff = reconcile({(1, CRY), (2, CRY)}, {(2, CRY), (3, CRY)})
    assert diff.add == {(3, CRY)} and diff.remove == {(1, CRY)}


def test_reconcile_leaves_what_live_events_touched():
    diff = reconcile({(1, CRY)}, {(3, CRY)}, touched_live={(1, CRY), (3, CRY)})
    assert diff.add == set() and diff.remove == set()


def test_reconcile_does_not_bring_back_the_forgotten():
    diff = reconcile(set(), {(1, CRY), (2, CRY)}, forgotten_at={1: 500, 2: 100}, presented_at=300)
    assert diff.add == {(2, CRY)}  # 2 forgot before this message existed; a reaction since is new


@pytest.mark.parametrize(("count", "top", "expected"), [(10, 10, 12), (1, 10, 1), (5, 10, 6), (0, 10, 0)])
def test_bar_scales_to_the_top_title(count, top, expected):
    assert len(bar(count, top)) == expected


async def test_close_commits_everything_still_queued(tmp_path):
    path = tmp_path / "t.db"
    storage = await Storage.open(path)
    await present(storage, 1, "mr-sunshine")
    for user in range(5000):
        storage.change_votes(VoteChange("add", 1, 10_000 + user, CRY))
    await storage.close()  # what SIGTERM and Ctrl-C end in
    storage = await Storage.open(path)
    try:
        assert await storage.tally(GUILD, "mr-sunshine") == 5000
    finally:
        await storage.close()


async def test_charts_by_period_count_the_votes_first_cast_in_each(storage):
    now = 1_795_535_447  # Tuesday 2026-11-24, UTC
    last_week = now - 7 * 86400  # still November
    last_year = now - 400 * 86400
    await present(storage, 1, "goblin")
    await present(storage, 2, "signal")
    await apply(
        storage,
        VoteChange("add", 1, MINA, CRY, at=now),
        VoteChange("add", 1, JOON, CRY, at=last_week),
        VoteChange("add", 2, MINA, CRY, at=last_year),
        VoteChange("add", 2, 1003, CRY, at=last_year),
    )
    assert await storage.top(GUILD, period="week", now=now) == [("goblin", 1)]
    assert await storage.top(GUILD, period="month", now=now) == [("goblin", 2)]
    assert await storage.top(GUILD, period="year", now=now) == [("goblin", 2)]
    assert await storage.top(GUILD) == [("goblin", 2), ("signal", 2)]
    assert await storage.top(None, period="week", now=now) == [("goblin", 1)]  # every server's too
    await apply(storage, VoteChange("remove", 1, MINA, CRY))  # taken back: leaves the period it was cast in
    assert await storage.top(GUILD, period="week", now=now) == []
    assert await storage.top(GUILD, period="month", now=now) == [("goblin", 1)]
    assert await storage.votes_with_time(GUILD, JOON) == [("goblin", last_week)]
