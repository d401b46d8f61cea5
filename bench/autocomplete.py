"""/ost autocomplete over a generated 10,000-title catalog, in-process: typed prefixes, one typo, Hangul.
Baseline in the same run: rapidfuzz scoring every key (what a simple implementation does).

    python -m bench.autocomplete [--titles 10000] [--queries 3000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from rapidfuzz import fuzz, process

from bench.common import Goal, median, percentile, report
from bot.catalog import Catalog, parse_catalog
from bot.search import fold
from cogs.ost import choice_name

WORDS = [
    "moon",
    "rain",
    "tear",
    "letter",
    "winter",
    "spring",
    "farewell",
    "memory",
    "star",
    "blue",
    "sea",
    "wind",
    "flower",
    "heart",
    "goodbye",
    "snow",
    "night",
    "dream",
    "promise",
    "shadow",
    "light",
    "river",
    "autumn",
    "echo",
    "whisper",
    "ocean",
    "ember",
    "dawn",
    "sorrow",
]
HANGUL = "가나다라마바사아자차카타파하눈물별빛바람꽃사랑기억겨울봄이별편지바다달밤꿈약속"
ARTISTS = [
    "Heize",
    "IU",
    "Lee",
    "Sun-hee",
    "Baek",
    "Yerin",
    "Ailee",
    "Gummy",
    "Davichi",
    "Punch",
    "Younha",
    "Sondia",
    "Crush",
    "Zion.T",
]


SOURCES = ["https://example.org/one", "https://example.org/two"]


def generated_catalog(titles: int, rng: random.Random) -> Catalog:
    dramas, osts = [], []
    n_dramas = max(1, titles // 5)
    for d in range(n_dramas):
        name = " ".join(rng.choice(WORDS).title() for _ in range(rng.randint(2, 4)))
        dramas.append(
            {
                "id": f"d{d}",
                "title": f"{name} {d}"[:55],
                "hangul": "".join(rng.choice(HANGUL) for _ in range(rng.randint(3, 6))) + f" {d}",
                "year": 2000 + d % 25,
                "network": "tvN",
                "era": "modern",
                "tears": 1 + d % 5,
                "moods": ["sad"],
                "cast": [{"actor": f"Actor {d}", "role": f"Role {d}"}],
                "pitch": "A generated pitch.",
                "spoiler": "A generated spoiler.",
                "sources": SOURCES,
            }
        )
    for o in range(titles):
        song = " ".join(rng.choice(WORDS).title() for _ in range(rng.randint(1, 3)))
        osts.append(
            {
                "id": f"o{o}",
                "song": f"{song} {o}",
                "hangul": "".join(rng.choice(HANGUL) for _ in range(rng.randint(2, 5))),
                "artist": rng.choice(ARTISTS),
                "drama": f"d{o % n_dramas}",
                "scene": "A generated scene.",
                "sources": SOURCES,
            }
        )
    data = {"moods": {"sad": {"label": "Sad"}}, "drama": dramas, "ost": osts}
    return parse_catalog(Path("generated.toml"), data)


def typo(text: str, rng: random.Random) -> str:
    i = rng.randrange(2, len(text)) if len(text) > 3 else len(text) - 1
    return text[:i] + rng.choice("aeioustrn") + text[i + 1 :]


def queries(catalog: Catalog, n: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(kind, query, the OST id it must find) — prefixes as typed, one typo, Hangul."""
    found = []
    for ost in rng.sample(list(catalog.osts), n):
        cut = rng.randint(3, len(ost.song))
        found.append(("prefix", ost.song[:cut], ost.id))
        found.append(("typo", typo(ost.song, rng), ost.id))
        if ost.hangul:
            found.append(("hangul", ost.hangul, ost.id))
    return found


def autocomplete(catalog: Catalog, current: str) -> list[tuple[str, str]]:
    """Exactly what the /ost autocomplete callback computes."""
    return [(choice_name(o, catalog.drama(o.drama_id).title), o.id) for o in catalog.suggest_osts(current)]


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--titles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args(argv)
    rng = random.Random(5)
    started = time.perf_counter()
    catalog = generated_catalog(args.titles, rng)
    built = time.perf_counter() - started
    asked = queries(catalog, min(args.queries, args.titles), rng)
    samples: dict[str, list[float]] = {"prefix": [], "typo": [], "hangul": []}
    hits: dict[str, int] = dict.fromkeys(samples, 0)
    for kind, query, wanted in asked:
        t0 = time.perf_counter()
        choices = autocomplete(catalog, query)
        samples[kind].append(time.perf_counter() - t0)
        hits[kind] += any(value == wanted for _, value in choices)
    all_samples = [s for v in samples.values() for s in v]
    keys = [fold(o.song) for o in catalog.osts]
    baseline = []
    for _, query, _ in asked[:60]:
        t0 = time.perf_counter()
        process.extract(fold(query), keys, scorer=fuzz.WRatio, limit=25)
        baseline.append(time.perf_counter() - t0)
    ms = 1e3
    typo_hit_rate = hits["typo"] / len(samples["typo"])
    rows = [
        (
            f"{k} queries ({len(v)})",
            f"median {median(v) * ms:.3f} ms, p99 {percentile(v, 99) * ms:.3f} ms, found {hits[k] / len(v):.1%}",
        )
        for k, v in samples.items()
    ]
    rows += [
        (
            "all queries",
            f"p99 {percentile(all_samples, 99) * ms:.3f} ms (catalog loaded and indexed in {built:.1f}s)",
        ),
        ("baseline: rapidfuzz over every song", f"median {median(baseline) * ms:.2f} ms"),
        ("index vs baseline (median)", f"{median(baseline) / median(all_samples):,.0f}× faster"),
    ]
    return report(
        f"/ost autocomplete over {len(catalog.osts):,} titles",
        rows,
        [
            Goal("autocomplete p99", percentile(all_samples, 99) * ms, 1.0, "ms"),
            Goal("titles found with one typo", typo_hit_rate * 100, 95, "%", higher_is_better=True),
        ],
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
