"""Turn a free-text German answer into the option ids of a question.

Pure functions: text in, `ParsedAnswer` out (errors are values too). The synonyms,
skip phrases and negation words come from the questionnaire data file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from bot.lemmas import lemma
from bot.numbers import parse_population
from bot.questionnaire import Question, Questionnaire, load_questionnaire
from bot.textnorm import fold, tokens, within_one_edit

Status = Literal["ok", "skip", "unclear"]
Reason = Literal["empty", "no_match", "ambiguous", "too_many", "out_of_range", "too_long"]

_SUFFIXES = ("", "e", "en", "n", "s", "es", "er", "em", "ern", "ens", "nen")
_BOUNDARY_WORDS = {"und", "sowie", "aber", "sondern", "oder", "ausserdem", "auch", "plus"}
_CLAUSE_PUNCT = re.compile(r"[,;.!?:()\n]")
_WORD = re.compile(r"[^\W_]+")
# "vor allem" means "above all", not "alle": dropped before matching
_FILLER = re.compile(r"\bvor\s+allem\b", re.IGNORECASE)
_MARKUP = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
MAX_TEXT_ANSWER = 120


@dataclass(frozen=True)
class ParsedAnswer:
    status: Status
    value: object = None
    reason: Reason | None = None


@dataclass(frozen=True)
class _Token:
    text: str
    lemma: str
    clause: int  # index of the clause (split at punctuation) the token is in


@dataclass(frozen=True)
class _Match:
    start: int
    end: int  # exclusive
    key: str  # option id or a marker such as "__skip__"
    weight: int  # characters of the synonym: longer synonyms win overlaps


def _tokenize(text: str) -> list[_Token]:
    result: list[_Token] = []
    for clause_no, clause in enumerate(_CLAUSE_PUNCT.split(text)):
        clause = _FILLER.sub(" ", clause)
        for word in _WORD.findall(clause.lower()):
            for tok in tokens(word):
                result.append(_Token(tok, lemma(word), clause_no))
    return result


def _token_matches(syn: str, tok: _Token, strict: bool = False) -> bool:
    """Does one synonym token match one text token (inflection, compound, one typo)?

    Strict matching (for answers to questions that were not asked) accepts inflection only.
    """
    for form in (tok.text, tok.lemma):
        if form == syn:
            return True
        if len(syn) <= 3:
            continue
        if form.startswith(syn) and form[len(syn) :] in _SUFFIXES:
            return True
        if not strict and len(syn) >= 5 and (form.startswith(syn) or form.endswith(syn)):
            return True
    return not strict and len(syn) >= 6 and within_one_edit(tok.text, syn)


def _joined_matches(compact: str, joined: str) -> bool:
    if joined == compact:
        return True
    return len(compact) >= 4 and joined.startswith(compact) and joined[len(compact) :] in _SUFFIXES


@cache
def _synonym_tokens(phrase: str) -> tuple[str, ...]:
    return tuple(tokens(phrase))


def _find(phrase: str, key: str, toks: list[_Token], strict: bool = False) -> list[_Match]:
    syn = _synonym_tokens(phrase)
    if not syn:
        return []
    weight = len("".join(syn))
    compact = "".join(syn)
    found: list[_Match] = []
    n = len(syn)
    for i in range(len(toks)):
        # token by token, each with inflection and compound tolerance
        if i + n <= len(toks) and all(
            _token_matches(s, toks[i + k], strict) for k, s in enumerate(syn)
        ):
            found.append(_Match(i, i + n, key, weight))
            continue
        # spelled together or apart: "E Payment" ~ "epayment", "BundID" ~ "bund id"
        for span in range(1, 4):
            if i + span > len(toks) or (span == 1 and n == 1):
                continue
            joined = "".join(t.text for t in toks[i : i + span])
            if _joined_matches(compact, joined):
                found.append(_Match(i, i + span, key, weight))
                break
    return found


def _resolve(matches: list[_Match]) -> list[_Match]:
    """Longest synonym wins where matches overlap ("niedersachsen" over "sachsen")."""
    taken: list[_Match] = []
    for m in sorted(matches, key=lambda m: (-m.weight, m.start)):
        if all(m.end <= t.start or m.start >= t.end for t in taken):
            taken.append(m)
    return sorted(taken, key=lambda m: m.start)


def _is_negated(m: _Match, toks: list[_Token], negations: set[str], others: list[_Match]) -> bool:
    clause = toks[m.start].clause
    # before the mention: "kein Formularserver", "nicht aber die E-Akte", "weder ... noch"
    for j in range(m.start - 1, max(-1, m.start - 4), -1):
        t = toks[j]
        if t.clause != clause or any(o.start <= j < o.end for o in others):
            break
        if t.text in negations or t.text == "weder":
            return True
        if t.text in _BOUNDARY_WORDS and not (j > 0 and toks[j - 1].text in negations):
            break
    if any(t.text == "weder" for t in toks[: m.start] if t.clause == clause) and any(
        t.text == "noch" for t in toks[: m.start] if t.clause == clause
    ):
        return True
    # after the mention: "Formularserver haben wir nicht", "E-Payment nicht"
    for j in range(m.end, min(len(toks), m.end + 4)):
        t = toks[j]
        if t.clause != clause or t.text in _BOUNDARY_WORDS:
            break
        if any(o.start <= j < o.end and o.key == m.key for o in others):
            continue  # "nee, haben wir nicht": the same answer said twice, not a negation
        if t.text in _POST_NEGATIONS:  # "haben wir noch keine", "E-Payment nicht"
            return True
    return False


_POST_NEGATIONS = {"nicht", "nein", "kein", "keine", "keinen", "keiner"}
_PREPOSITIONS = {"im", "in", "aus", "beim", "vom", "zum", "des", "der", "dem"}
_CONTRAST = {"aber", "sondern", "jedoch", "doch", "eher", "eigentlich"}
_STRONG_CONTRAST = {"aber", "sondern", "jedoch"}


def _main_mentions(options: list[_Match], toks: list[_Token], positive: list[str]) -> list[str]:
    """Of several single-choice mentions keep the ones the answer is about.

    A mention after a contrast word wins ("noch nicht, ist aber angedacht"); a mention
    after a preposition is a place, not the answer ("Gemeinde im Landkreis Harburg").
    """
    contrast_at = max((i for i, t in enumerate(toks) if t.text in _CONTRAST), default=None)
    if contrast_at is not None:
        after = [m.key for m in options if m.start > contrast_at and m.key in positive]
        if len(set(after)) == 1:
            return after[:1]
    kept = [
        m.key
        for m in options
        if m.key in positive and not (m.start > 0 and toks[m.start - 1].text in _PREPOSITIONS)
    ]
    return list(dict.fromkeys(kept)) or positive


def _qualified_after_contrast(toks: list[_Token], question: Question, qn: Questionnaire) -> bool:
    """A contrast word followed by words but no option puts the answer in doubt."""
    contrast_at = max((i for i, t in enumerate(toks) if t.text in _STRONG_CONTRAST), default=None)
    if contrast_at is None or len(toks) - contrast_at - 1 < 1:
        return False
    tail = toks[contrast_at + 1 :]
    return not _resolve(
        [m for o in question.options for m in _phrase_hits([*o.synonyms, o.label], o.id, tail)]
    )


def _exact(m: _Match, toks: list[_Token], qn: Questionnaire) -> bool:
    """An 'all' phrase counts only as written: "vor allem" does not mean "alle"."""
    words = [t.text for t in toks[m.start : m.end]]
    return any(list(_synonym_tokens(p)) == words for p in qn.all_phrases) and not (
        m.start > 0 and toks[m.start - 1].text == "vor"
    )


def _has_except(toks: list[_Token], qn: Questionnaire) -> bool:
    return bool(_phrase_hits(qn.except_words, "__except__", toks))


def _phrase_hits(phrases: list[str], key: str, toks: list[_Token], strict: bool = False) -> list[_Match]:
    hits: list[_Match] = []
    for p in phrases:
        hits.extend(_find(p, key, toks, strict))
    return hits


def _option_mentions(
    question: Question, qn: Questionnaire, toks: list[_Token], strict: bool = False
) -> tuple[list[str], list[str], bool, bool]:
    """(positive option ids, negated option ids, said 'none', said 'skip') in text order."""
    matches: list[_Match] = []
    for opt in question.options:
        matches.extend(_phrase_hits([*opt.synonyms, opt.label], opt.id, toks, strict))
    markers = _phrase_hits(qn.skip_phrases, "__skip__", toks)
    if question.kind == "multi":
        markers += _phrase_hits(qn.none_phrases + qn.list_end_phrases, "__none__", toks)
        markers += [m for m in _phrase_hits(qn.all_phrases, "__all__", toks) if _exact(m, toks, qn)]
    resolved = _resolve(matches + markers)
    options = [m for m in resolved if not m.key.startswith("__")]
    negations = {fold(w) for w in qn.negation_words if " " not in w}
    positive: list[str] = []
    negated: list[str] = []
    for m in options:
        others = [o for o in options if o is not m]
        target = negated if _is_negated(m, toks, negations, others) else positive
        if m.key not in target:
            target.append(m.key)
    positive = [p for p in positive if p not in negated]
    if question.kind == "single" and len(positive) > 1:
        positive = _main_mentions(options, toks, positive)
    all_at = next((m.start for m in resolved if m.key == "__all__"), None)
    if all_at is not None:
        # "alle", "alles außer Chatbot": every option but the none option and exceptions
        excepted = [m.key for m in options if m.start > all_at] if _has_except(toks, qn) else []
        everything = [o for o in question.option_ids if o != question.none_option]
        positive = [o for o in everything if o not in excepted and o not in negated]
        negated = [*negated, *excepted]
    said_none = any(m.key == "__none__" for m in resolved)
    said_skip = any(m.key == "__skip__" for m in resolved)
    return positive, negated, said_none, said_skip


def parse_answer(
    question: Question, text: str, qn: Questionnaire | None = None, strict: bool = False
) -> ParsedAnswer:
    """Parse a free-text answer to `question`; never guesses between options.

    `strict` drops compound and typo tolerance, for answers to questions not asked.
    """
    qn = qn or load_questionnaire()
    text = (text or "").strip()
    if not text:
        return ParsedAnswer("unclear", reason="empty")
    if len(text) > 2000:
        return ParsedAnswer("unclear", reason="too_long")
    text = _MARKUP.sub(" ", text).strip()  # HTML is not an answer; the words around it may be
    if not text:
        return ParsedAnswer("unclear", reason="no_match")

    if question.kind == "number":
        return _parse_number(question, text, qn)
    if question.kind == "text":
        return _parse_text(text, qn)

    toks = _tokenize(text)
    positive, negated, said_none, said_skip = _option_mentions(question, qn, toks, strict)

    if question.kind == "single":
        if len(positive) == 1 and _qualified_after_contrast(toks, question, qn):
            return ParsedAnswer("unclear", reason="ambiguous")  # "bisher nicht, soll aber kommen"
        if len(positive) == 1:
            return ParsedAnswer("ok", positive[0])
        if len(positive) > 1:
            return ParsedAnswer("unclear", reason="ambiguous")
        if said_skip and question.skippable:
            return ParsedAnswer("skip")
        return ParsedAnswer("unclear", reason="no_match")

    # multi
    if positive:
        if question.none_option and len(positive) > 1 and question.none_option in positive:
            positive.remove(question.none_option)
        if question.max_choices and len(positive) > question.max_choices:
            return ParsedAnswer("unclear", value=positive, reason="too_many")
        return ParsedAnswer("ok", positive)
    if said_none or negated:
        if question.none_option:
            return ParsedAnswer("ok", [question.none_option])
        if question.allow_empty:
            return ParsedAnswer("ok", [])
    if said_skip and question.skippable:
        return ParsedAnswer("skip")
    return ParsedAnswer("unclear", reason="no_match")


def phrase_found(phrases: list[str], text: str, strict: bool = False) -> bool:
    """Does any of the phrases occur in the text (same matching as option synonyms)?"""
    return bool(phrases) and bool(_phrase_hits(phrases, "__hit__", _tokenize(text), strict))


_CLAUSE_SPLIT = re.compile(r"[,;.!?\n]|\b(?:und|aber|sowie|außerdem|ausserdem)\b", re.IGNORECASE)


def split_clauses(text: str) -> list[str]:
    """Parts of a message that can carry one answer each."""
    return [c.strip() for c in _CLAUSE_SPLIT.split(text) if c and c.strip()]


def _said_skip(text: str, qn: Questionnaire) -> bool:
    return bool(_resolve(_phrase_hits(qn.skip_phrases, "__skip__", _tokenize(text))))


def _parse_number(question: Question, text: str, qn: Questionnaire) -> ParsedAnswer:
    value = parse_population(text)
    if value is None:
        if _said_skip(text, qn) and question.skippable:
            return ParsedAnswer("skip")
        return ParsedAnswer("unclear", reason="no_match")
    low = question.min if question.min is not None else 0
    high = question.max if question.max is not None else 10**12
    if not low <= value <= high:
        return ParsedAnswer("unclear", value=value, reason="out_of_range")
    return ParsedAnswer("ok", value)


def _parse_text(text: str, qn: Questionnaire) -> ParsedAnswer:
    if _said_skip(text, qn):
        return ParsedAnswer("skip")
    cleaned = " ".join(text.split())
    if not re.search(r"[^\W\d_]", cleaned) or len(cleaned) > MAX_TEXT_ANSWER:
        return ParsedAnswer("unclear", reason="no_match")
    return ParsedAnswer("ok", cleaned)
