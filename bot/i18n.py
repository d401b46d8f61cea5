"""One message catalogue per language (bot/locales/*.toml); English is the default and the fallback.

`t(locale, "pick.cast")` renders a string for a Discord locale such as "ko" or "en-US". Code never
holds user-facing sentences: it holds keys. The same catalogues feed the command translator.
"""

from __future__ import annotations

import re
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
    language = language_of(locale)
    text = messages(language).get(key) or messages(DEFAULT)[key]
    text = text.format(**params) if params else text
    if language == "ko":
        text = with_particles(text)
    return _MENTION.sub(_mention, text)


# --- command mentions ----------------------------------------------------------------------------
# Catalogues write a command as `</tears forget>`; it renders as Discord's clickable mention
# `</tears forget:ID>`, which every member sees in their own language, once the bot knows its
# commands' ids (after a sync, or from the last one). Until then it is plain `/tears forget`.
_MENTION = re.compile(r"</([a-z][a-z ]*)>")
_command_ids: dict[str, int] = {}


def set_command_ids(ids: dict[str, int]) -> None:
    """The registered top-level commands' ids by name, e.g. {"tears": 123}."""
    _command_ids.clear()
    _command_ids.update(ids)


def _mention(match: re.Match[str]) -> str:
    name = match[1]
    command_id = _command_ids.get(name.split()[0])
    return f"</{name}:{command_id}>" if command_id else f"/{name}"


# --- Korean particles ----------------------------------------------------------------------------
# A catalogue writes both forms, e.g. “{query}”(이)라는; the one that fits the word before it is
# chosen here, so no member ever sees a "(으)로"-style placeholder.
_PARTICLES = {
    "(이)라는": ("이라는", "라는"), "(이)라고": ("이라고", "라고"), "(이)에요": ("이에요", "예요"),
    "(으)로": ("으로", "로"), "은(는)": ("은", "는"), "이(가)": ("이", "가"), "을(를)": ("을", "를"),
    "과(와)": ("과", "와"), "(이)나": ("이나", "나"),
}  # fmt: skip
_PARTICLE = re.compile("|".join(re.escape(p) for p in _PARTICLES))
# Closing quotes, brackets and markdown between a word and its particle.
_SKIP = set("”’\"')]}*_`~ ")
# Latin letters and digits as Korean readers say them at the end of a word: a final n, m, ng or l
# (Goblin 고블린, Dream 드림, King 킹, Signal 시그널) and 0, 1, 3, 6, 7, 8 (영 일 삼 육 칠 팔) end in a
# consonant; l, 1, 7, 8 in ㄹ. Most other endings are read with a vowel (Mister 미스터, Bad 배드).
_LATIN_FINAL = {"l": "ㄹ", "m": "ㅁ", "n": "ㄴ"}
_DIGIT_FINAL = {"0": "ㅇ", "1": "ㄹ", "3": "ㅁ", "6": "ㄱ", "7": "ㄹ", "8": "ㄹ"}


def final_consonant(word: str) -> str | None:
    """The last sound's final consonant (jongseong) as a jamo, or None if it ends in a vowel."""
    for ch in reversed(word):
        if ch in _SKIP:
            continue
        if "가" <= ch <= "힣":
            index = (ord(ch) - 0xAC00) % 28
            return None if index == 0 else "ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"[index - 1]
        if ch.isdigit():
            return _DIGIT_FINAL.get(ch)
        if ch.isascii() and ch.isalpha():
            lower = word.lower().rstrip("".join(_SKIP))
            if lower.endswith("ng"):
                return "ㅇ"
            return _LATIN_FINAL.get(ch.lower())
        return None
    return None


def particle(word: str, template: str) -> str:
    """The form of a particle template (e.g. "(으)로") that fits after `word`."""
    with_final, without = _PARTICLES[template]
    final = final_consonant(word)
    if template == "(으)로":
        return without if final in (None, "ㄹ") else with_final
    return without if final is None else with_final


def with_particles(text: str) -> str:
    """Resolve every particle template in a rendered Korean string by the word just before it (for a
    command mention, by the command's Korean name, which is what the member sees)."""

    def before(end: int) -> str:
        head = text[:end]
        mention = re.search(r"</([a-z][a-z ]*)>$", head)
        if mention is None:
            return head
        names = catalogue("ko").get("command_names", {})
        return " ".join(names.get(part, part) for part in mention[1].split())

    return _PARTICLE.sub(lambda m: particle(before(m.start()), m[0]), text)


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
