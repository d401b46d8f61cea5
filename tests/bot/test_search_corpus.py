"""What members type, with what it must find: no wrong pick, and (almost) every title found."""

from __future__ import annotations

from bench.search_quality import evaluate, load_corpus


def test_the_corpus_is_broad_enough_to_mean_something(catalog):
    corpus = load_corpus()
    absent = [q for q in corpus if not q["expect"]]
    assert len(corpus) >= 150 and len(absent) >= 40
    known = {t.id for t in (*catalog.dramas, *catalog.osts)}
    assert all(q["expect"] in known for q in corpus if q["expect"])
    assert len({q["expect"] for q in corpus if q["command"] == "cry" and q["expect"]}) >= 40


def test_search_never_answers_with_a_title_that_was_not_meant(catalog):
    assert evaluate(catalog, load_corpus()).wrong == []


def test_search_finds_at_least_97_percent_of_the_catalogs_titles(catalog):
    outcome = evaluate(catalog, load_corpus())
    assert outcome.found_rate >= 0.97, outcome.missed
