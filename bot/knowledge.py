"""Knowledge articles: loading, validation and a small German search that answers questions.

Articles are Markdown files with YAML front matter in knowledge/articles (see
shared/spec/knowledge.md). The search is BM25F over title, synonyms, tags, short answer and body
on normalised German terms: folded, lemmatised, lightly stemmed, compounds split against the index
vocabulary, one typo tolerated in longer words. A query that contains a synonym phrase of an
article (FIM, EfA, "Einer für Alle") gets a strong boost. The search answers only when it is
confident; otherwise it says so and offers related topics, because a wrong answer from an
advisor costs more than no answer.
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from bot.lemmas import lemma
from bot.textnorm import fold, within_one_edit

ROOT = Path(__file__).resolve().parent.parent
ARTICLES_DIR = ROOT / "knowledge" / "articles"
DATA_DIR = Path(__file__).parent / "data"
STOPWORDS_FILE = DATA_DIR / "stopwords_de.txt"
TEXTS_FILE = DATA_DIR / "knowledge_texts.yml"
SEED_NAME = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")

# Search parameters, set on tests/data/knowledge_dev.yml only (never on the bench set).
K1 = 1.5
B = 0.75
FIELD_WEIGHTS = {"title": 3.0, "synonyms": 3.0, "tags": 1.5, "short_answer": 1.5, "body": 1.0}
PART_WEIGHT = 0.6  # a compound part of a known query word: supporting evidence only
INDEX_PART_WEIGHT = 0.6  # count of a compound part in an article, per occurrence of the compound
TYPO_WEIGHT = 0.8  # a vocabulary word one edit away from an unknown query word
DERIVED_WEIGHT = 0.5  # a longer vocabulary term starting with the query term ('empfehl' -> 'empfehlung')
MAX_DERIVED_EXTRA = 4  # at most this many letters longer
PHRASE_BOOST = 1.0  # per unit of idf of a synonym phrase found in the question
MIN_TYPO_LEN = 7  # shorter words are too often other words one edit away
MIN_PART_LEN = 3
MAX_PARTS = 3
MAX_CACHED_SPLITS = 100_000
OUT_OF_SCOPE_FIELD = "body"  # field the out-of-scope topic lists are indexed in
OUT_OF_SCOPE_RATIO = 0.5  # an out-of-scope topic at least this strong (share of the best article) ...
OUT_OF_SCOPE_COVERAGE = 0.8  # ... that explains nearly as much of the question wins
# Confidence: logistic over log(1 + score), coverage and margin, fitted on the dev set.
CONF_BIAS = -5.5
CONF_SCORE = 2.4
CONF_COVERAGE = 2.0
CONF_MARGIN = 1.3
THRESHOLD = 0.45  # confidence below which ask() refuses
RELATED_MIN = 0.2  # below this confidence nothing is close enough to offer as related
RELATED_RATIO = 0.35  # a related topic scores at least this share of the best one
MAX_RELATED = 3
MAX_QUESTION_CHARS = 2000  # a question, not a document: longer input is cut, keeping latency flat
MAX_QUESTION_WORDS = 60

FIELDS = tuple(FIELD_WEIGHTS)


class ArticleError(ValueError):
    """One or more knowledge articles are invalid; the message lists every problem."""


class Source(BaseModel):
    title: str
    url: str | None = None
    seed: str | None = None
    stand: int | str | None = None


class Article(BaseModel):
    id: str
    title: str
    short_answer: str
    tags: list[str] = Field(default_factory=list)
    synonyms: list[str] = Field(default_factory=list)
    phases: list[str] = Field(default_factory=list)
    types: list[str] = Field(default_factory=list)
    applies_if: dict[str, list[str]] = Field(default_factory=dict)
    sources: list[Source]
    body: str = ""


class SourceRef(BaseModel):
    """A source as the chat shows it: a public URL or the name of a seed document."""

    title: str
    url: str | None = None
    seed: str | None = None


class Related(BaseModel):
    id: str
    title: str


class Answer(BaseModel):
    answer: str
    knowledge_id: str | None
    score: float = Field(ge=0.0, le=1.0)
    sources: list[SourceRef] = Field(default_factory=list)
    related: list[Related] = Field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The public JSON form (`lotse ask`): sources carry either url or seed, not both keys."""
        data = self.model_dump()
        data["sources"] = [s.model_dump(exclude_none=True) for s in self.sources]
        return data


# --- Loading and validation -------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n(.*))?\Z", re.DOTALL)


def _read(path: Path) -> tuple[Any, str]:
    match = _FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    if not match:
        raise ValueError("kein YAML-Kopf zwischen '---'-Zeilen (missing front matter)")
    return yaml.safe_load(match.group(1)), (match.group(2) or "").strip()


def _string_list(meta: dict[str, Any], key: str, err: Any) -> list[str]:
    value = meta.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        err(key, "erwartet eine Liste von Texten (expected a list of strings)")
        return []
    return value


def _article_errors(path: Path) -> list[str]:
    from bot.models import PHASE_IDS, TYPE_IDS
    from bot.questionnaire import load_questionnaire

    errors: list[str] = []

    def err(key: str, message: str) -> None:
        errors.append(f"{path.name}: Feld '{key}': {message}")

    try:
        meta, body = _read(path)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        return [f"{path.name}: nicht lesbar (unreadable): {exc}"]
    if not isinstance(meta, dict):
        return [f"{path.name}: YAML-Kopf ist kein Objekt (front matter is not a mapping)"]

    if meta.get("id") != path.stem:
        err("id", f"{meta.get('id')!r} muss dem Dateinamen {path.stem!r} entsprechen (id != file name)")
    for key in ("title", "short_answer"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            err(key, "fehlt oder ist leer (missing or empty)")
    if not body:
        err("body", "der Artikeltext nach dem YAML-Kopf fehlt (missing body)")
    _string_list(meta, "tags", err)
    _string_list(meta, "synonyms", err)
    for key, allowed in (("phases", PHASE_IDS), ("types", TYPE_IDS)):
        for value in _string_list(meta, key, err):
            if value not in allowed:
                err(key, f"unbekannte ID {value!r} (unknown id); erlaubt: {', '.join(allowed)}")

    applies_if = meta.get("applies_if") or {}
    if not isinstance(applies_if, dict):
        err("applies_if", "erwartet Frage-ID -> Liste von Options-IDs (expected a mapping)")
        applies_if = {}
    questionnaire = load_questionnaire()
    for question_id, options in applies_if.items():
        key = f"applies_if.{question_id}"
        if question_id not in questionnaire.ids:
            err(key, f"unbekannte Frage-ID {question_id!r} (unknown question id)")
            continue
        allowed = questionnaire.get(question_id).option_ids
        if not isinstance(options, list) or not options:
            err(key, "erwartet eine nicht leere Liste von Options-IDs (expected a list of option ids)")
            continue
        for option in options:
            if option not in allowed:
                err(key, f"unbekannte Option {option!r} (unknown option id); erlaubt: {', '.join(allowed)}")

    sources = meta.get("sources")
    if not isinstance(sources, list) or not sources:
        err("sources", "keine Quellen angegeben (no sources)")
        sources = []
    for i, source in enumerate(sources):
        key = f"sources[{i}]"
        if not isinstance(source, dict):
            err(key, "erwartet title und url oder seed (expected a mapping)")
            continue
        if not isinstance(source.get("title"), str) or not source["title"].strip():
            err(f"{key}.title", "fehlt oder ist leer (missing or empty)")
        url, seed = source.get("url"), source.get("seed")
        if not url and not seed:
            err(key, "weder url noch seed angegeben (source without url or seed)")
        if url and not (isinstance(url, str) and re.match(r"^https?://\S+$", url)):
            err(f"{key}.url", f"{url!r} ist keine http(s)-Adresse (invalid url)")
        if seed and not (isinstance(seed, str) and SEED_NAME.match(seed)):
            err(f"{key}.seed", f"{seed!r} ist kein Seed-Dateiname wie 000_<16 hex>.txt (invalid seed name)")

    if not errors:
        try:
            Article.model_validate({**meta, "body": body})
        except ValidationError as exc:
            for e in exc.errors():
                err(".".join(str(p) for p in e["loc"]), e["msg"])
    return errors


def validate_articles(paths: Iterable[Path]) -> list[str]:
    """Every problem in the given article files, each naming file and field (empty: all valid)."""
    errors: list[str] = []
    for path in paths:
        errors += _article_errors(Path(path))
    return errors


@cache
def load_articles(path: Path = ARTICLES_DIR) -> tuple[Article, ...]:
    """All articles of a folder, sorted by id; raises ArticleError listing every invalid field."""
    paths = sorted(Path(path).glob("*.md"))
    errors = validate_articles(paths)
    if errors:
        raise ArticleError("\n".join(errors))
    articles = []
    for p in paths:
        meta, body = _read(p)
        articles.append(Article.model_validate({**meta, "body": body}))
    return tuple(articles)


# --- Text analysis ----------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
_SUFFIXES = ("innen", "ern", "em", "er", "en", "es", "e", "n", "s")
_LINKS = ("", "s")


@cache
def _stopwords() -> frozenset[str]:
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(fold(line.strip()) for line in lines if line.strip() and not line.startswith("#"))


@cache
def _texts() -> dict[str, Any]:
    with open(TEXTS_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _words(text: str) -> list[str]:
    """Lower-case words with umlauts kept, as the lemma table wants them."""
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def _stem(word: str) -> str:
    """Strip one inflection suffix, so 'Lotse'/'Lotsen' and 'Optimierer'/'optimieren' meet."""
    if len(word) < 5 or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=65536)
def _term(word: str) -> str:
    """Index term of a word: lemma (folded), then a light stem."""
    return _stem(lemma(word))


def _is_stop(folded: str) -> bool:
    return folded in _stopwords()


# --- Index ------------------------------------------------------------------------------------


@dataclass
class _Index:
    ids: list[str]  # articles first, then the out-of-scope topics
    n_articles: int
    tf: list[dict[str, Counter[str]]]  # per document, per field: term -> weighted count
    length: list[dict[str, float]]
    avg_length: dict[str, float]
    df: Counter[str]
    surface: dict[str, str]  # folded word of the documents -> its term (compound parts, typos)
    terms: frozenset[str]
    sorted_terms: list[str]
    by_length: dict[int, list[str]]  # surface words by length, for the typo search
    phrases: dict[tuple[str, ...], tuple[set[int], bool]]  # phrase -> (articles, with stop words)
    splits: dict[str, list[str] | None] = field(default_factory=dict)
    by_parts: dict[tuple[str, ...], set[str]] = field(default_factory=dict)  # parts -> compound terms

    @property
    def n(self) -> int:
        return len(self.ids)

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def term_of(self, word: str) -> str:
        """Term of a word; a word typed without umlauts gets the term of its article spelling."""
        return self.surface.get(fold(word)) or _term(word)

    def phrase_key(self, text: str) -> tuple[tuple[str, ...], bool]:
        """A synonym as a term sequence, and whether to match it with its stop words.

        'Digitallotsen Bayern' also matches 'Digitallotsen in Bayern'; a synonym with fewer than
        two content words ('Einer für Alle', 'welche Daten haben wir') must match word for word.
        """
        words = _words(text)
        content = [w for w in words if not _is_stop(fold(w))]
        if len(content) >= 2 or len(content) == len(words):
            return tuple(self.term_of(w) for w in content), False
        return tuple(self.term_of(w) for w in words), True

    def parts(self, folded: str) -> list[str]:
        """Content parts of a compound; 'Nachbar|gemeinden' keeps only 'nachbar'."""
        return [p for p in self.split(folded) or [] if not _is_stop(p)]

    def split(self, folded: str) -> list[str] | None:
        """Known vocabulary words a compound consists of (linking 's' allowed), or None."""
        if folded in self.splits:
            return self.splits[folded]
        parts = self._split(folded, MAX_PARTS) if len(folded) >= 7 else None
        if len(self.splits) < MAX_CACHED_SPLITS:  # users' words must not grow the cache forever
            self.splits[folded] = parts
        return parts

    def _known_part(self, part: str) -> bool:
        """A vocabulary word; short stop words ('aus', 'ein') never count as compound parts."""
        if _is_stop(part):
            return len(part) >= 5
        return part in self.surface or _term(part) in self.terms

    def _split(self, word: str, max_parts: int) -> list[str] | None:
        best: list[str] | None = None
        for cut in range(MIN_PART_LEN, len(word) - MIN_PART_LEN + 1):
            head = word[:cut]
            if not self._known_part(head):
                continue
            for link in _LINKS:
                rest = word[cut:]
                if not rest.startswith(link):
                    continue
                tail = rest[len(link) :]
                if len(tail) < MIN_PART_LEN:
                    continue
                if self._known_part(tail):
                    candidate: list[str] | None = [head, tail]
                elif max_parts > 2:
                    sub = self._split(tail, max_parts - 1)
                    candidate = [head, *sub] if sub else None
                else:
                    candidate = None
                if candidate and (best is None or _split_rank(candidate) > _split_rank(best)):
                    best = candidate
        return best

    def derived(self, term: str) -> list[str]:
        """Vocabulary terms that extend a term by a short suffix ('empfehl' -> 'empfehlung')."""
        if len(term) < 5:
            return []
        out = []
        for t in self.sorted_terms[bisect.bisect_left(self.sorted_terms, term) :]:
            if not t.startswith(term):
                break
            if t != term and len(t) - len(term) <= MAX_DERIVED_EXTRA:
                out.append(t)
        return out

    def typos(self, folded: str) -> list[str]:
        """Vocabulary words one edit away from an unknown longer word."""
        if len(folded) < MIN_TYPO_LEN:
            return []
        return [
            w
            for n in (len(folded) - 1, len(folded), len(folded) + 1)
            for w in self.by_length.get(n, [])
            if within_one_edit(folded, w)
        ]


def _split_rank(parts: list[str]) -> tuple[int, int]:
    """Fewer, longer parts first: 'basis|komponenten' beats 'basis|kompo|nenten'."""
    return (-len(parts), sum(len(p) ** 2 for p in parts))


def _field_texts(article: Article) -> dict[str, str]:
    return {
        "title": article.title,
        "synonyms": " ; ".join(article.synonyms),
        "tags": " ".join(article.tags),
        "short_answer": article.short_answer,
        "body": article.body,
    }


@cache
def _index() -> _Index:
    articles = load_articles()
    out_of_scope = _texts()["out_of_scope"]
    docs = [_field_texts(a) for a in articles]
    docs += [{f: (o["text"] if f == OUT_OF_SCOPE_FIELD else "") for f in FIELDS} for o in out_of_scope]
    field_words = [{f: _words(t) for f, t in doc.items()} for doc in docs]
    surface: dict[str, str] = {}
    for fields in field_words:
        for words in fields.values():
            for w in words:
                folded = fold(w)
                if len(folded) >= MIN_PART_LEN and not _is_stop(folded):
                    surface.setdefault(folded, _term(w))
    by_length: dict[int, list[str]] = {}
    for w in sorted(surface):
        if len(w) >= MIN_TYPO_LEN - 1:
            by_length.setdefault(len(w), []).append(w)
    index = _Index(
        ids=[a.id for a in articles] + [o["id"] for o in out_of_scope],
        n_articles=len(articles),
        tf=[],
        length=[],
        avg_length={},
        df=Counter(),
        surface=surface,
        terms=frozenset(surface.values()),
        sorted_terms=[],
        by_length=by_length,
        phrases={},
    )
    for fields in field_words:
        tf: dict[str, Counter[str]] = {}
        for name, words in fields.items():
            counts: Counter[str] = Counter()
            for w in words:
                folded = fold(w)
                if _is_stop(folded):
                    continue
                counts[index.term_of(w)] += 1
                for part in index.parts(folded):
                    counts[index.term_of(part)] += INDEX_PART_WEIGHT
            tf[name] = counts
        index.tf.append(tf)
        index.length.append({name: sum(counts.values()) for name, counts in tf.items()})
        index.df.update({t for counts in tf.values() for t in counts})
    index.terms = frozenset(index.df)
    index.sorted_terms = sorted(index.terms)
    for folded, term in surface.items():
        parts = index.parts(folded)
        if len(parts) >= 2:
            index.by_parts.setdefault(tuple(index.term_of(p) for p in parts), set()).add(term)
    # Average lengths over the articles only: the short out-of-scope lists must not shift them.
    index.avg_length = {
        f: sum(ln[f] for ln in index.length[: index.n_articles]) / index.n_articles or 1.0 for f in FIELDS
    }
    for i, article in enumerate(articles):
        for text in [*article.synonyms, article.title]:
            key, with_stop = index.phrase_key(text)
            if key:
                docs_of, stop_flag = index.phrases.get(key, (set(), with_stop))
                docs_of.add(i)
                index.phrases[key] = (docs_of, stop_flag or with_stop)
    return index


# --- Query ------------------------------------------------------------------------------------


@dataclass
class _QueryWord:
    position: int  # position among all words of the question
    term: str  # the word's own term, or its typo correction
    own: dict[str, float]  # terms that stand for the whole word -> query weight
    parts: list[str]  # terms of its compound parts
    part_weight: float  # query weight of the parts (full if the whole word is unknown)
    weight: float  # how much the word counts for coverage (idf; unknown words count fully)

    @property
    def terms(self) -> dict[str, float]:
        out = dict.fromkeys(self.parts, self.part_weight)
        out.update(self.own)
        return out


@dataclass
class _Query:
    words: list[_QueryWord]
    all_terms: list[str]  # terms of all words, stop words included (for phrases with stop words)


def _analyse(index: _Index, question: str) -> _Query:
    all_words = _words(question[:MAX_QUESTION_CHARS])[:MAX_QUESTION_WORDS]
    words: list[_QueryWord] = []
    for pos, w in enumerate(all_words):
        folded = fold(w)
        if _is_stop(folded):
            continue
        term = index.term_of(w)
        parts = [index.term_of(p) for p in index.parts(folded)]
        own: dict[str, float] = {}
        if term in index.terms:
            own[term] = 1.0
        elif parts:
            # 'Digitalisierungstrategie' is spelt differently but built like a known compound.
            own = dict.fromkeys(sorted(index.by_parts.get(tuple(parts), ())), TYPO_WEIGHT)
            if own:
                term = max(own, key=lambda t: index.df[t])
        else:
            candidates = [index.surface[c] for c in index.typos(folded)]
            own = dict.fromkeys(candidates, TYPO_WEIGHT)
            if candidates:
                term = max(candidates, key=lambda t: index.df[t])
        for t in list(own) or [term]:
            for d in index.derived(t):
                own.setdefault(d, DERIVED_WEIGHT)
        if term in index.terms:
            weight = index.idf(term)
        elif parts:
            weight = max(index.idf(p) for p in parts)
        else:
            weight = index.idf(term)  # unknown word: df 0, the largest idf
        words.append(_QueryWord(pos, term, own, parts, PART_WEIGHT if own else 1.0, weight))
    return _Query(words, [index.term_of(w) for w in all_words])


def _bm25f(index: _Index, query: _Query) -> list[float]:
    scores = [0.0] * index.n
    weights: dict[str, float] = {}
    for word in query.words:
        for t, qw in word.terms.items():
            weights[t] = max(weights.get(t, 0.0), qw)
    for t, qw in weights.items():
        if t not in index.df:
            continue
        idf = index.idf(t)
        for i in range(index.n):
            tf = 0.0
            for f in FIELDS:
                count = index.tf[i][f].get(t)
                if count:
                    norm = 1 - B + B * index.length[i][f] / index.avg_length[f]
                    tf += FIELD_WEIGHTS[f] * count / norm
            if tf:
                scores[i] += qw * idf * tf / (K1 + tf)
    return scores


def _find(seq: list[str], phrase: tuple[str, ...]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(seq) - n + 1) if tuple(seq[i : i + n]) == phrase]


def _phrase_matches(index: _Index, query: _Query) -> list[tuple[int, int, tuple[str, ...], set[int]]]:
    """Synonym phrases in the question as (start, end, phrase, articles), longest spans only.

    'Digitallotsen Bayern' hides the 'Digitallotsen' inside it, so the more specific article wins.
    """
    content = [w.term for w in query.words]
    positions = [w.position for w in query.words]
    found = []
    for phrase, (docs, with_stop) in index.phrases.items():
        if with_stop:
            spans = [(s, s + len(phrase)) for s in _find(query.all_terms, phrase)]
        else:
            spans = [(positions[s], positions[s + len(phrase) - 1] + 1) for s in _find(content, phrase)]
        found += [(start, end, phrase, docs) for start, end in spans]
    return [
        m
        for m in found
        if not any(o[0] <= m[0] and m[1] <= o[1] and (o[1] - o[0]) > (m[1] - m[0]) for o in found)
    ]


@dataclass
class _Ranked:
    scores: list[float]  # per document: BM25F plus phrase boost
    coverage: list[float]  # per document: idf-weighted share of the question's words it explains
    order: list[int]  # documents, best first

    @property
    def best_article(self) -> int | None:
        return next((i for i in self.order if self.scores[i] > 0), None)


def _rank(question: str) -> _Ranked:
    index = _index()
    query = _analyse(index, question)
    scores = _bm25f(index, query)
    covered: list[set[int]] = [set() for _ in range(index.n)]
    for start, end, phrase, docs in _phrase_matches(index, query):
        boost = PHRASE_BOOST * sum(index.idf(t) for t in phrase) / len(docs)
        for i in docs:
            scores[i] += boost
            covered[i].update(range(start, end))
    total = sum(w.weight for w in query.words)
    coverage = []
    for i in range(index.n):
        doc = index.tf[i]
        got = 0.0
        for w in query.words:
            if w.position in covered[i] or any(t in doc[f] for t in w.own for f in FIELDS):
                got += w.weight
            elif w.parts:
                hit = {t for t in w.parts if any(t in doc[f] for f in FIELDS)}
                got += w.weight * w.part_weight * len(hit) / len(set(w.parts))
        coverage.append(got / total if total else 0.0)
    order = sorted(range(index.n), key=lambda i: -scores[i])
    return _Ranked(scores, coverage, order)


def _confidence(r: _Ranked, i: int) -> float:
    """Probability that document i answers the question (logistic, fitted on the dev set).

    Evidence is the score itself, how much of the question the article explains and how far
    it is ahead of the next document; a long question with one matching word is not enough.
    """
    s = r.scores[i]
    if s <= 0:
        return 0.0
    rival = max((r.scores[j] for j in r.order if j != i), default=0.0)
    margin = (s - rival) / s
    z = CONF_BIAS + CONF_SCORE * math.log1p(s) + CONF_COVERAGE * r.coverage[i] + CONF_MARGIN * margin
    return round(1 / (1 + math.exp(-z)), 3)


def _out_of_scope_wins(r: _Ranked, best: int, n_articles: int) -> bool:
    """An out-of-scope topic explains the question better than the best article.

    Raw scores of an article (title, synonyms, body) and of a bare word list are not comparable,
    so the topic wins on coverage once it is at least OUT_OF_SCOPE_RATIO as strong and explains
    nearly as much of the question.
    """
    for o in range(n_articles, len(r.scores)):
        if r.scores[o] >= r.scores[best] or (
            r.scores[o] >= OUT_OF_SCOPE_RATIO * r.scores[best]
            and r.coverage[o] >= OUT_OF_SCOPE_COVERAGE * r.coverage[best]
        ):
            return True
    return False


def search(question: str, k: int = 3) -> list[tuple[str, float]]:
    """The k best articles as (id, raw score), best first; articles without any match left out."""
    index = _index()
    r = _rank(question)
    ranked = [i for i in r.order if i < index.n_articles and r.scores[i] > 0]
    return [(index.ids[i], round(r.scores[i], 3)) for i in ranked[:k]]


def _topics(titles: list[str]) -> str:
    texts = _texts()
    quoted = [texts["topic"].format(title=t) for t in titles]
    if len(quoted) == 1:
        return quoted[0]
    return texts["topic_separator"].join(quoted[:-1]) + texts["topic_last_separator"] + quoted[-1]


def _clean(text: str) -> str:
    return " ".join(text.split())


def ask(question: str) -> Answer:
    """The short answer of the best article, or an honest refusal with related topics."""
    texts = _texts()
    index = _index()
    by_id = {a.id: a for a in load_articles()}
    r = _rank(question)
    ranked = [i for i in r.order if i < index.n_articles and r.scores[i] > 0]
    if not ranked:
        key = "refused" if question.strip() else "empty_question"
        return Answer(answer=_clean(texts[key]), knowledge_id=None, score=0.0)
    best = ranked[0]
    score = _confidence(r, best)
    out_of_scope = _out_of_scope_wins(r, best, index.n_articles)
    if out_of_scope:
        # A non-topic explains the question better: never answer, and report less than the threshold.
        score = min(score, round(THRESHOLD - 0.001, 3))
    close = [i for i in ranked[1 : MAX_RELATED + 1] if r.scores[i] >= RELATED_RATIO * r.scores[best]]
    if score >= THRESHOLD:
        article = by_id[index.ids[best]]
        return Answer(
            answer=_clean(article.short_answer),
            knowledge_id=article.id,
            score=score,
            sources=[SourceRef(title=s.title, url=s.url, seed=s.seed) for s in article.sources],
            related=[Related(id=index.ids[i], title=by_id[index.ids[i]].title) for i in close],
        )
    offered = [best, *close][:MAX_RELATED] if score >= RELATED_MIN and not out_of_scope else []
    related = [Related(id=index.ids[i], title=by_id[index.ids[i]].title) for i in offered]
    if related:
        text = texts["refused_with_topics"].format(topics=_topics([x.title for x in related]))
    else:
        text = texts["refused"]
    return Answer(answer=_clean(text), knowledge_id=None, score=score, related=related)
