"""The plain rules of catch-up: counts read from message payloads, which picks a page covers, pacing."""

from __future__ import annotations

from datetime import UTC, datetime

from discord.utils import time_snowflake

from bot.catchup import PAGE, ChannelWalk, Pacer, answer_counts, differing, reaction_counts
from bot.db import PresentedMessage


def snowflake(seconds: float) -> int:
    return time_snowflake(datetime.fromtimestamp(seconds, UTC))


def pick(message_id: int, channel_id: int = 7) -> PresentedMessage:
    return PresentedMessage(message_id, 1, channel_id, "title", "drama", 2, 0)


def reaction(
    name: str, normal: int, burst: int = 0, *, me: bool = False, emoji_id: str | None = None
) -> dict:
    return {
        "emoji": {"id": emoji_id, "name": name},
        "count": normal + burst,
        "count_details": {"normal": normal, "burst": burst},
        "me": me,
        "me_burst": False,
    }


def test_reaction_counts_leave_out_the_bots_own_seed_and_other_emoji():
    message = {"reactions": [reaction("😭", 3, 1, me=True), reaction("🎉", 9)]}
    assert reaction_counts(message, {"😭"}) == {"r:😭": 2, "r:😭:burst": 1}


def test_a_pick_with_only_the_seed_reaction_counts_nothing():
    assert reaction_counts({"reactions": [reaction("😭", 1, me=True)]}, {"😭"}) == {}
    assert reaction_counts({}, {"😭"}) == {}


def test_custom_vote_emoji_are_matched_by_id():
    message = {"reactions": [reaction("tissue", 2, emoji_id="123456789012345678")]}
    assert reaction_counts(message, {"123456789012345678"}) == {"r:123456789012345678": 2}


def test_counts_without_details_mean_every_source_must_be_listed():
    message = {"reactions": [{"emoji": {"id": None, "name": "😭"}, "count": 2, "me": True}]}
    assert reaction_counts(message, {"😭"}) is None


def test_poll_answer_counts_and_unknown_results():
    poll = {"poll": {"results": {"is_finalized": False, "answer_counts": [
        {"id": 1, "count": 2, "me_voted": False}, {"id": 3, "count": 0, "me_voted": False}]}}}  # fmt: skip
    assert answer_counts(poll) == {"p:1": 2}
    assert answer_counts({"poll": {"question": {"text": "?"}}}) is None


def test_differing_names_every_source_whose_count_moved():
    assert differing({"r:😭": 2, "r:😭:burst": 1}, {"r:😭": 2}) == {"r:😭:burst"}
    assert differing({}, {"r:😭": 1}) == {"r:😭"}
    assert differing({"r:😭": 2}, {"r:😭": 2}) == frozenset()


def test_a_full_page_covers_the_picks_down_to_its_oldest_message():
    picks = [pick(snowflake(1_700_000_000 + i)) for i in range(5)]
    walk = ChannelWalk(7, picks)
    assert walk.newest == picks[4].message_id
    page = [{"id": str(picks[4].message_id)}, {"id": str(picks[2].message_id)}]  # picks[3] is gone
    covered = walk.covered(page, limit=2)
    assert [(p.message_id, m is not None) for p, m in covered] == [
        (picks[4].message_id, True), (picks[3].message_id, False), (picks[2].message_id, True)]  # fmt: skip
    assert len(walk.picks) == 2 and walk.newest == picks[1].message_id


def test_a_short_page_reached_the_channels_start_and_covers_the_rest():
    picks = [pick(snowflake(1_700_000_000 + i)) for i in range(3)]
    walk = ChannelWalk(7, picks)
    covered = walk.covered([{"id": str(picks[2].message_id)}], limit=PAGE)
    assert [m is None for _p, m in covered] == [False, True, True] and walk.picks == []


def test_picks_far_apart_are_read_one_at_a_time_and_close_ones_by_the_page():
    start = 1_700_000_000
    far = [pick(snowflake(start)), pick(snowflake(start + 86_400)), pick(snowflake(start + 2 * 86_400))]
    walk = ChannelWalk(7, far)
    assert walk.next_limit() == PAGE  # nothing known yet
    # A page of 100 messages spanning 100 seconds: a pick a day apart lies far outside the next one.
    page = [{"id": str(far[2].message_id)}] + [
        {"id": str(snowflake(start + 2 * 86_400 - i))} for i in range(1, 100)
    ]
    walk.covered(page, PAGE)
    assert walk.next_limit() == 1
    close = ChannelWalk(7, [pick(snowflake(start + i)) for i in range(10)])
    close._per_second = 1.0
    assert close.next_limit() == PAGE
    assert ChannelWalk(7, [pick(snowflake(start))]).next_limit() == 1  # a single pick: one message


async def test_the_pacer_spreads_requests_at_its_rate():
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        now[0] += seconds

    pacer = Pacer(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        await pacer.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]
    unlimited = Pacer(0, clock=lambda: now[0], sleep=sleep)
    await unlimited.wait()
    assert len(slept) == 4
