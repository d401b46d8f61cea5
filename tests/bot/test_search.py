from __future__ import annotations

import pytest

from bot.search import MAX_QUERY_LEN, SearchIndex, fold


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("windflwer", "windflower"),  # one typo
        ("starlite", "starlight"),
        ("heize", "can-you-see-my-heart"),  # artist
        ("hotel del luna", "can-you-see-my-heart"),  # drama title
        ("호텔 델루나", "can-you-see-my-heart"),  # Hangul drama title
        ("델루", "can-you-see-my-heart"),  # Hangul prefix fragment
        ("바람꽃", "windflower"),  # Hangul song title
        ("이선희", "windflower"),  # Hangul artist
        ("Lee Seun hee", "windflower"),  # the article's romanisation
        ("lee sun hee", "windflower"),  # the common one
        ("noel", "my-love-is-hurt"),
    ],
)
def test_ost_search_finds(catalog, query, expected):
    assert catalog.search_osts(query, 5)[0].id == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mr sunshne", "mr-sunshine"),
        ("눈이 부시게", "light-in-your-eyes"),
        ("youth of may", "youth-of-may"),
        ("Queen For 7 Days", "queen-for-seven-days"),
        ("Seo In Guk", "smile-has-left-your-eyes"),  # cast name
    ],
)
def test_drama_search_finds(catalog, query, expected):
    assert catalog.search_dramas(query, 5)[0].id == expected


def test_a_shared_actor_finds_both_dramas(catalog):
    assert {d.id for d in catalog.search_dramas("IU", 5)} == {
        "moon-lovers", "hotel-del-luna", "my-mister", "when-life-gives-you-tangerines",
    }  # fmt: skip


def test_nonsense_finds_nothing(catalog):
    assert catalog.search_osts("qqqqxxxzz", 5) == []


def test_fold_ignores_case_spacing_and_punctuation():
    assert fold("Lee Sun-hee") == fold("lee sunhee")
    assert fold("Mr. Sunshine") == "mrsunshine"


def test_overlong_query_is_cut_not_crashed():
    index = SearchIndex([("a", [("alpha", 1.0)])])
    assert index.search("alpha" + " " * (MAX_QUERY_LEN * 50), 5) == ["a"]
    assert index.search("q" * (MAX_QUERY_LEN * 50), 5) == []


def test_each_item_is_returned_once_and_limit_holds(catalog):
    found = catalog.search_dramas("the", 3)
    assert len(found) <= 3 and len({d.id for d in found}) == len(found)


def test_a_later_word_of_a_name_matches_by_prefix(catalog):
    assert catalog.search_osts("luna", 5)[0].id == "can-you-see-my-heart"
    assert catalog.search_dramas("sunshine", 5)[0].id == "mr-sunshine"


def test_a_typo_in_the_first_letters_is_found_from_the_end(catalog):
    assert catalog.search_osts("wimdflower", 5)[0].id == "windflower"


WORDS = ["moon", "rain", "tear", "winter", "letter", "star", "sea", "night"]


def name_of(i: int) -> str:
    return f"{WORDS[i % 8]} {WORDS[(i // 8) % 8]} {i}"


def big_index(n: int) -> SearchIndex[int]:
    return SearchIndex([(i, [(name_of(i).title(), 1.0)]) for i in range(n)])


def test_typos_are_found_among_thousands_of_similar_names():
    index = big_index(5000)
    for i in (17, 900, 2500, 4999):
        text = name_of(i)
        # A typo in the second letter (a prefix shared by hundreds) and one in the number.
        for typo in (text[:1] + "x" + text[2:], text[:-2] + "x" + text[-1:]):
            assert i in index.search(typo, 25), typo


def test_a_shared_prefix_still_lists_matches_without_scanning_everything():
    index = big_index(5000)
    found = index.search("moon", 25)
    assert len(found) == 25
