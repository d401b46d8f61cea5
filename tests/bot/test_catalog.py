from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.catalog import POLL_ANSWER_MAX, CatalogError, load_catalog, parse_catalog
from bot.config import DEFAULT_CATALOG_PATH
from bot.errors import UnknownTitle

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def shipped() -> dict:
    """The shipped catalog folder as one TOML document (moods, then every drama, then every OST)."""
    data: dict = {"moods": {}, "drama": [], "ost": []}
    for path in sorted(DEFAULT_CATALOG_PATH.glob("*.toml")):
        part = tomllib.loads(path.read_text(encoding="utf-8"))
        data["moods"].update(part.get("moods", {}))
        data["drama"] += part.get("drama", [])
        data["ost"] += part.get("ost", [])
    return data


def problems_of(data: dict) -> list[str]:
    with pytest.raises(CatalogError) as info:
        parse_catalog(Path("test.toml"), data)
    return info.value.problems


SEED_DRAMAS = (
    "hi-bye-mama", "youth-of-may", "uncontrollably-fond", "smile-has-left-your-eyes", "mr-sunshine",
    "queen-for-seven-days", "light-in-your-eyes", "moon-lovers", "red-sleeve", "hymn-of-death",
    "true-beauty", "hotel-del-luna", "im-not-a-robot", "gu-family-book", "legend-of-the-blue-sea",
)  # fmt: skip
SEED_OSTS = (
    "starlight",
    "can-you-see-my-heart",
    "loving-with-all-your-heart",
    "my-love-is-hurt",
    "windflower",
)
REQUIRED_DRAMAS = (
    "My Mister", "Reply 1988", "Goblin", "When the Camellia Blooms", "Move to Heaven", "Crash Landing on You",
    "Hospital Playlist", "It's Okay to Not Be Okay", "Twenty-Five Twenty-One", "Our Blues", "Navillera",
    "Thirty-Nine", "Descendants of the Sun", "Signal", "I'm Sorry, I Love You", "Dear My Friends",
    "Queen of Tears", "When Life Gives You Tangerines", "Lovely Runner", "Daily Dose of Sunshine",
    "Secret Garden",
)  # fmt: skip
REQUIRED_OSTS = (
    ("Stay With Me", "Chanyeol", "goblin"), ("Beautiful", "Crush", "goblin"), ("I Miss You", "Soyou", "goblin"),
    ("어른", "Sondia", "my-mister"), ("Everytime", "Chen", "descendants-of-the-sun"),
    ("Always", "Yoon Mi-rae", "descendants-of-the-sun"), ("Give You My Heart", "IU", "crash-landing-on-you"),
    ("Flower", "Yoon Mi-rae", "crash-landing-on-you"), ("Aloha", "Jo Jung-suk", "hospital-playlist"),
    ("소녀", "Oh Hyuk", "reply-1988"), ("걱정말아요 그대", "Lee Juck", "reply-1988"),
    ("소나기", "Eclipse", "lovely-runner"), ("눈의 꽃", "Park Hyo-shin", "im-sorry-i-love-you"),
)  # fmt: skip


def test_the_catalog_holds_sixty_dramas_and_sixty_osts_with_both_articles_titles(catalog):
    assert len(catalog.dramas) >= 60 and len(catalog.osts) >= 60
    ids = {d.id for d in catalog.dramas}
    assert set(SEED_DRAMAS) <= ids
    assert set(SEED_OSTS) <= {o.id for o in catalog.osts}
    assert {o.drama_id for o in catalog.osts} <= ids


@pytest.mark.parametrize("title", REQUIRED_DRAMAS)
def test_every_drama_fans_asked_for_is_in_the_catalog(catalog, title):
    assert catalog.find_drama(title).title.replace("Guardian: The Lonely and Great God", "Goblin")


@pytest.mark.parametrize(("song", "artist", "drama"), REQUIRED_OSTS)
def test_every_ost_fans_asked_for_is_in_the_catalog(catalog, song, artist, drama):
    matches = [
        o for o in catalog.osts
        if song in (o.song, o.hangul) and artist in f"{o.artist} {' '.join(o.artist_aliases)}" and o.drama_id == drama
    ]  # fmt: skip
    assert len(matches) == 1, (song, artist)


def test_every_entry_names_at_least_two_sources_and_every_role_has_its_hangul_where_confirmed(catalog):
    for title in (*catalog.dramas, *catalog.osts):
        assert len(set(title.sources)) >= 2, title.id
    with_hangul_roles = sum(1 for d in catalog.dramas for m in d.cast if m.role_ko)
    assert with_hangul_roles / sum(len(d.cast) for d in catalog.dramas) > 0.9


def test_an_entry_with_fewer_than_two_sources_or_a_bad_one_is_refused():
    data = shipped()
    data["drama"][0]["sources"] = ["https://example.org/one"]
    data["drama"][1]["sources"] = ["https://example.org/a", "not a url"]
    del data["ost"][0]["sources"]
    problems = problems_of(data)
    assert any(
        "drama #1 (" in p and "field 'sources': needs at least 2 different pages" in p for p in problems
    )
    assert any("'not a url' is not a web address" in p for p in problems)
    assert any("ost #1 (" in p and "field 'sources'" in p for p in problems)


def test_a_catalog_folder_names_the_file_of_each_problem(tmp_path):
    data = shipped()
    (tmp_path / "moods.toml").write_text((DEFAULT_CATALOG_PATH / "moods.toml").read_text(encoding="utf-8"))
    (tmp_path / "dramas.toml").write_text((DEFAULT_CATALOG_PATH / "dramas.toml").read_text(encoding="utf-8"))
    (tmp_path / "extra.toml").write_text('[[ost]]\nid = "x"\nsong = "X"\nartist = "Y"\ndrama = "nope"\n')
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    assert any(
        p.startswith("extra.toml: ost #1 (x): field 'scene': is required") for p in info.value.problems
    )
    assert len(data["drama"]) == len(load_catalog(DEFAULT_CATALOG_PATH).dramas)


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
    ours = " ".join(p.read_text(encoding="utf-8") for p in DEFAULT_CATALOG_PATH.glob("*.toml"))
    words = ours.split()
    # No run of eight words of our text appears in the articles.
    for i in range(len(words) - 8):
        run = " ".join(words[i : i + 8])
        assert run not in article, run


def test_unknown_key_is_named():
    data = shipped()
    data["drama"][0]["rating"] = 5
    first = data["drama"][0]["id"]
    assert any(f"drama #1 ({first}): unknown field 'rating'" in p for p in problems_of(data))


def test_missing_and_mistyped_fields_are_named():
    data = shipped()
    del data["drama"][1]["hangul"]
    data["drama"][2]["year"] = "2016"
    data["drama"][3]["tears"] = 9
    data["drama"][4]["era"] = "future"
    problems = problems_of(data)
    second, third = data["drama"][1]["id"], data["drama"][2]["id"]
    assert f"drama #2 ({second}): field 'hangul': is required" in problems
    assert any(f"drama #3 ({third}): field 'year': expected a whole number" in p for p in problems)
    assert any("field 'tears': 9 is outside 1..5" in p for p in problems)
    assert any("field 'era': 'future' is not one of historical, modern" in p for p in problems)


def test_duplicate_ids_and_dangling_ost_links_are_named():
    data = shipped()
    first = data["drama"][0]["id"]
    data["drama"][1]["id"] = first
    data["ost"][0]["drama"] = "no-such-drama"
    problems = problems_of(data)
    assert any(f"'{first}': duplicate id" in p for p in problems)
    assert any(
        f"ost '{data['ost'][0]['id']}': field 'drama': no drama has id 'no-such-drama'" in p for p in problems
    )


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
    assert any(
        f"drama #2 ({data['drama'][1]['id']}) cast #1: field 'role': is required" in p for p in problems
    )


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
    wanted = [d for d in catalog.dramas if "time" in d.moods and d.era == "modern" and d.tears >= 4]
    assert catalog.filter_dramas(mood="time", era="modern", min_tears=4) == wanted


def test_an_unknown_title_names_only_genuinely_close_titles(catalog):
    with pytest.raises(UnknownTitle) as info:
        catalog.find_drama("zzzz qqqq")
    assert info.value.closest == []
    assert "zzzz qqqq" in info.value.render("en-US")
    assert "zzzz qqqq" in info.value.render("ko") and "찾지 못했어요" in info.value.render("ko")
    with pytest.raises(UnknownTitle) as info:
        catalog.find_drama("Hotel King")
    assert "Hotel Del Luna" in [name("en") for name in info.value.closest]
