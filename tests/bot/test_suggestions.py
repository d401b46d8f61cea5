"""Cleaning what members type, and each server's catalog built from approved suggestions."""

from __future__ import annotations

import pytest

from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG_PATH
from bot.suggestions import ServerCatalogs, as_drama, clean, new_suggestion, title_id

CATALOG = load_catalog(DEFAULT_CATALOG_PATH)
FORM = {"title": "Paper Lanterns", "hangul": "종이 등불", "aired": "JTBC 2023", "pitch": "…", "spoiler": ""}


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("@everyone look", "＠everyone look"),
        ("hi <@123> <@!4> <@&5> <#6> </cry:7> <:sob:8> <a:x:9> <t:1:R>", "hi"),
        ("see https://example.com/x and www.example.org and discord.gg/abc", "see and and"),
        ("**bold** __under__ ~~gone~~ # head [a](b)", "bold under gone head a(b)"),
        ("a\u200bb\u202ec\x00d", "abcd"),
        ("  many   spaces\n\nand lines ", "many spaces and lines"),
    ],
)
def test_one_line_fields_keep_words_and_lose_markup(typed, kept):
    assert clean(typed, 100) == kept


def test_prose_keeps_its_lines_but_never_a_spoiler_bar_or_code():
    assert clean("one ||two||\n\n\n\nthree `x`", 100, multiline=True) == "one two\n\nthree x"


def test_fields_are_cut_to_their_limit():
    assert clean("ㅠ" * 5000, 400) == "ㅠ" * 400


def test_a_year_anywhere_in_aired_is_the_year_and_the_rest_the_network():
    drama = as_drama(new_suggestion(1, 7, "drama", FORM, 9, "Mina"), FORM)
    assert (drama.year, drama.network) == (2023, "JTBC")
    no_year = as_drama(
        new_suggestion(1, 7, "drama", {**FORM, "aired": "KBS2"}, 9, "Mina"), {**FORM, "aired": "KBS2"}
    )
    assert (no_year.year, no_year.network) == (0, "KBS2")


def test_only_the_server_that_approved_an_entry_gets_it():
    catalogs = ServerCatalogs(CATALOG)
    suggestion = new_suggestion(42, 7, "drama", FORM, 9, "Mina")
    catalogs.add(suggestion, FORM)
    assert catalogs.for_guild(7).get(title_id(42)) is not None
    assert catalogs.for_guild(8) is CATALOG and CATALOG.get(title_id(42)) is None
    assert catalogs.for_guild(7).find_drama("paper lanterns").id == title_id(42)
    catalogs.remove(7, 42)
    assert catalogs.for_guild(7) is CATALOG
