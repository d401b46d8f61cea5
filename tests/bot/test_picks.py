from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from bot.picks import RecentPicks, choose


@dataclass(frozen=True)
class Item:
    id: str


ITEMS = [Item(c) for c in "abcde"]


def test_never_repeats_a_recent_pick_while_fresh_ones_remain():
    rng = random.Random(7)
    for _ in range(200):
        assert choose(ITEMS, ["a", "b", "c", "d"], rng).id == "e"


def test_when_everything_was_seen_the_oldest_comes_back():
    assert choose(ITEMS, ["e", "d", "c", "b", "a"]).id == "a"


def test_a_sequence_of_picks_covers_the_catalog_before_repeating():
    rng = random.Random(1)
    recent: list[str] = []
    for _ in range(len(ITEMS)):
        recent.insert(0, choose(ITEMS, recent, rng).id)
    assert sorted(recent) == sorted(i.id for i in ITEMS)


def test_no_candidates_is_an_error():
    with pytest.raises(ValueError):
        choose([], [])


async def test_recent_picks_load_once_then_follow_what_is_shown():
    loads = []

    async def load(member: int, kind: str, window: int) -> list[str]:
        loads.append((member, kind))
        return ["b", "a"]

    recent = RecentPicks(load, window=3)
    assert await recent.get(1, "drama") == ["b", "a"]
    recent.shown(1, "drama", "c")
    recent.shown(1, "drama", "a")
    assert await recent.get(1, "drama") == ["a", "c", "b"]  # newest first, no repeats, window of 3
    assert loads == [(1, "drama")]


async def test_recent_picks_hold_a_bounded_number_of_members(storage):
    recent = RecentPicks(storage.recent_titles, members=2)
    for member in (1, 2, 3):
        await recent.get(member, "drama")
    assert len(recent._held) == 2 and (1, "drama") not in recent._held


async def test_a_member_not_held_is_read_from_the_database(storage):
    await storage.record_presented(
        message_id=5, guild_id=1, channel_id=2, title_id="mr-sunshine", kind="drama", requested_by=9
    )
    recent = RecentPicks(storage.recent_titles)
    recent.shown(9, "drama", "ignored-until-loaded")
    assert await recent.get(9, "drama") == ["mr-sunshine"]
