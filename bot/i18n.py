"""One message catalogue per language (bot/locales/*.toml); English is the default and the fallback.

`t(locale, "pick.cast")` renders a string for a Discord locale such as "ko" or "en-US". Code never
holds user-facing sentences: it holds keys. The same catalogues feed the command translator.
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from importlib import resources
from typing import Any

import discord
from discord import app_commands

DEFAULT = "en"
LANGUAGES = ("en", "ko")
_COMMAND_SECTIONS = ("command_names", "option_names", "descriptions", "choices")


def language_of(locale: discord.Locale | str | None) -> str:
    """'ko' for Korean, 'en' for everything we have no catalogue for (en-US, en-GB, fr…)."""
    code = str(locale or DEFAULT).split("-")[0].lower()
    return code if code in LANGUAGES else DEFAULT


@cache
def catalogue(language: str) -> dict[str, Any]:
    text = resources.files("bot.locales").joinpath(f"{language}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def messages(language: str) -> dict[str, str]:
    """The flat `section.key -> text` messages of one language (command tables excluded). Built once."""
    flat: dict[str, str] = {}
    for section, entries in catalogue(language).items():
        if section in _COMMAND_SECTIONS:
            continue
        for key, text in entries.items():
            flat[f"{section}.{key}"] = text
    return flat


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def t(locale: discord.Locale | str | None, key: str, **params: Any) -> str:
    text = messages(language_of(locale)).get(key) or messages(DEFAULT)[key]
    return text.format(**params) if params else text


class Translator(app_commands.Translator):
    """Gives every command, option and choice its Korean name and description.

    Names and descriptions are looked up by where Discord shows them and their English text; mood
    choices come from the catalog (their Korean labels live there) and carry the mood id as an extra.
    """

    def __init__(self, mood_labels: dict[str, dict[str, str]] | None = None) -> None:
        self._mood_labels = mood_labels or {}

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContext,
    ) -> str | None:
        language = language_of(locale)
        if language == DEFAULT:
            return None
        mood = string.extras.get("mood")
        if mood is not None:
            return self._mood_labels.get(language, {}).get(mood)
        loc = app_commands.TranslationContextLocation
        section = {
            loc.command_name: "command_names",
            loc.group_name: "command_names",
            loc.parameter_name: "option_names",
            loc.command_description: "descriptions",
            loc.group_description: "descriptions",
            loc.parameter_description: "descriptions",
            loc.choice_name: "choices",
        }.get(context.location)
        if section is None:
            return None
        return catalogue(language).get(section, {}).get(string.message)


def _(text: str, **extras: Any) -> app_commands.locale_str:
    """Mark a command name, description or choice for translation."""
    return app_commands.locale_str(text, **extras)
