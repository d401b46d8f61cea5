from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.catalog import POLL_ANSWER_MAX, CatalogError, load_catalog, parse_catalog
from bot.config import DEFAULT_CATALOG_PATH
from bot.errors import UnknownTitle

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def shipped() -> dict:
    return tomllib.loads(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8"))


def problems_of(data: dict) -> list[str]:
    with pytest.raises(CatalogError) as info:
        parse_catalog(Path("test.toml"), data)
    return info.value.problems


def test_shipped_catalog_holds_every_title_of_both_articles(catalog):
    assert len(catalog.dramas) == 15
    assert len(catalog.osts) == 5
    ids = {d.id for d in catalog.dramas}
    for drama_id in (
        "hi-bye-mama", "youth-of-may", "uncontrollably-fond", "smile-has-left-your-eyes", "mr-sunshine",
        "queen-for-seven-days", "light-in-your-eyes", "moon-lovers", "red-sleeve", "hymn-of-death",
        "true-beauty", "hotel-del-luna", "im-not-a-robot", "gu-family-book", "legend-of-the-blue-sea",
    ):  # fmt: skip
        assert drama_id in ids
    assert {o.drama_id for o in catalog.osts} <= ids


def test_article_spellings_are_kept_as_aliases(catalog):
    assert catalog.find_drama("Radiant").id == "light-in-your-eyes"
    assert catalog.find_drama("Death Song").id == "hymn-of-death"
    assert catalog.find_drama("Scarlet Heart: Goryeo").id == "moon-lovers"
    assert catalog.find_ost("Lee Seun hee").id == "windflower"


def test_every_title_fits_a_poll_answer(catalog):
    assert all(len(d.title) <= POLL_ANSWER_MAX for d in catalog.dramas)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared/seeds is not beside the checkout")
def test_no_sentence_of_the_articles_is_copied():
    article = " ".join(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt"))
    ours = DEFAULT_CATALOG_PATH.read_text(encoding="utf-8")
    words = ours.split()
    # No run of eight words of our text appears in the articles.
    for i in range(len(words) - 8):
        run = " ".join(words[i : i + 8])
        assert run not in article, run


def test_unknown_key_is_named():
    data = shipped()
    data["drama"][0]["rating"] = 5
    assert any("drama #1 (hi-bye-mama): unknown field 'rating'" in p for p in problems_of(data))


def test_missing_and_mistyped_fields_are_named():
    data = shipped()
    del data["drama"][1]["hangul"]
    data["drama"][2]["year"] = "2016"
    data["drama"][3]["tears"] = 9
    data["drama"][4]["era"] = "future"
    problems = problems_of(data)
    assert "drama #2 (youth-of-may): field 'hangul': is required" in problems
    assert any("drama #3 (uncontrollably-fond): field 'year': expected a whole number" in p for p in problems)
    assert any("field 'tears': 9 is outside 1..5" in p for p in problems)
    assert any("field 'era': 'future' is not one of historical, modern" in p for p in problems)


def test_duplicate_ids_and_dangling_ost_links_are_named():
    data = shipped()
    data["drama"][1]["id"] = "hi-bye-mama"
    data["ost"][0]["drama"] = "no-such-drama"
    problems = problems_of(data)
    assert any("'hi-bye-mama': duplicate id" in p for p in problems)
    assert any("ost 'starlight': field 'drama': no drama has id 'no-such-drama'" in p for p in problems)


def test_discord_length_limits_are_enforced():
    data = shipped()
    data["drama"][0]["title"] = "A" * (POLL_ANSWER_MAX + 1)
    data["drama"][1]["spoiler"] = "x" * 1021
    problems = problems_of(data)
    assert any("field 'title': is 56 characters; Discord allows at most 55" in p for p in problems)
    assert any("field 'spoiler': is 1021 characters" in p for p in problems)


def test_undefined_mood_and_bad_cast_are_named():
    data = shipped()
    data["drama"][0]["moods"] = ["grief", "joy"]
    data["drama"][1]["cast"] = [{"actor": "Someone"}]
    problems = problems_of(data)
    assert any("field 'moods': 'joy' is not defined under [moods]" in p for p in problems)
    assert any("drama #2 (youth-of-may) cast #1: field 'role': is required" in p for p in problems)


def test_too_many_moods_for_discord_choices():
    data = shipped()
    data["moods"] = {f"m{i}": {"label": f"M{i}"} for i in range(26)}
    assert any("26 moods" in p for p in problems_of(data))


def test_broken_toml_and_unreadable_file_fail_whole(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text("[[drama]\nid = ")
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog(bad)
    with pytest.raises(CatalogError, match="cannot read the file"):
        load_catalog(tmp_path / "missing.toml")


def test_filters_combine(catalog):
    historical_grief = catalog.filter_dramas(mood="star-crossed", era="historical", min_tears=5)
    assert historical_grief and all(
        "star-crossed" in d.moods and d.era == "historical" and d.tears >= 5 for d in historical_grief
    )
    assert catalog.filter_dramas(mood="time", era="historical") == []


def test_unknown_title_names_the_closest(catalog):
    with pytest.raises(UnknownTitle) as info:
        catalog.find_drama("zzzz qqqq")
    assert len(info.value.closest) == 3
    assert "zzzz qqqq" in info.value.render("en-US")
    assert "zzzz qqqq" in info.value.render("ko") and "찾지 못했어요" in info.value.render("ko")
