"""Turn a free-text German answer into the option ids of a question.

Pure functions: text in, `ParsedAnswer` out (errors are values too). The synonyms,
skip phrases and negation words come from the questionnaire data file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from bot.lemmas import known_form, lemma
from bot.numbers import parse_population
from bot.questionnaire import Question, Questionnaire, load_questionnaire
from bot.textnorm import fold, tokens, within_one_edit

Status = Literal["ok", "skip", "unclear"]
Reason = Literal["empty", "no_match", "ambiguous", "too_many", "out_of_range", "too_long"]


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_SUFFIXES = ("", "e", "en", "n", "s", "es", "er", "em", "ern", "ens", "nen", "ere", "eren", "erer", "eres")
_BOUNDARY_WORDS = {"und", "sowie", "aber", "sondern", "oder", "ausserdem", "auch", "plus"}
_CLAUSE_PUNCT = re.compile(r"[,;.!?:()\n]")
_WORD = re.compile(r"[^\W_]+")
# "vor allem" means "above all", not "alle": dropped before matching
_FILLER = re.compile(r"\bvor\s+allem\b", re.IGNORECASE)
_MARKUP = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
MAX_TEXT_ANSWER = 120

# How well a synonym matched: as written or inflected, as the head of a compound
# ("Pflichtstatistiken" ~ "statistik"), or only as a compound's first part or a typo
# ("Fertigstellung" ~ "fertig", "Gesundhiet" ~ "gesundheit").
_EXACT, _HEAD, _WEAK = 3, 2, 1
# A synonym marked "~" in the data names the topic of the question rather than an answer to it
# ("VHS", "Zweckverband"): it counts when it is all the answer says, but an option stated
# outright wins over it ("nur kostenpflichtig über die VHS", "mit den Nachbarn geplant").
_TOPIC_MARK = "~"
# Words that may stand inside a phrase of several words: "haben wir [leider] nicht",
# "soll [2025] erarbeitet werden". Not negations, not list or contrast words.
_NO_GAP = {"und", "sowie", "oder", "sondern", "plus", "bzw", "als", "nur"}
_GAP_MIN = 8  # short phrases ("ist da", "gibt es") only as written
# Answers whose "no" is a blank to be filled in ("nein", "keine"): when one other option is
# named beside them, that one is the answer ("bisher nicht, soll aber kommen").
_NONE_LIKE = {"nein", "keine"}


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
    capital: bool = False  # written with a capital letter: inside a sentence, mostly a noun


@dataclass(frozen=True)
class _Match:
    start: int
    end: int  # exclusive
    key: str  # option id or a marker such as "__skip__"
    weight: int  # characters of the synonym: longer synonyms win overlaps
    quality: int = _EXACT
    topic: bool = False


@dataclass
class _Mentions:
    positive: list[str]
    negated: list[str]
    said_none: bool
    said_skip: bool
    matches: dict[str, list[_Match]] = field(default_factory=dict)  # positive mentions by option
    options: list[_Match] = field(default_factory=list)  # every option mention, in text order


def _tokenize(text: str) -> list[_Token]:
    result: list[_Token] = []
    for clause_no, clause in enumerate(_CLAUSE_PUNCT.split(text)):
        clause = _FILLER.sub(" ", clause)
        for word in _WORD.findall(clause):
            lower = word.lower()
            for tok in tokens(lower):
                result.append(_Token(tok, lemma(lower), clause_no, word[:1].isupper() and not word.isupper()))
    return result


def _dropped_letter(word: str, syn: str) -> bool:
    """A five-letter synonym typed with one inner letter missing ("stdt" for "stadt")."""
    return len(word) == len(syn) - 1 and any(word == syn[:i] + syn[i + 1 :] for i in range(1, len(syn) - 1))


# Before these a word is a verb with a prefix, not a compound: "überarbeitet" is not
# "erarbeitet", "fortgeschrieben" not "geschrieben", "Einführung" not "Führung".
_VERB_PREFIXES = _wordset(
    "ueb ueber vor nach mit aus ein auf wieder weiter unter durch hin her weg fort zurueck ver zer ent "
    "dar los"
)


@cache
def _function_words() -> frozenset[str]:
    """German function words (the knowledge search's stop words): articles, pronouns, auxiliaries."""
    lines = (Path(__file__).parent / "data" / "stopwords_de.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(fold(w.strip()) for w in lines if w.strip() and not w.startswith("#"))


def _compound_head(first_part: str) -> bool:
    """Is a word the synonym as a compound's head after `first_part` ("Pflicht|statistiken")?"""
    return len(first_part) >= 3 and first_part not in _VERB_PREFIXES


def _token_quality(syn: str, tok: _Token, strict: bool = False) -> int:
    """How one synonym token matches one text token (inflection, compound, one typo); 0 = not.

    Strict matching (for answers to questions that were not asked) accepts inflection only.
    """
    best = 0
    # a function word ("nicht", "können", "machen") is never a typo or a compound of a synonym
    loose = not strict and tok.text not in _function_words()
    for form in (tok.text, tok.lemma):
        if form == syn:
            return _EXACT
        if len(syn) <= 3:
            continue
        if form.startswith(syn) and form[len(syn) :] in _SUFFIXES:
            return _EXACT
        if not loose or len(syn) < 5:
            continue
        if any(
            form.endswith(syn + s) and _compound_head(form[: len(form) - len(syn + s)]) for s in _SUFFIXES
        ):
            best = _HEAD
        elif form.startswith(syn):
            best = max(best, _WEAK)
    if best or not loose:
        return best
    if len(syn) >= 6 and within_one_edit(tok.text, syn) and not known_form(tok.text):
        return _WEAK
    if len(syn) == 5 and _dropped_letter(tok.text, syn):
        return _WEAK
    return 0


def _joined_matches(compact: str, joined: str) -> bool:
    if joined == compact:
        return True
    return len(compact) >= 4 and joined.startswith(compact) and joined[len(compact) :] in _SUFFIXES


@cache
def _synonym_tokens(phrase: str) -> tuple[str, ...]:
    return tuple(tokens(phrase))


def _gap_ok(tok: _Token, clause: int, negations: frozenset[str]) -> bool:
    """May the word stand between the words of a phrase? Not a noun, negation or list word."""
    return tok.clause == clause and not tok.capital and tok.text not in negations and tok.text not in _NO_GAP


def _sequence(
    syn: tuple[str, ...], toks: list[_Token], i: int, strict: bool, gaps: int, negations: frozenset[str]
) -> tuple[int, int] | None:
    """(end, quality) of the synonym's tokens matched from toks[i], with up to `gaps` words between."""
    if i >= len(toks):
        return None
    quality = _token_quality(syn[0], toks[i], strict)
    if not quality:
        return None
    pos = i + 1
    for s in syn[1:]:
        q = _token_quality(s, toks[pos], strict) if pos < len(toks) else 0
        skipped = 0
        while (
            not q and skipped < gaps and pos + 1 < len(toks) and _gap_ok(toks[pos], toks[i].clause, negations)
        ):
            skipped += 1
            pos += 1
            q = _token_quality(s, toks[pos], strict) if toks[pos].clause == toks[i].clause else 0
        if not q:
            return None
        gaps -= skipped
        quality = min(quality, q)
        pos += 1
    return pos, quality


def _find(
    phrase: str,
    key: str,
    toks: list[_Token],
    strict: bool = False,
    gaps: int = 0,
    negations: frozenset[str] = frozenset(),
) -> list[_Match]:
    topic = phrase.startswith(_TOPIC_MARK)
    syn = _synonym_tokens(phrase.lstrip(_TOPIC_MARK))
    if not syn:
        return []
    weight = len("".join(syn))
    compact = "".join(syn)
    found: list[_Match] = []
    n = len(syn)
    for i in range(len(toks)):
        # token by token, each with inflection and compound tolerance
        seq = _sequence(syn, toks, i, strict, gaps if n > 1 and weight >= _GAP_MIN else 0, negations)
        if seq:
            found.append(_Match(i, seq[0], key, weight, seq[1], topic))
            continue
        # spelled together or apart: "E Payment" ~ "epayment", "BundID" ~ "bund id"
        for span in range(1, 4):
            if i + span > len(toks) or (span == 1 and n == 1):
                continue
            joined = "".join(t.text for t in toks[i : i + span])
            if _joined_matches(compact, joined):
                found.append(_Match(i, i + span, key, weight, _EXACT, topic))
                break
    return found


def _resolve(matches: list[_Match]) -> list[_Match]:
    """Longest synonym wins where matches overlap ("niedersachsen" over "sachsen")."""
    taken: list[_Match] = []
    # a typo or a first part counts a little shorter: "Stadtrecht" is "stadtrecht", not "stadtrechte"
    for m in sorted(matches, key=lambda m: (-(m.weight - 2 * (m.quality == _WEAK)), -m.quality, m.start)):
        if all(m.end <= t.start or m.start >= t.end for t in taken):
            taken.append(m)
    return sorted(taken, key=lambda m: m.start)


_POST_NEGATIONS = {"nicht", "nein", "kein", "keine", "keinen", "keiner"}
_PREPOSITIONS = {"im", "in", "aus", "beim", "vom", "zum", "des", "der", "dem"}
_CONTRAST = {"aber", "sondern", "jedoch", "doch", "eher", "eigentlich", "sonst", "ansonsten", "insgesamt"}
_STRONG_CONTRAST = {"aber", "sondern", "jedoch"}
# "eigentlich alles, wobei wenn ich wählen muss: ..." also turns from the "all"
_TURN = _STRONG_CONTRAST | {"allerdings", "wobei"}
# "eher Dorf als Stadt": the option after "als" is the one turned down
_PREFERENCE = {"eher", "lieber", "mehr"}
# For a question about what is lacking (Engpässe), "kein Geld" names the lack itself;
# "Technik ist ok", "Geld ist nicht das Problem" turn an option down.
_LACK_WORDS = {"kein", "keine", "keinen", "keiner", "keinem", "keines", "ohne"}
_ENOUGH = {"genug", "genuegend", "ausreichend", "ausreichende", "ausreichendes", "ausreichenden", "viel"}
_BE = {"ist", "sind", "waere", "waeren", "war"}
_FINE = _wordset(
    "ok okay passt gut genug genuegend ausreichend vorhanden problem probleme problemlos thema "
    "engpass hindernis"
)


def _is_negated(
    m: _Match, toks: list[_Token], negations: set[str], others: list[_Match], lack: bool = False
) -> bool:
    clause = toks[m.start].clause
    # before the mention: "kein Formularserver", "nicht aber die E-Akte", "weder ... noch"
    for j in range(m.start - 1, max(-1, m.start - 4), -1):
        t = toks[j]
        if t.clause != clause:
            break
        inside = [o for o in others if o.start <= j < o.end]
        if inside:
            # "noch nicht angefangen", "keine Strategie geplant": a "no" answer turns down what follows
            if inside[0].key in _NONE_LIKE and any(
                u.text in negations for u in toks[inside[0].start : inside[0].end]
            ):
                return True
            break
        if lack and t.text in _LACK_WORDS:
            return False  # "kein Geld": the lack is the answer
        if lack and t.text == "nicht" and j + 1 < m.start and toks[j + 1].text in _ENOUGH:
            return False  # "nicht genug Personal"
        if t.text in negations or t.text == "weder":
            return True
        if t.text in _BOUNDARY_WORDS and not (j > 0 and toks[j - 1].text in negations):
            break
    if any(t.text == "weder" for t in toks[: m.start] if t.clause == clause) and any(
        t.text == "noch" for t in toks[: m.start] if t.clause == clause
    ):
        return True
    if (
        m.start > 0
        and toks[m.start - 1].text == "als"
        and any(t.text in _PREFERENCE for t in toks[: m.start - 1] if t.clause == clause)
    ):
        return True
    # after the mention: "Formularserver haben wir nicht", "E-Payment nicht"
    for j in range(m.end, min(len(toks), m.end + 4)):
        t = toks[j]
        if t.clause != clause or t.text in _BOUNDARY_WORDS:
            break
        if any(o.start <= j < o.end and o.key == m.key for o in others):
            continue  # "nee, haben wir nicht": the same answer said twice, not a negation
        if lack and (t.text in _FINE or (t.text == "da" and toks[j - 1].text in _BE)):
            return True  # "Technik ist ok", "Geld ist kein Thema", "das Geld wäre da"
        if t.text in _POST_NEGATIONS:  # "haben wir noch keine", "E-Payment nicht"
            if lack and j > m.end:  # "der Gemeinderat zieht nicht mit", unless "... ist nicht das Problem"
                rest = toks[j + 1 : j + 5]
                return any(r.clause == clause and r.text in _FINE for r in rest)
            return True
    return False


def _lack_question(question: Question) -> bool:
    """A question about what is missing: most options list a "kein ..." synonym ("kein Geld")."""
    with_lack = sum(
        any(_synonym_tokens(s.lstrip(_TOPIC_MARK))[:1] in (("kein",), ("keine",)) for s in o.synonyms)
        for o in question.options
    )
    return question.kind == "multi" and 2 * with_lack >= len(question.options)


# A mention with one of these in reach is planned, not in use ("E-Akte kommt nächstes Jahr").
_PLAN_WORDS = _wordset(
    "geplant planung planen demnaechst bald kuenftig zukuenftig vorgesehen angedacht kommt kommen "
    "naechstes naechsten naechstem eingefuehrt einfuehrung einfuehren aufbau"
)
_PLAN_SKIP = _wordset(
    "ist sind wird werden soll sollen noch auch erst dann die der das den dem ein eine einen unser "
    "unsere unseren wir es jahr ab in im und sowie plus schon gerade"
)


_WHEN = {"noch", "erst", "ab", "im", "dann", "spaeter", "irgendwann", "hoffentlich", "wohl"}


def _about_present(question: Question) -> bool:
    """A multi-choice question about what is in place now, not about aims or plans."""
    return question.kind == "multi" and not re.search(
        r"\b(soll|sollen|würde|würden|wollen|möchten)\b", question.text
    )


def _planned(options: list[_Match], toks: list[_Token]) -> set[int]:
    """Indexes (into `options`) of mentions that a plan word puts in the future."""
    planned: set[int] = set()
    for p, t in enumerate(toks):
        nxt = toks[p + 1] if p + 1 < len(toks) and toks[p + 1].clause == t.clause else None
        if t.text not in _PLAN_WORDS or (
            # "E-Akte kommt nächstes Jahr", not "Formulare kommen gut an"
            t.text in ("kommt", "kommen")
            and nxt
            and nxt.text not in _PLAN_WORDS | _WHEN
            and not nxt.text.isdigit()
        ):
            continue
        for step in (-1, 1):
            j = p + step
            while 0 <= j < len(toks) and toks[j].clause == t.clause:
                hit = next((k for k, m in enumerate(options) if m.start <= j < m.end), None)
                if hit is not None:
                    planned.add(hit)
                    j = options[hit].start - 1 if step < 0 else options[hit].end
                    continue
                if (
                    toks[j].text not in _PLAN_SKIP
                    and toks[j].text not in _PLAN_WORDS
                    and not toks[j].text.isdigit()
                ):
                    break
                j += step
    return planned


def _choose_single(mentions: _Mentions, toks: list[_Token]) -> list[str]:
    """Of several single-choice mentions keep the ones the answer is about.

    An option said outright wins over a topic word and over a compound's first part; a "no"
    beside one other option gives way to it ("noch nicht, ist aber angedacht"); a mention after
    a contrast word wins; a mention after a preposition is a place, not the answer
    ("Gemeinde im Landkreis Harburg").
    """
    positive = mentions.positive
    for keep in (
        lambda ms: any(not m.topic for m in ms),
        lambda ms: any(m.quality >= _HEAD for m in ms),
    ):
        kept = [p for p in positive if keep(mentions.matches.get(p, []))]
        if kept:
            positive = kept
        if len(positive) == 1:
            return positive
    if len(positive) == 2 and len(set(positive) & _NONE_LIKE) == 1:
        return [p for p in positive if p not in _NONE_LIKE]
    # a bare "ja" beside one other option is qualified by it: "bei manchen Projekten ja"
    bare_yes = [p for p in positive if all(_words(m, toks) in _BARE_YES for m in mentions.matches.get(p, []))]
    if len(positive) == 2 and len(bare_yes) == 1:
        return [p for p in positive if p not in bare_yes]
    options = [m for m in mentions.options if m.key in positive]
    hedged = {m.key for m in options if "eher" in (toks[m.start].text, toks[max(m.start - 1, 0)].text)}
    if len(hedged) == 1:
        return list(hedged)  # "eher gering bis mittel"
    contrast_at = max(
        (i for i, t in enumerate(toks) if t.text in _CONTRAST and not _inside(i, options)), default=None
    )
    if contrast_at is not None:
        after = [m.key for m in options if m.start > contrast_at]
        if len(set(after)) == 1:
            return after[:1]
    kept = [m.key for m in options if not (m.start > 0 and toks[m.start - 1].text in _PREPOSITIONS)]
    return list(dict.fromkeys(kept)) or positive


_BARE_YES = {("ja",), ("ja", "klar")}


def _words(m: _Match, toks: list[_Token]) -> tuple[str, ...]:
    return tuple(t.text for t in toks[m.start : m.end])


def _inside(i: int, matches: list[_Match]) -> bool:
    return any(m.start <= i < m.end for m in matches)


def _qualified_after_contrast(toks: list[_Token], mentions: _Mentions) -> bool:
    """ "Nein, aber ..." with no option after the contrast puts the "no" in doubt.

    Only a "no" is put in doubt: "ja, aber veraltet" is still a yes. A contrast word inside an
    option's phrase ("nutzen es aber nicht") does not count.
    """
    if not set(mentions.positive) <= _NONE_LIKE:
        return False
    contrast_at = max(
        (i for i, t in enumerate(toks) if t.text in _STRONG_CONTRAST and not _inside(i, mentions.options)),
        default=None,
    )
    if contrast_at is None or len(toks) - contrast_at - 1 < 1:
        return False
    if not any(m.start < contrast_at for m in mentions.options):
        return False
    return not any(m.start > contrast_at for m in mentions.options)


# "alles, was mit Verwaltung zu tun hat", "alles andere ist zweitrangig": not every option
_NARROWING = _wordset("was rund mit zum zur andere anderen andre weitere uebrige uebrigen")


def _exact(m: _Match, toks: list[_Token], qn: Questionnaire) -> bool:
    """An 'all' phrase counts only as written: "vor allem" does not mean "alle"."""
    words = [t.text for t in toks[m.start : m.end]]
    narrowed = m.end < len(toks) and toks[m.end].text in _NARROWING  # "alles, was mit Verwaltung zu tun hat"
    return (
        any(list(_synonym_tokens(p)) == words for p in qn.all_phrases)
        and not (m.start > 0 and toks[m.start - 1].text == "vor")
        and not narrowed
    )


def _has_except(toks: list[_Token], qn: Questionnaire) -> bool:
    return bool(_phrase_hits(qn.except_words, "__except__", toks))


def _phrase_hits(
    phrases: list[str],
    key: str,
    toks: list[_Token],
    strict: bool = False,
    gaps: int = 0,
    negations: frozenset[str] = frozenset(),
) -> list[_Match]:
    hits: list[_Match] = []
    for p in phrases:
        hits.extend(_find(p, key, toks, strict, gaps, negations))
    return hits


def _negations(qn: Questionnaire) -> frozenset[str]:
    return frozenset(fold(w) for w in qn.negation_words if " " not in w)


def _option_mentions(
    question: Question, qn: Questionnaire, toks: list[_Token], strict: bool = False
) -> _Mentions:
    """Positive and negated option ids in text order, whether 'none' or 'skip' was said."""
    negations = _negations(qn)
    gaps = 0 if strict else 2
    matches: list[_Match] = []
    for opt in question.options:
        matches.extend(_phrase_hits([*opt.synonyms, opt.label], opt.id, toks, strict, gaps, negations))
    markers = _phrase_hits(qn.skip_phrases, "__skip__", toks, strict, gaps, negations)
    if question.kind == "multi":
        markers += _phrase_hits(qn.none_phrases + qn.list_end_phrases, "__none__", toks)
        markers += [m for m in _phrase_hits(qn.all_phrases, "__all__", toks) if _exact(m, toks, qn)]
    resolved = _resolve(matches + markers)
    options = [m for m in resolved if not m.key.startswith("__")]
    lack = _lack_question(question)
    planned = _planned(options, toks) if _about_present(question) and not lack else set()
    positive: list[str] = []
    negated: list[str] = []
    by_key: dict[str, list[_Match]] = {}
    stated_no: set[str] = set()  # options turned down outright, not just in a topic word
    for k, m in enumerate(options):
        others = [o for o in options if o is not m]
        if k in planned or _is_negated(m, toks, set(negations), others, lack):
            target = negated
            if not m.topic:
                stated_no.add(m.key)
        else:
            target = positive
            by_key.setdefault(m.key, []).append(m)
        if m.key not in target:
            target.append(m.key)
    # "Austausch ja, gemeinsame Projekte noch nicht": a turned-down topic word does not undo a "ja"
    positive = [
        p
        for p in positive
        if p not in negated
        or (question.kind == "single" and p not in stated_no and any(not m.topic for m in by_key[p]))
    ]
    all_at = next((m.start for m in resolved if m.key == "__all__"), None)
    if all_at is not None:
        excepting = _has_except(toks, qn)
        contrast_at = next(
            (i for i, t in enumerate(toks) if i > all_at and t.text in _TURN and not _inside(i, options)),
            None,
        )
        named_after = [m.key for m in options if contrast_at is not None and m.start > contrast_at]
        if excepting or not named_after:
            # "alle", "alles außer Chatbot": every option but the none option and exceptions
            excepted = [m.key for m in options if m.start > all_at] if excepting else []
            everything = [o for o in question.option_ids if o != question.none_option]
            positive = [o for o in everything if o not in excepted and o not in negated]
            negated = [*negated, *excepted]
        else:
            # "eigentlich alles, aber wenn ich wählen muss: Effizienz, OZG": the named ones
            positive = [p for p in dict.fromkeys(named_after) if p not in negated]
    said_none = any(m.key == "__none__" for m in resolved)
    said_skip = any(m.key == "__skip__" for m in resolved)
    return _Mentions(positive, negated, said_none, said_skip, by_key, options)


# "Muss ich beim Hauptamt erfragen": the user will find out; whatever else is named is not the answer.
_DEFER_VERBS = _wordset(
    "erfragen nachfragen nachschauen nachsehen nachgucken nachlesen recherchieren rausfinden "
    "herausfinden erkundigen klaeren fragen"
)
_DEFER_SUBJECT = {"muss", "muesste", "muesst", "muessen", "muessten", "werde", "ich"}


def _deferral_clauses(toks: list[_Token]) -> set[int]:
    """Clauses in which the user says they must ask or look it up ("da frag ich mal die Kollegin")."""
    found: set[int] = set()
    for i, t in enumerate(toks):
        same = [u.text for u in toks if u.clause == t.clause]
        if t.text in _DEFER_VERBS and _DEFER_SUBJECT & set(same):
            found.add(t.clause)
        nxt = toks[i + 1].text if i + 1 < len(toks) else ""
        if (t.text in ("frag", "frage") and nxt == "ich") or (t.text == "ich" and nxt in ("frag", "frage")):
            found.add(t.clause)
    return found


# A message that asks something back ("Wie läuft das ab?", "Ist das ein Bot?", "bist du eine KI")
# or asks for something ("ich möchte einen Termin", "erklär mir das OZG") is not an answer,
# whatever option words it contains; "was ist FIM?" is one where it is a synonym.
_QUESTION_WORDS = _wordset(
    "wie was wer wo wann warum wieso weshalb wozu welche welcher welches welchen welchem woher wohin "
    "womit worum"
)
_VERB_FIRST = _wordset(
    "ist is sind kann kannst koennen koennte muss muessen soll sollen sollte darf duerfen wird werden "
    "gibt gibts habe haben hat hast sieht bist bin geht funktioniert brauche brauchen will wollen gilt "
    "zaehlt macht heisst bedeutet meinen meinst spreche schreibe schreib redet laeuft antwortet lohnt"
)
_ASKING_SUBJECT = _wordset("das ich sie du man hier")  # "ist das ein Bot", "spreche ich mit ..."
_PREPOSITIONS_BEFORE_QUESTION = _wordset("mit fuer von bei in auf ab seit zu")
_REQUESTS = [
    ("ich", "moechte"),
    ("ich", "will"),
    ("ich", "brauche"),
    ("ich", "haette"),
    ("ich", "wuerde", "gern"),
    ("ich", "wuerde", "gerne"),
    ("erklaer",),
    ("erklaere",),
    ("erklaeren",),
    ("schreib",),
    ("schreibe",),
    ("zeig",),
    ("zeige",),
    ("hilf",),
]
_SECOND_PERSON = _wordset("du bist dich dir dein deine ihr euch euer eure")


def _asks_back(text: str, toks: list[_Token], mentions: _Mentions) -> bool:
    # an answer phrase that opens the message is no question ("gibt es nicht", "was ist FIM")
    if (
        not toks
        or mentions.said_skip
        or any(m.start == 0 and m.end > 1 and not m.topic for m in mentions.options)
    ):
        return False
    words = [t.text for t in toks]
    question_mark = text.rstrip().endswith("?")
    if words[1:2] == ["gesagt"] or (len(toks) > 1 and toks[1].clause != toks[0].clause):
        return False  # "Wie gesagt, Gemeinde", "Wer? Der Digitalisierungsbeauftragte"
    return (
        words[0] in _QUESTION_WORDS
        or (words[0] in _PREPOSITIONS_BEFORE_QUESTION and words[1:2] and words[1] in _QUESTION_WORDS)
        or (question_mark and words[-1] in _QUESTION_WORDS)  # "Kita-Platz beantragen wie?"
        or (words[0] in _VERB_FIRST and (question_mark or words[1:2] and words[1] in _ASKING_SUBJECT))
        or any(tuple(words[: len(r)]) == r for r in _REQUESTS)
        or any(w in _SECOND_PERSON for w in words)
    )


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
    mentions = _option_mentions(question, qn, toks, strict)
    deferred = _deferral_clauses(toks)
    if deferred and question.skippable and all(toks[m.start].clause in deferred for m in mentions.options):
        return ParsedAnswer("skip")
    # a Land named in a question is still the Land ("Wer hilft uns in Sachsen?")
    if not question.specific_options and _asks_back(text, toks, mentions):
        return ParsedAnswer("unclear", reason="no_match")
    positive = mentions.positive

    if question.kind == "single":
        if len(positive) > 1:
            positive = _choose_single(mentions, toks)
        if len(positive) == 1 and _qualified_after_contrast(toks, mentions):
            return ParsedAnswer("unclear", reason="ambiguous")  # "bisher nicht, aber ..."
        if len(positive) == 1:
            return ParsedAnswer("ok", positive[0])
        if len(positive) > 1:
            return ParsedAnswer("unclear", reason="ambiguous")
        if mentions.negated and "nein" in question.option_ids and "nein" not in mentions.negated:
            return ParsedAnswer("ok", "nein")  # "nicht aktiv", "nicht in Ausbildung"
        if mentions.said_skip and question.skippable:
            return ParsedAnswer("skip")
        return ParsedAnswer("unclear", reason="no_match")

    # multi
    if positive:
        if question.none_option and len(positive) > 1 and question.none_option in positive:
            positive.remove(question.none_option)
        if question.max_choices and len(positive) > question.max_choices:
            return ParsedAnswer("unclear", value=positive, reason="too_many")
        return ParsedAnswer("ok", positive)
    if mentions.said_none or mentions.negated:
        if question.none_option:
            return ParsedAnswer("ok", [question.none_option])
        if question.allow_empty:
            return ParsedAnswer("ok", [])
    if mentions.said_skip and question.skippable:
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
    toks = _tokenize(text)
    return bool(_resolve(_phrase_hits(qn.skip_phrases, "__skip__", toks))) or bool(_deferral_clauses(toks))


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
