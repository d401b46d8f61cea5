"""Members' suggestions: cleaning what they typed, the limits that keep a queue reviewable, checking
for duplicates with the commands' own search, and each server's own catalog built from what admins
approved.

Nothing a member typed can ping, link or format its way out of where it is shown: mention, emoji and
timestamp syntax, links and invites, and the characters that open spoilers or code are taken out
before the text is stored, and poll answers stay plain text.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.catalog import POLL_ANSWER_MAX, Catalog, Drama, Ost, Title, drama_keys
from bot.db.models import Suggestion
from bot.errors import UnknownTitle
from bot.search import SearchIndex

PER_MEMBER_PER_DAY = 3
MAX_PENDING = 25
REASON_MAX = 200

# Field -> longest text it may hold: each fits every place it is shown (a poll answer holds 55).
DRAMA_FIELDS = {
    "title": POLL_ANSWER_MAX,
    "hangul": POLL_ANSWER_MAX,
    "aired": 40,
    "pitch": 400,
    "spoiler": 400,
}
OST_FIELDS = {"song": 60, "artist": 40, "drama": 100, "scene": 400}
MULTILINE = frozenset({"pitch", "spoiler", "scene"})
REQUIRED = {"drama": ("title", "aired", "pitch"), "ost": ("song", "artist", "drama", "scene")}

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_LINK = re.compile(
    r"(?i)(?:\b[a-z][a-z0-9+.-]*://\S*|\bwww\.\S+|\b(?:discord(?:app)?\.(?:gg|com/invite|me)|dsc\.gg)/\S*)"
)
_MASS_MENTION = re.compile(r"(?i)@(everyone|here)")
# Discord's own markup: user, role and channel mentions, command mentions, custom emoji, timestamps.
_MARKUP = re.compile(r"<(?:@[!&]?\d*|#\d*|/[^<>]*|a?:\w*:\d*|t:[^<>]*)>")
# Spoiler bars, code ticks, escapes and angle brackets (mentions, custom emoji, timestamps) anywhere;
# in one-line fields also what would format a title (bold, strike, headings, masked links).
_ALWAYS = str.maketrans("", "", "|`\\<>")
_ONE_LINE = str.maketrans("", "", "*_~#[]")


def clean(text: str, max_len: int, *, multiline: bool = False) -> str:
    """What a member typed, made safe to show anywhere and cut to fit."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = "".join(ch for ch in text if ch in "\n" or unicodedata.category(ch)[0] != "C")
    text = _LINK.sub("", text)
    text = _MARKUP.sub("", text)
    text = _MASS_MENTION.sub(lambda m: "＠" + m[1], text)
    text = text.translate(_ALWAYS)
    if multiline:
        lines = [" ".join(line.split()) for line in text.splitlines()]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    else:
        text = " ".join(text.translate(_ONE_LINE).split())
    return text.strip()[:max_len].strip()


def clean_form(kind: str, raw: dict[str, str]) -> dict[str, str]:
    limits = DRAMA_FIELDS if kind == "drama" else OST_FIELDS
    return {
        name: clean(raw.get(name) or "", limit, multiline=name in MULTILINE) for name, limit in limits.items()
    }


def missing(kind: str, form: dict[str, str]) -> list[str]:
    """Required fields left empty once cleaned (a field of only a link is empty)."""
    return [name for name in REQUIRED[kind] if not form.get(name)]


def title_id(suggestion_id: int) -> str:
    """Catalog ids of a server's own entries: never equal to a shipped id (those start with a letter
    other than "s" followed by digits only)."""
    return f"s{suggestion_id}"


def _year_and_network(aired: str) -> tuple[int, str]:
    """'2016, tvN' or 'tvN 2016' -> (2016, 'tvN'); a year is left out when none is given."""
    match = re.search(r"\b(19[5-9]\d|20\d\d)\b", aired)
    if match is None:
        return 0, aired
    network = (aired[: match.start()] + aired[match.end() :]).strip(" ,·-/()")
    return int(match[1]), " ".join(network.split())


def as_drama(suggestion: Suggestion, form: dict[str, str]) -> Drama:
    year, network = _year_and_network(form["aired"])
    return Drama(
        id=title_id(suggestion.id),
        title=form["title"],
        hangul=form.get("hangul", ""),
        year=year,
        network=network,
        era="",
        tears=0,
        moods=(),
        cast=(),
        pitch=form["pitch"],
        spoiler=form.get("spoiler", ""),
        suggested_by=suggestion.suggested_name,
    )


def as_ost(suggestion: Suggestion, form: dict[str, str], drama_id: str) -> Ost:
    return Ost(
        id=title_id(suggestion.id),
        song=form["song"],
        artist=form["artist"],
        drama_id=drama_id,
        scene=form["scene"],
        suggested_by=suggestion.suggested_name,
    )


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Where a suggestion is already: the title it matches, and whether that is still pending."""

    display: str
    pending: bool


def find_duplicate(
    kind: str, form: dict[str, str], catalog: Catalog, pending: Iterable[Suggestion]
) -> Duplicate | None:
    """The same search the commands use: the server's catalog (shipped and approved entries), then its
    pending suggestions."""
    if kind == "drama":
        queries = [q for q in (form["title"], form.get("hangul", "")) if q]
        for query in queries:
            found = _exact_enough(catalog, query)
            if found is not None:
                return Duplicate(found.display, False)
        waiting = [as_drama(s, json.loads(s.fields)) for s in pending if s.kind == "drama"]
        index = SearchIndex([(d, drama_keys(d)) for d in waiting])
        for query in queries:
            hits = index.find(query)
            if hits:
                return Duplicate(hits[0].display, True)
        return None
    song, artist = form["song"], form["artist"]
    for ost in catalog.search_osts(song, 10):
        if (_same(ost.song, song) or _same(ost.hangul, song)) and any(
            _same(name, artist) for name in (ost.artist, ost.artist_hangul, *ost.artist_aliases)
        ):
            return Duplicate(ost.display, False)
    for suggestion in pending:
        if suggestion.kind == "ost":
            other = json.loads(suggestion.fields)
            if _same(other["song"], song) and _same(other["artist"], artist):
                return Duplicate(f"{other['song']} — {other['artist']}", True)
    return None


def _exact_enough(catalog: Catalog, query: str) -> Drama | None:
    """A drama the search would answer with for this text (not merely a near title)."""
    try:
        return catalog.find_drama(query)
    except UnknownTitle:
        return None


def _same(a: str, b: str) -> bool:
    def key(s: str) -> str:
        return "".join(ch for ch in unicodedata.normalize("NFKC", s).casefold() if ch.isalnum())

    return bool(a) and key(a) == key(b)


class ServerCatalogs:
    """Each server's catalog: the shipped one plus what its admins approved. Servers without entries of
    their own share the shipped catalog; the others get a merged one, rebuilt when an entry comes or
    goes. Autocomplete reads it synchronously, so it lives in memory."""

    def __init__(self, shipped: Catalog) -> None:
        self.shipped = shipped
        self._entries: dict[int, dict[int, tuple[Suggestion, dict[str, str]]]] = {}
        self._merged: dict[int, Catalog] = {}

    def load(self, approved: Iterable[Suggestion]) -> None:
        for suggestion in approved:
            self._entries.setdefault(suggestion.guild_id, {})[suggestion.id] = (
                suggestion,
                json.loads(suggestion.fields),
            )
        self._merged.clear()

    def add(self, suggestion: Suggestion, form: dict[str, str]) -> None:
        self._entries.setdefault(suggestion.guild_id, {})[suggestion.id] = (suggestion, form)
        self._merged.pop(suggestion.guild_id, None)

    def remove(self, guild_id: int, suggestion_id: int) -> None:
        self._entries.get(guild_id, {}).pop(suggestion_id, None)
        self._merged.pop(guild_id, None)

    def for_guild(self, guild_id: int | None) -> Catalog:
        entries = self._entries.get(guild_id or 0)
        if not entries:
            return self.shipped
        merged = self._merged.get(guild_id or 0)
        if merged is None:
            merged = self._merged[guild_id or 0] = self._build(entries.values())
        return merged

    def own_ids(self, guild_id: int) -> set[str]:
        return {title_id(i) for i in self._entries.get(guild_id, {})}

    def _build(self, entries: Iterable[tuple[Suggestion, dict[str, str]]]) -> Catalog:
        shipped = self.shipped
        dramas: list[Drama] = []
        pending_osts: list[tuple[Suggestion, dict[str, str]]] = []
        for suggestion, form in entries:
            if suggestion.kind == "drama":
                dramas.append(as_drama(suggestion, form))
            else:
                pending_osts.append((suggestion, form))
        known = {d.id for d in (*shipped.dramas, *dramas)}
        osts = [as_ost(s, f, f["drama_id"]) for s, f in pending_osts if f.get("drama_id") in known]
        return Catalog(shipped.path, shipped.moods, (*shipped.dramas, *dramas), (*shipped.osts, *osts))


def new_suggestion(
    interaction_id: int, guild_id: int, kind: str, form: dict[str, str], member_id: int, member_name: str
) -> Suggestion:
    return Suggestion(
        id=interaction_id,
        guild_id=guild_id,
        kind=kind,
        fields=json.dumps(form, ensure_ascii=False),
        suggested_by=member_id,
        suggested_name=clean(member_name, 32),
        state="pending",
        reason="",
        created_at=int(time.time()),
        reviewed_by=None,
        reviewed_at=None,
    )


def display(suggestion: Suggestion) -> str:
    form = json.loads(suggestion.fields)
    if suggestion.kind == "drama":
        return " · ".join(x for x in (form.get("title"), form.get("hangul")) if x)
    return f"{form.get('song')} — {form.get('artist')}"


def as_title(suggestion: Suggestion, catalog: Catalog) -> Title | None:
    """The entry as the server's catalog holds it (None for an OST whose drama is not in it)."""
    return catalog.get(title_id(suggestion.id))
