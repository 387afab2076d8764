"""Knowledge articles: the validator (run on every real article), the search and `lotse ask`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot import knowledge
from bot.knowledge import ArticleError, ask, load_articles, search, validate_articles

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = sorted((ROOT / "knowledge" / "articles").glob("*.md"))
DEV_SET = ROOT / "tests" / "data" / "knowledge_dev.yml"

VALID = """---
id: {id}
title: "Testartikel"
short_answer: >-
  Eine kurze Antwort in zwei Sätzen. Sie dient nur dem Test.
tags: [test]
synonyms: ["Testwort"]
phases: [start]
types: [optimierer]
applies_if:
  fim: [unbekannt]
sources:
  - title: "Eine Quelle"
    url: https://example.org/quelle
  - title: "Ein Seed"
    seed: 000_4c168ea19601b1db.txt
---
## Text

Ein längerer Text.
"""


def write_article(tmp_path: Path, name: str = "test-artikel", text: str | None = None) -> Path:
    path = tmp_path / f"{name}.md"
    path.write_text(text if text is not None else VALID.format(id=name), encoding="utf-8")
    return path


# --- Validator ---------------------------------------------------------------------------------


def test_all_real_articles_are_valid():
    assert len(ARTICLES) >= 60
    assert validate_articles(ARTICLES) == []


def test_load_articles_returns_every_article_with_sources():
    articles = load_articles()
    assert [a.id for a in articles] == [p.stem for p in ARTICLES]
    assert all(a.sources and a.short_answer.strip() and a.body for a in articles)


def test_a_valid_temp_article_passes(tmp_path):
    assert validate_articles([write_article(tmp_path)]) == []


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (
            'sources:\n  - title: "Eine Quelle"\n    url: https://example.org/quelle\n'
            '  - title: "Ein Seed"\n    seed: 000_4c168ea19601b1db.txt\n',
            "",
            "sources",
        ),
        (
            "short_answer: >-\n  Eine kurze Antwort in zwei Sätzen. Sie dient nur dem Test.\n",
            "",
            "short_answer",
        ),
        (
            "short_answer: >-\n  Eine kurze Antwort in zwei Sätzen. Sie dient nur dem Test.\n",
            'short_answer: ""\n',
            "short_answer",
        ),
        ("phases: [start]", "phases: [start, anfang]", "phases"),
        ("types: [optimierer]", "types: [sparer]", "types"),
        ("fim: [unbekannt]", "fimm: [unbekannt]", "applies_if.fimm"),
        ("fim: [unbekannt]", "fim: [vielleicht]", "applies_if.fim"),
        ("    url: https://example.org/quelle\n", "", "sources[0]"),
        ("seed: 000_4c168ea19601b1db.txt", "seed: studie.pdf", "sources[1].seed"),
        ("id: test-artikel", "id: anderer-name", "id"),
    ],
)
def test_invalid_article_is_rejected_naming_the_field(tmp_path, old, new, field):
    text = VALID.format(id="test-artikel")
    assert old in text
    path = write_article(tmp_path, text=text.replace(old, new))
    errors = validate_articles([path])
    assert errors, f"expected an error for {field}"
    assert any("test-artikel.md" in e and f"'{field}'" in e for e in errors), errors


def test_load_articles_raises_on_an_invalid_article(tmp_path):
    write_article(tmp_path, "gut")
    write_article(tmp_path, "schlecht", VALID.format(id="schlecht").replace("phases: [start]", "phases: [x]"))
    with pytest.raises(ArticleError, match=r"schlecht\.md.*'phases'"):
        load_articles(tmp_path)


def test_article_without_front_matter_is_rejected(tmp_path):
    errors = validate_articles([write_article(tmp_path, text="# Nur Text\n")])
    assert errors and "test-artikel.md" in errors[0]


# --- Search and answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Was ist FIM?", "fim"),
        ("fim", "fim"),
        ("Was bedeutet EfA?", "efa"),
        ("EFA nachnutzen", "efa"),
        ("Was heißt Einer für Alle?", "efa"),
        ("Brauchen wir ein Servicekonto?", "bk-servicekonto"),
        ("Was ist die BundID?", "bk-servicekonto"),
        ("bundid", "bk-servicekonto"),
        ("Was ist die eID?", "bk-eid"),
        ("Gibt es Digitallotsen in Bayern?", "lotsen-by"),
        ("Digitallotsen Bayern", "lotsen-by"),
        ("Was ändert das OZG 2.0?", "ozg-2-0"),
        ("Wie funktioniert ein Mängelmelder?", "maengelmelder"),
        ("maengelmelder", "maengelmelder"),
        ("Welche Fördermittel gibt es für die Digitalisierung?", "foerdermittel"),
        ("Brauchen wir eine Digitalisierungsstrategie?", "digitalisierungsstrategie"),
        ("Digitalisierungstrategie", "digitalisierungsstrategie"),  # typo, one 's' missing
        ("Welche Basiskomponenten gibt es?", "basiskomponenten"),
    ],
)
def test_typical_questions_get_the_right_article(question, expected):
    answer = ask(question)
    assert answer.knowledge_id == expected, (question, answer)
    assert 0 <= answer.score <= 1
    assert answer.sources, "an answer always names its sources"
    assert all(bool(s.url) != bool(s.seed) for s in answer.sources)
    assert expected not in [r.id for r in answer.related]
    assert len(answer.related) <= 3


@pytest.mark.parametrize(
    "question",
    [
        "Wie wird das Wetter?",
        "Was kostet ein Personalausweis?",
        "Rezept für Apfelkuchen",
        "Wer hat gestern das Fußballspiel gewonnen?",
        "Wie spielt Bayern München am Samstag?",
        "",
        "Hallo",
    ],
)
def test_off_topic_questions_are_refused(question):
    answer = ask(question)
    assert answer.knowledge_id is None
    assert answer.sources == []
    assert answer.score < knowledge.THRESHOLD
    assert answer.answer  # a friendly German sentence, never empty


def test_refusal_offers_related_topics_when_there_are_some():
    answer = ask("Strategie für die Digitalisierung")
    if answer.knowledge_id is None:
        assert answer.related
        assert "Passende Themen" in answer.answer
        assert answer.related[0].title in answer.answer


def test_search_ranks_and_is_case_insensitive():
    results = search("Was ist FIM?", k=3)
    assert results[0][0] == "fim"
    assert len(results) <= 3
    assert [s for _, s in results] == sorted((s for _, s in results), reverse=True)
    assert search("was ist fim", k=1)[0][0] == "fim"


def test_huge_question_is_answered_quickly():
    answer = ask("Digitalisierung " * 20000 + "Wetter")
    assert 0 <= answer.score <= 1


def _dev_set() -> list[dict]:
    with open(DEV_SET, encoding="utf-8") as fh:
        return yaml.safe_load(fh)["questions"]


def test_dev_set_is_large_enough_and_names_real_articles():
    items = _dev_set()
    ids = {p.stem for p in ARTICLES}
    in_domain = [i for i in items if i["expected"] is not None]
    assert len(in_domain) >= 80
    assert len(items) - len(in_domain) >= 20
    for item in in_domain:
        expected = item["expected"] if isinstance(item["expected"], list) else [item["expected"]]
        assert set(expected) <= ids, item


def test_dev_set_accuracy_and_refusal_do_not_regress():
    items = _dev_set()
    top1 = answered = n_in = refused = n_off = 0
    for item in items:
        expected = item["expected"]
        answer = ask(item["q"])
        if expected is None:
            n_off += 1
            refused += answer.knowledge_id is None
            continue
        expected = expected if isinstance(expected, list) else [expected]
        n_in += 1
        top1 += search(item["q"], k=1)[0][0] in expected
        answered += answer.knowledge_id in expected
    assert top1 / n_in >= 0.9, f"top-1 {top1 / n_in:.3f}"
    assert answered / n_in >= 0.85, f"answered correctly {answered / n_in:.3f}"
    assert refused / n_off >= 0.9, f"off-topic refused {refused / n_off:.3f}"


# --- lotse ask ---------------------------------------------------------------------------------


def run_ask(question: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", question],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_lotse_ask_prints_the_answer_json():
    proc = run_ask("Was ist EfA?")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {"answer", "knowledge_id", "score", "sources", "related"} <= set(out)
    assert out["knowledge_id"] == "efa"
    assert "Einer für Alle" in proc.stdout  # ensure_ascii=False: umlauts and quotes as they are
    assert all(set(s) in ({"title", "url"}, {"title", "seed"}) for s in out["sources"])


def test_lotse_ask_refusal_exits_0():
    proc = run_ask("Wie wird das Wetter?")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["knowledge_id"] is None and out["sources"] == []
