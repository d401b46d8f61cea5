"""The message catalogues and the command translator."""

from __future__ import annotations

import re

import discord
import pytest
from discord import app_commands

from bot.i18n import DEFAULT, LANGUAGES, Translator, catalogue, language_of, messages, placeholders, t


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
