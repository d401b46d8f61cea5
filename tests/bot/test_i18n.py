"""The message catalogues and the command translator."""

from __future__ import annotations

import re

import discord
import pytest
from discord import app_commands

from bot.i18n import (
    DEFAULT,
    LANGUAGES,
    Translator,
    catalogue,
    language_of,
    messages,
    particle,
    placeholders,
    set_command_ids,
    t,
)


def test_every_english_message_has_a_korean_translation():
    missing = sorted(set(messages("en")) - set(messages("ko")))
    assert missing == [], f"Korean lacks: {missing}"


def test_no_translation_carries_a_key_english_lacks():
    assert sorted(set(messages("ko")) - set(messages("en"))) == []


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != DEFAULT])
def test_translations_keep_the_placeholders(language):
    english, other = messages("en"), messages(language)
    wrong = [key for key in other if placeholders(other[key]) != placeholders(english[key])]
    assert wrong == []


def test_a_missing_string_falls_back_to_english(monkeypatch):
    monkeypatch.delitem(messages("ko"), "pick.again")
    assert t("ko", "pick.again") == "Another one"


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        (discord.Locale.korean, "ko"),
        ("ko", "ko"),
        (discord.Locale.american_english, "en"),
        ("fr", "en"),
        (None, "en"),
    ],
)
def test_locales_map_to_a_catalogue(locale, language):
    assert language_of(locale) == language


def test_korean_command_names_follow_discords_rules():
    for section in ("command_names", "option_names"):
        for english, korean in catalogue("ko")[section].items():
            assert re.fullmatch(r"[-_\w]{1,32}", korean) and korean == korean.lower(), (english, korean)
    for korean in catalogue("ko")["descriptions"].values():
        assert 1 <= len(korean) <= 100
    for korean in catalogue("ko")["choices"].values():
        assert 1 <= len(korean) <= 100


async def test_the_translator_answers_by_location_and_leaves_english_alone():
    translator = Translator({"ko": {"grief": "🕯️ 상실과 이별"}})
    loc = app_commands.TranslationContextLocation
    name = app_commands.TranslationContext(location=loc.parameter_name, data=None)
    choice = app_commands.TranslationContext(location=loc.choice_name, data=None)
    ko, en = discord.Locale.korean, discord.Locale.american_english
    assert await translator.translate(app_commands.locale_str("tears"), ko, name) == "눈물지수"
    group = app_commands.TranslationContext(location=loc.group_name, data=None)
    assert await translator.translate(app_commands.locale_str("tears"), ko, group) == "눈물"
    assert (
        await translator.translate(app_commands.locale_str("🕯️ Grief", mood="grief"), ko, choice)
        == "🕯️ 상실과 이별"
    )
    assert await translator.translate(app_commands.locale_str("tears"), en, name) is None


@pytest.mark.parametrize(
    ("word", "template", "expected"),
    [
        ("도깨비", "(이)라는", "라는"), ("눈물의 여왕", "(이)라는", "이라는"), ("Goblin", "(이)라는", "이라는"),
        ("My Mister", "(이)라는", "라는"), ("Hotel King", "(이)라는", "이라는"), ("2521", "(이)라는", "이라는"),
        ("1994", "(이)라는", "라는"), ("“호텔 델루나”", "(이)라는", "라는"), ("**미생**", "은(는)", "은"),
        ("서울", "(으)로", "로"), ("부산", "(으)로", "으로"), ("시그널", "(으)로", "로"), ("1987", "(으)로", "로"),
        ("투표 설정", "(으)로", "으로"), ("노래", "을(를)", "를"), ("눈물", "이(가)", "이"),
    ],
)  # fmt: skip
def test_korean_particles_follow_the_word_before_them(word, template, expected):
    assert particle(word, template) == expected


def test_no_particle_template_reaches_a_korean_member():
    params = {"query": "Goblin", "text": "25:99", "name": "Mars/Base", "status": 500, "value": "x",
              "command": "</cry>"}  # fmt: skip
    for key, text in messages("ko").items():
        wanted = {name: params.get(name, "값") for name in placeholders(text)}
        rendered = t("ko", key, **wanted)
        assert not re.search(r"\((으|이)\)|[은이을과]\((는|가|를|와)\)", rendered), (key, rendered)


def test_commands_are_mentioned_so_they_render_clickable_in_the_members_language():
    set_command_ids({"poll": 1234567890123456789, "cry": 42})
    try:
        assert (
            t("en", "poll.none")
            == "No weekly poll here yet. Set one up with </poll setup:1234567890123456789>."
        )
        assert (
            t("ko", "poll.none")
            == "아직 주간 투표가 없어요. </poll setup:1234567890123456789>으로 설정해 주세요."
        )
    finally:
        set_command_ids({})
    assert t("en", "poll.none").endswith("Set one up with /poll setup.")  # ids unknown yet: plain text
