"""Honest search, measured: a checked-in corpus of what members type (tests/data/search_corpus.toml),
each with the title it must find or none, run through the same lookup `/cry title:` and `/ost query:`
use. Goals: no wrong pick at all, and at least 97 % of the catalog's titles found.

    python -m bench.search_quality
"""

from __future__ import annotations

import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import Goal, report
from bot.catalog import Catalog, load_catalog
from bot.config import DEFAULT_CATALOG_PATH, PROJECT_ROOT
from bot.errors import UnknownTitle

CORPUS = PROJECT_ROOT / "tests" / "data" / "search_corpus.toml"


@dataclass
class Outcome:
    found: int = 0  # in-catalog queries answered with the expected title
    missed: list[str] = field(default_factory=list)  # in-catalog queries answered "not in the catalog"
    wrong: list[str] = field(default_factory=list)  # any query answered with a title it did not mean
    refused: int = 0  # not-in-catalog queries answered "not in the catalog"
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def in_catalog(self) -> int:
        return self.found + len(self.missed) + sum(1 for w in self.wrong if not w.startswith("(absent)"))

    @property
    def found_rate(self) -> float:
        return self.found / self.in_catalog if self.in_catalog else 0.0


def load_corpus(path: Path = CORPUS) -> list[dict[str, str]]:
    return tomllib.loads(path.read_text(encoding="utf-8"))["query"]


def evaluate(catalog: Catalog, corpus: list[dict[str, str]]) -> Outcome:
    outcome = Outcome()
    for entry in corpus:
        command, text, expect = entry["command"], entry["text"], entry["expect"]
        outcome.kinds[entry.get("kind", "")] += 1
        find = catalog.find_drama if command == "cry" else catalog.find_ost
        try:
            got = find(text).id
        except UnknownTitle:
            got = ""
        if got == expect:
            if expect:
                outcome.found += 1
            else:
                outcome.refused += 1
        elif not got:
            outcome.missed.append(f"/{command} {text!r} -> not found (expected {expect})")
        else:
            label = "(absent) " if not expect else ""
            outcome.wrong.append(f"{label}/{command} {text!r} -> {got} (expected {expect or 'not found'})")
    return outcome


def main(argv: list[str] | None = None) -> bool:
    catalog = load_catalog(DEFAULT_CATALOG_PATH)
    corpus = load_corpus()
    outcome = evaluate(catalog, corpus)
    absent = sum(1 for q in corpus if not q["expect"])
    rows = [
        ("queries", f"{len(corpus)} ({len(corpus) - absent} in the catalog, {absent} not)"),
        ("by kind", ", ".join(f"{k} {n}" for k, n in sorted(outcome.kinds.items()))),
        ("found", f"{outcome.found}/{outcome.in_catalog} ({outcome.found_rate:.1%})"),
        ("not in the catalog, said so", f"{outcome.refused}/{absent}"),
        *((f"missed #{i + 1}", m) for i, m in enumerate(outcome.missed)),
        *((f"WRONG #{i + 1}", w) for i, w in enumerate(outcome.wrong)),
    ]
    return report(
        f"Search honesty over {len(catalog.dramas)} dramas and {len(catalog.osts)} OSTs",
        rows,
        [
            Goal("wrong picks", len(outcome.wrong), 0, "queries"),
            Goal("in-catalog queries found", outcome.found_rate * 100, 97, "%", higher_is_better=True),
        ],
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
