"""The catalog of sad K-dramas and their OSTs: loaded from TOML, validated whole, then read-only.

A broken file never half-loads: `load_catalog` either returns a complete `Catalog` or raises
`CatalogError` listing every problem with the file, the entry and the field.
"""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bot.config import OperatorError
from bot.errors import UnknownTitle
from bot.search import SearchIndex

ERAS = ("historical", "modern")
MAX_TEARS = 5

# Discord limits for text that ends up in a poll answer, an embed or a choice.
POLL_ANSWER_MAX = 55
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELD_MAX = 1024
CHOICE_NAME_MAX = 100
MAX_CHOICES = 25

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class CatalogError(OperatorError):
    """The catalog file is unusable; `problems` names each bad entry and field."""

    label = "Catalog error"

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:20])
        more = f"\n  … and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{path}: the catalog has {len(self.problems)} problem(s):\n{shown}{more}")


@dataclass(frozen=True, slots=True)
class Mood:
    id: str
    label: str
    emoji: str
    label_ko: str = ""

    def label_for(self, language: str) -> str:
        return self.label_ko if language == "ko" and self.label_ko else self.label


@dataclass(frozen=True, slots=True)
class CastMember:
    actor: str
    role: str
    aliases: tuple[str, ...] = ()
    actor_ko: str = ""
    role_ko: str = ""

    def actor_for(self, language: str) -> str:
        return self.actor_ko if language == "ko" and self.actor_ko else self.actor

    def role_for(self, language: str) -> str:
        return self.role_ko if language == "ko" and self.role_ko else self.role


@dataclass(frozen=True, slots=True)
class Drama:
    id: str
    title: str
    hangul: str
    year: int
    network: str
    era: str
    tears: int
    moods: tuple[str, ...]
    cast: tuple[CastMember, ...]
    pitch: str
    spoiler: str
    aliases: tuple[str, ...] = ()
    pitch_ko: str = ""
    spoiler_ko: str = ""
    sources: tuple[str, ...] = ()
    suggested_by: str = ""  # a member's display name, for an entry of a server's own catalog

    kind = "drama"

    @property
    def display(self) -> str:
        return self.title

    def display_for(self, language: str) -> str:
        """Korean readers see the Hangul title, everyone else the English one."""
        return self.hangul if language == "ko" and self.hangul else self.title

    def pitch_for(self, language: str) -> str:
        return self.pitch_ko if language == "ko" and self.pitch_ko else self.pitch

    def spoiler_for(self, language: str) -> str:
        return self.spoiler_ko if language == "ko" and self.spoiler_ko else self.spoiler


@dataclass(frozen=True, slots=True)
class Ost:
    id: str
    song: str
    artist: str
    drama_id: str
    scene: str
    hangul: str = ""
    artist_hangul: str = ""
    aliases: tuple[str, ...] = ()
    artist_aliases: tuple[str, ...] = ()
    scene_ko: str = ""
    sources: tuple[str, ...] = ()
    suggested_by: str = ""

    kind = "ost"

    @property
    def display(self) -> str:
        return f"{self.song} — {self.artist}"

    def display_for(self, language: str) -> str:
        if language == "ko":
            return f"{self.hangul or self.song} — {self.artist_hangul or self.artist}"
        return self.display

    def scene_for(self, language: str) -> str:
        return self.scene_ko if language == "ko" and self.scene_ko else self.scene


Title = Drama | Ost
T = TypeVar("T", Drama, Ost)


@dataclass(slots=True)
class Catalog:
    """Read-only after load; lookups and search answer from memory (autocomplete has 3 seconds)."""

    path: Path
    moods: dict[str, Mood]
    dramas: tuple[Drama, ...]
    osts: tuple[Ost, ...]
    _by_id: dict[str, Title] = field(default_factory=dict)
    _osts_by_drama: dict[str, tuple[Ost, ...]] = field(default_factory=dict)
    _drama_index: SearchIndex[Drama] | None = None
    _ost_index: SearchIndex[Ost] | None = None

    def __post_init__(self) -> None:
        self._by_id = {t.id: t for t in (*self.dramas, *self.osts)}
        grouped: dict[str, list[Ost]] = {}
        for ost in self.osts:
            grouped.setdefault(ost.drama_id, []).append(ost)
        self._osts_by_drama = {k: tuple(v) for k, v in grouped.items()}
        self._drama_index = SearchIndex([(d, drama_keys(d)) for d in self.dramas])
        self._ost_index = SearchIndex([(o, ost_keys(o, self.drama(o.drama_id))) for o in self.osts])

    def get(self, title_id: str) -> Title | None:
        return self._by_id.get(title_id)

    def drama(self, drama_id: str) -> Drama:
        title = self._by_id[drama_id]
        assert isinstance(title, Drama)
        return title

    def osts_for(self, drama_id: str) -> tuple[Ost, ...]:
        return self._osts_by_drama.get(drama_id, ())

    def filter_dramas(
        self, *, mood: str | None = None, era: str | None = None, min_tears: int | None = None
    ) -> list[Drama]:
        return [
            d
            for d in self.dramas
            if (mood is None or mood in d.moods)
            and (era is None or d.era == era)
            and (min_tears is None or d.tears >= min_tears)
        ]

    def search_dramas(self, query: str, limit: int = MAX_CHOICES) -> list[Drama]:
        assert self._drama_index is not None
        return self._drama_index.search(query, limit)

    def search_osts(self, query: str, limit: int = MAX_CHOICES) -> list[Ost]:
        assert self._ost_index is not None
        return self._ost_index.search(query, limit)

    def suggest_dramas(self, current: str) -> list[Drama]:
        """Autocomplete: the best matches, or the first titles while nothing is typed."""
        return self.search_dramas(current) if current.strip() else list(self.dramas[:MAX_CHOICES])

    def suggest_osts(self, current: str) -> list[Ost]:
        return self.search_osts(current) if current.strip() else list(self.osts[:MAX_CHOICES])

    def find_drama(self, query: str) -> Drama:
        """An autocomplete value (an id) or free text; `UnknownTitle` names the closest dramas."""
        assert self._drama_index is not None
        return self._find(query, Drama, self._drama_index)

    def find_ost(self, query: str) -> Ost:
        assert self._ost_index is not None
        return self._find(query, Ost, self._ost_index)

    def _find(self, query: str, kind: type[T], index: SearchIndex[T]) -> T:
        """Only a title close enough to what was typed, never a guess; several that the query names
        equally (a drama's songs, an artist's) take turns at random."""
        exact = self._by_id.get(query.strip())
        if isinstance(exact, kind):
            return exact
        found = index.find(query)
        if found:
            return random.choice(found)
        raise UnknownTitle(query, [t.display_for for t in index.closest(query, 3)])


def drama_keys(d: Drama) -> list[tuple[str, float]]:
    """Search keys with weights: titles count fully, cast names a little less."""
    keys = [(d.title, 1.0), (d.hangul, 1.0), *((a, 1.0) for a in d.aliases)]
    for member in d.cast:
        keys += [(member.actor, 0.85), *((a, 0.85) for a in member.aliases)]
        if member.actor_ko:
            keys.append((member.actor_ko, 0.85))
    return keys


def ost_keys(o: Ost, drama: Drama) -> list[tuple[str, float]]:
    # Fans also type the artist with the song ("crush beautiful"), in either order.
    keys = [(o.song, 1.0), *((a, 1.0) for a in o.aliases), (o.artist, 0.95)]
    keys += [(f"{o.artist} {o.song}", 1.0), (f"{o.song} {o.artist}", 1.0)]
    if o.hangul and o.artist_hangul:
        keys.append((f"{o.artist_hangul} {o.hangul}", 1.0))
    keys += [(a, 0.95) for a in o.artist_aliases]
    if o.hangul:
        keys.append((o.hangul, 1.0))
    if o.artist_hangul:
        keys.append((o.artist_hangul, 0.95))
    keys += [(drama.title, 0.9), (drama.hangul, 0.9), *((a, 0.9) for a in drama.aliases)]
    return keys


# --- loading and validation ---------------------------------------------------------------------


class _Entry:
    """Reads one table of the file, recording a problem per bad field instead of stopping."""

    def __init__(self, where: str, data: Any, problems: list[str], allowed: Iterable[str]) -> None:
        self.where = where
        self.problems = problems
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        if not isinstance(data, dict):
            problems.append(f"{where}: expected a table, got {type(data).__name__}")
        for key in self.data:
            if key not in allowed:
                problems.append(f"{where}: unknown field {key!r} (allowed: {', '.join(sorted(allowed))})")

    def _bad(self, name: str, message: str) -> None:
        self.problems.append(f"{self.where}: field {name!r}: {message}")

    def text(self, name: str, *, max_len: int, required: bool = True, default: str = "") -> str:
        value = self.data.get(name)
        if value is None:
            if required:
                self._bad(name, "is required")
            return default
        if not isinstance(value, str):
            self._bad(name, f"expected text, got {type(value).__name__}")
            return default
        value = value.strip()
        if required and not value:
            self._bad(name, "must not be empty")
        elif len(value) > max_len:
            self._bad(name, f"is {len(value)} characters; Discord allows at most {max_len} here")
        return value

    def integer(self, name: str, *, low: int, high: int) -> int:
        value = self.data.get(name)
        if value is None:
            self._bad(name, "is required")
            return low
        if not isinstance(value, int) or isinstance(value, bool):
            self._bad(name, f"expected a whole number, got {value!r}")
            return low
        if not low <= value <= high:
            self._bad(name, f"{value} is outside {low}..{high}")
        return value

    def texts(self, name: str, *, max_len: int, required: bool = False) -> tuple[str, ...]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self._bad(name, "expected a list of text")
            return ()
        if required and not value:
            self._bad(name, "needs at least one entry")
        for v in value:
            if not v.strip():
                self._bad(name, "contains an empty entry")
            elif len(v) > max_len:
                self._bad(name, f"entry {v[:30]!r}… is longer than {max_len} characters")
        return tuple(v.strip() for v in value)

    def sources(self) -> tuple[str, ...]:
        """Where the entry's facts were checked: at least two independent pages, by address."""
        found = self.texts("sources", max_len=500)
        for source in found:
            if not _SOURCE.match(source):
                self._bad("sources", f"{source[:60]!r} is not a web address (http…) or seed:<article>.txt")
        if len(set(found)) < MIN_SOURCES:
            self._bad("sources", f"needs at least {MIN_SOURCES} different pages that confirm the facts")
        return found

    def choice(self, name: str, options: Sequence[str]) -> str:
        value = self.text(name, max_len=40)
        if value and value not in options:
            self._bad(name, f"{value!r} is not one of {', '.join(options)}")
        return value

    def identifier(self, name: str = "id") -> str:
        value = self.text(name, max_len=40)
        if value and not _ID.match(value):
            self._bad(name, f"{value!r} must be lowercase letters, digits and dashes (at most 40)")
        return value


_MOOD_FIELDS = {"label", "emoji", "label_ko"}
_CAST_FIELDS = {"actor", "role", "aliases", "actor_ko", "role_ko"}
_DRAMA_FIELDS = {
    "id", "title", "hangul", "aliases", "year", "network", "era", "tears", "moods", "cast", "pitch", "spoiler",
    "pitch_ko", "spoiler_ko", "sources",
}  # fmt: skip
_OST_FIELDS = {
    "id", "song", "hangul", "artist", "artist_hangul", "artist_aliases", "drama", "scene", "aliases", "scene_ko",
    "sources",
}  # fmt: skip
MIN_SOURCES = 2
# A source is a page's address, or one of the two fan articles the catalog grew from (shared/seeds).
_SOURCE = re.compile(r"^(https?://\S+|seed:[0-9a-z_]+\.txt)$")
_TOP_FIELDS = {"moods", "drama", "ost"}


def _parse_moods(raw: Any, problems: list[str]) -> dict[str, Mood]:
    if not isinstance(raw, dict) or not raw:
        problems.append("[moods]: expected a table of moods, e.g. [moods.grief] label = 'Grief'")
        return {}
    if len(raw) > MAX_CHOICES:
        problems.append(f"[moods]: {len(raw)} moods; a Discord option allows at most {MAX_CHOICES} choices")
    moods: dict[str, Mood] = {}
    for mood_id, body in raw.items():
        entry = _Entry(f"mood {mood_id!r}", body, problems, _MOOD_FIELDS)
        if not _ID.match(mood_id) or len(mood_id) > 20:
            problems.append(f"mood {mood_id!r}: id must be lowercase letters, digits and dashes (at most 20)")
        moods[mood_id] = Mood(
            id=mood_id,
            label=entry.text("label", max_len=CHOICE_NAME_MAX - 4),
            emoji=entry.text("emoji", max_len=8, required=False),
            label_ko=entry.text("label_ko", max_len=CHOICE_NAME_MAX - 4, required=False),
        )
    return moods


def _parse_cast(where: str, raw: Any, problems: list[str]) -> tuple[CastMember, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: field 'cast': expected a list of {{ actor = …, role = … }}")
        return ()
    cast = []
    for i, body in enumerate(raw, 1):
        entry = _Entry(f"{where} cast #{i}", body, problems, _CAST_FIELDS)
        cast.append(
            CastMember(
                actor=entry.text("actor", max_len=80),
                role=entry.text("role", max_len=80),
                aliases=entry.texts("aliases", max_len=80),
                actor_ko=entry.text("actor_ko", max_len=80, required=False),
                role_ko=entry.text("role_ko", max_len=80, required=False),
            )
        )
    rendered = len(render_cast(cast))
    if rendered > EMBED_FIELD_MAX:
        problems.append(f"{where}: field 'cast': renders to {rendered} characters; an embed field holds 1024")
    return tuple(cast)


def render_cast(cast: Iterable[CastMember]) -> str:
    """The one place the cast list is formatted, so validation measures what the embed shows."""
    return "\n".join(f"{m.actor} as {m.role}" for m in cast)


def _parse_drama(file: str, index: int, raw: Any, moods: dict[str, Mood], problems: list[str]) -> Drama:
    hint = raw.get("id", "?") if isinstance(raw, dict) else "?"
    where = f"{file}drama #{index} ({hint})"
    e = _Entry(where, raw, problems, _DRAMA_FIELDS)
    drama_moods = e.texts("moods", max_len=20, required=True)
    for m in drama_moods:
        if moods and m not in moods:
            problems.append(f"{where}: field 'moods': {m!r} is not defined under [moods]")
    return Drama(
        id=e.identifier(),
        title=e.text("title", max_len=POLL_ANSWER_MAX),
        hangul=e.text("hangul", max_len=POLL_ANSWER_MAX),
        aliases=e.texts("aliases", max_len=CHOICE_NAME_MAX),
        year=e.integer("year", low=1950, high=2100),
        network=e.text("network", max_len=40),
        era=e.choice("era", ERAS),
        tears=e.integer("tears", low=1, high=MAX_TEARS),
        moods=drama_moods,
        cast=_parse_cast(where, e.data.get("cast"), problems),
        pitch=e.text("pitch", max_len=EMBED_DESCRIPTION_MAX // 4),
        # Wrapped in ||spoiler|| tags when shown: four characters fewer than a field holds.
        spoiler=e.text("spoiler", max_len=EMBED_FIELD_MAX - 4),
        pitch_ko=e.text("pitch_ko", max_len=EMBED_DESCRIPTION_MAX // 4, required=False),
        spoiler_ko=e.text("spoiler_ko", max_len=EMBED_FIELD_MAX - 4, required=False),
        sources=e.sources(),
    )


def _parse_ost(file: str, index: int, raw: Any, problems: list[str]) -> Ost:
    hint = raw.get("id", "?") if isinstance(raw, dict) else "?"
    e = _Entry(f"{file}ost #{index} ({hint})", raw, problems, _OST_FIELDS)
    return Ost(
        id=e.identifier(),
        song=e.text("song", max_len=80),
        hangul=e.text("hangul", max_len=80, required=False),
        artist=e.text("artist", max_len=80),
        artist_hangul=e.text("artist_hangul", max_len=80, required=False),
        artist_aliases=e.texts("artist_aliases", max_len=80),
        drama_id=e.text("drama", max_len=40),
        scene=e.text("scene", max_len=EMBED_FIELD_MAX - 4),
        aliases=e.texts("aliases", max_len=CHOICE_NAME_MAX),
        scene_ko=e.text("scene_ko", max_len=EMBED_FIELD_MAX - 4, required=False),
        sources=e.sources(),
    )


def parse_catalog(
    path: Path, data: dict[str, Any], files: Sequence[tuple[str, dict[str, Any]]] = ()
) -> Catalog:
    """Validate a whole catalog: one file's `data`, or several `files` (name, data) read as one."""
    problems: list[str] = []
    parts = list(files) or [("", data)]
    moods_raw: dict[str, Any] = {}
    for name, part in parts:
        where = f"{name}: " if name else ""
        for key in part:
            if key not in _TOP_FIELDS:
                problems.append(f"{where}top level: unknown section {key!r} (allowed: moods, drama, ost)")
        raw = part.get("moods", {})
        if isinstance(raw, dict):
            for mood_id in raw:
                if mood_id in moods_raw:
                    problems.append(f"{where}mood {mood_id!r}: defined twice")
            moods_raw.update(raw)
        else:
            moods_raw = raw  # reported by _parse_moods
    moods = _parse_moods(moods_raw, problems)

    def entries(kind: str, parse: Callable[[str, int, Any], Any]) -> list[Any]:
        found = []
        for name, part in parts:
            raw = part.get(kind, [])
            if not isinstance(raw, list):
                where = f"{name}: " if name else ""
                problems.append(f"{where}top level: {kind!r} must be an array of tables ([[{kind}]])")
                continue
            found += [parse(f"{name}: " if name else "", i, body) for i, body in enumerate(raw, 1)]
        return found

    dramas: list[Drama] = entries("drama", lambda w, i, b: _parse_drama(w, i, b, moods, problems))
    osts: list[Ost] = entries("ost", lambda w, i, b: _parse_ost(w, i, b, problems))
    if not dramas:
        problems.append("top level: the catalog has no [[drama]] entries")

    seen: dict[str, str] = {}
    for kind, title in [("drama", d) for d in dramas] + [("ost", o) for o in osts]:
        if title.id and title.id in seen:
            problems.append(f"{kind} {title.id!r}: duplicate id (already used by a {seen[title.id]})")
        seen.setdefault(title.id, kind)
    drama_ids = {d.id for d in dramas}
    for ost in osts:
        if ost.drama_id and ost.drama_id not in drama_ids:
            problems.append(f"ost {ost.id!r}: field 'drama': no drama has id {ost.drama_id!r}")

    if problems:
        raise CatalogError(path, problems)
    return Catalog(path=path, moods=moods, dramas=tuple(dramas), osts=tuple(osts))


def read_toml(path: Path, label: str) -> dict[str, Any]:
    where = f"{label}: " if label else ""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(path, [f"{where}cannot read the file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise CatalogError(path, [f"{where}the file is not UTF-8 text"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(path, [f"{where}not valid TOML: {exc}"]) from None
    except RecursionError:
        raise CatalogError(path, [f"{where}not valid TOML: nested too deeply to read"]) from None


def load_catalog(path: Path) -> Catalog:
    """A catalog file, or a folder whose .toml files (moods, dramas, OSTs…) are read as one catalog."""
    return parse_files(path, catalog_files(path))


def catalog_files(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """The (name, data) of a catalog file, or of each .toml file in a catalog folder."""
    if path.is_dir():
        names = sorted(p for p in path.glob("*.toml") if p.is_file())
        if not names:
            raise CatalogError(path, ["the folder has no .toml files"])
        return [(p.name, read_toml(p, p.name)) for p in names]
    return [("", read_toml(path, ""))]


def parse_files(path: Path, files: Sequence[tuple[str, dict[str, Any]]]) -> Catalog:
    """Validate files read as one catalog; any problem is a CatalogError, never a crash."""
    try:
        return parse_catalog(path, {}, files)
    except CatalogError:
        raise
    except (RecursionError, TypeError, ValueError, AttributeError, KeyError) as exc:
        # parse_catalog names every problem it expects; a shape nobody would write still gets one line.
        raise CatalogError(
            path, [f"the file's structure is not a catalog's ({type(exc).__name__})"]
        ) from None
