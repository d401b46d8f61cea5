"""A server's approved suggestions as a catalog file, and merging such a file into the shipped catalog.

The export holds what members wrote, in the catalog's own format, with what the catalog also needs
(era, tear rating, moods, cast, two sources) left as comments for the operator to fill in and check.
`python -m bot catalog merge FILE` validates the file together with the catalog, exactly as the bot
loads it, refuses titles the catalog already has, and only then appends the entries.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.catalog import Catalog, CatalogError, catalog_files, load_catalog, parse_files, read_toml
from bot.db import Suggestion
from bot.errors import UnknownTitle

DRAMA_ORDER = (
    "id", "title", "hangul", "aliases", "year", "network", "era", "tears", "moods", "cast", "pitch", "spoiler",
    "pitch_ko", "spoiler_ko", "sources",
)  # fmt: skip
OST_ORDER = (
    "id", "song", "hangul", "aliases", "artist", "artist_hangul", "artist_aliases", "drama", "scene", "scene_ko",
    "sources",
)  # fmt: skip
TO_FILL = {
    "drama": (
        'era = "modern"            # historical | modern',
        "tears = 3                 # 1-5",
        "moods = []                # ids from moods.toml",
        "cast = []                 # { actor, role }, checked like every fact",
        "sources = []              # at least two pages that confirm the facts",
    ),
    "ost": ("sources = []              # at least two pages that confirm the song, artist and drama",),
}


def toml_value(value: Any) -> str:
    """TOML for the values a catalog entry holds: JSON's string escapes are valid TOML basic strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        if value and isinstance(value[0], dict):
            return "[\n" + "".join(f"  {toml_value(v)},\n" for v in value) + "]"
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {type(value).__name__}")


def entry_toml(kind: str, fields: dict[str, Any], *, comment: str = "", to_fill: tuple[str, ...] = ()) -> str:
    order = DRAMA_ORDER if kind == "drama" else OST_ORDER
    lines = [f"# {comment}"] if comment else []
    lines.append(f"[[{kind}]]")
    lines += [
        f"{name} = {toml_value(fields[name])}" for name in order if fields.get(name) not in (None, "", [], ())
    ]
    lines += [f"# {line}" for line in to_fill]
    return "\n".join(lines) + "\n"


def slug(text: str, fallback: str) -> str:
    ascii_only = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    made = re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-")[:40].strip("-")
    return made or fallback


def export(server: str, suggestions: list[Suggestion], catalog: Catalog) -> str:
    """Approved entries as a catalog file; OSTs point at shipped dramas or at dramas in the same file."""
    ids: dict[str, str] = {}
    blocks = [
        f"# Suggestions approved in {server}, exported {datetime.now(UTC):%Y-%m-%d}.\n"
        "# Fill in the commented fields and check every fact against two pages, then run\n"
        "#   python -m bot catalog merge THIS_FILE\n"
    ]
    for s in suggestions:
        form = json.loads(s.fields)
        title = catalog.get(f"s{s.id}")
        if title is None:
            continue
        name = form["title"] if s.kind == "drama" else f"{form['song']} {form['artist']}"
        ids[title.id] = slug(name, f"suggested-{s.id}")
        when = datetime.fromtimestamp(s.created_at, UTC)
        comment = f"Suggested by {s.suggested_name} on {when:%Y-%m-%d}"
        if s.kind == "drama":
            fields: dict[str, Any] = {
                "id": ids[title.id],
                "title": form["title"],
                "hangul": form.get("hangul"),
            }
            year = getattr(title, "year", 0)
            fields |= {"year": year or None, "network": getattr(title, "network", "") or None}
            fields |= {"pitch": form["pitch"], "spoiler": form.get("spoiler")}
        else:
            drama_id = form["drama_id"]
            fields = {
                "id": ids[title.id],
                "song": form["song"],
                "artist": form["artist"],
                "scene": form["scene"],
            }
            fields["drama"] = ids.get(drama_id, drama_id)
        blocks.append(entry_toml(s.kind, fields, comment=comment, to_fill=TO_FILL[s.kind]))
    return "\n".join(blocks)


@dataclass(frozen=True, slots=True)
class Merged:
    dramas: int
    osts: int
    files: tuple[Path, ...]


def merge(catalog_path: Path, file: Path) -> Merged:
    """Validate FILE with the catalog as the bot would load them together, refuse what the catalog
    already has, then append its entries to the catalog's files. Raises CatalogError listing every
    problem; nothing is written unless all is well."""
    parts = catalog_files(catalog_path)
    shipped = parse_files(catalog_path, parts)
    data = read_toml(file, file.name)
    combined = parse_files(catalog_path, [*parts, (file.name, data)])  # every rule the bot applies
    new_dramas = [d for d in combined.dramas if shipped.get(d.id) is None]
    new_osts = [o for o in combined.osts if shipped.get(o.id) is None]
    problems = []
    for drama in new_dramas:
        for query in (drama.title, drama.hangul):
            try:
                found = shipped.find_drama(query)
            except UnknownTitle:
                continue
            problems.append(
                f"{file.name}: drama {drama.id!r}: {query!r} is already in the catalog as {found.id!r}"
            )
            break
    for ost in new_osts:
        for other in shipped.osts_for(ost.drama_id):
            if other.song.casefold() == ost.song.casefold():
                problems.append(
                    f"{file.name}: ost {ost.id!r}: {ost.song!r} is already in the catalog as {other.id!r}"
                )
    if problems:
        raise CatalogError(file, problems)
    raw = {kind: {e["id"]: e for e in data.get(kind, []) if isinstance(e, dict)} for kind in ("drama", "ost")}
    written = []
    for kind, entries in (("drama", new_dramas), ("ost", new_osts)):
        if not entries:
            continue
        target = _file_for(catalog_path, f"{kind}s.toml" if kind == "drama" else "osts.toml")
        text = "\n".join(entry_toml(kind, raw[kind][e.id]) for e in entries)
        with target.open("a", encoding="utf-8") as out:
            out.write("\n" + text)
        written.append(target)
    load_catalog(catalog_path)  # what was written loads, as the bot will load it
    return Merged(len(new_dramas), len(new_osts), tuple(dict.fromkeys(written)))


def _file_for(catalog_path: Path, name: str) -> Path:
    if not catalog_path.is_dir():
        return catalog_path
    preferred = catalog_path / name
    return preferred if preferred.is_file() else sorted(catalog_path.glob("*.toml"))[0]
