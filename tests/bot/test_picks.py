from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from bot.picks import choose


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
