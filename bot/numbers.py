"""German number parsing for free-text answers ("ca. 12.000", "12 Tsd.", "zwölftausend")."""

from __future__ import annotations

import re

from bot.textnorm import fold

_UNITS = {
    "null": 0,
    "ein": 1,
    "eins": 1,
    "eine": 1,
    "einen": 1,
    "zwei": 2,
    "zwo": 2,
    "drei": 3,
    "vier": 4,
    "fuenf": 5,
    "sechs": 6,
    "sieben": 7,
    "acht": 8,
    "neun": 9,
}
_TEENS = {
    "zehn": 10,
    "elf": 11,
    "zwoelf": 12,
    "dreizehn": 13,
    "vierzehn": 14,
    "fuenfzehn": 15,
    "sechzehn": 16,
    "siebzehn": 17,
    "achtzehn": 18,
    "neunzehn": 19,
}
_TENS = {
    "zwanzig": 20,
    "dreissig": 30,
    "vierzig": 40,
    "fuenfzig": 50,
    "sechzig": 60,
    "siebzig": 70,
    "achtzig": 80,
    "neunzig": 90,
}
_SCALES = {
    "hundert": 100,
    "tausend": 1000,
    "million": 1_000_000,
    "millionen": 1_000_000,
    "mio": 1_000_000,
}
_FRACTIONS = {"einhalb": 0.5, "anderthalb": 1.5, "eineinhalb": 1.5, "halb": 0.5, "halbe": 0.5}

# Longest first so that "siebzehn" wins over "sieben", "einhalb" over "ein".
_MORPHEMES = sorted([*_UNITS, *_TEENS, *_TENS, *_SCALES, *_FRACTIONS, "und"], key=len, reverse=True)
_MULTIPLIERS = {
    "tsd": 1000,
    "tausend": 1000,
    "k": 1000,
    "t": 1000,
    "tds": 1000,
    "mio": 1_000_000,
    "million": 1_000_000,
    "millionen": 1_000_000,
    "mill": 1_000_000,
}
_DIGITS = re.compile(
    r"(?<!\w)(?<!\d[.,])(\d{1,3}(?:[. ]\d{3})+|\d+)(?:,(\d+)|\.(\d{1,2})(?!\d))?"
    r"(?:\s*(tsd|tds|tausend|k|t|mio|millionen|million|mill)\b\.?)?"
)


def _split_number_word(word: str) -> list[str] | None:
    """Split a compound German number word into morphemes, or None if it is none."""
    parts: list[str] = []
    rest = word
    while rest:
        for m in _MORPHEMES:
            if rest.startswith(m):
                parts.append(m)
                rest = rest[len(m) :]
                break
        else:
            return None
    if all(p == "und" for p in parts):
        return None
    return parts


def _value_of_morphemes(parts: list[str]) -> float:
    total = 0.0
    current = 0.0
    for p in parts:
        if p == "und":
            continue
        if p in _UNITS:
            current += _UNITS[p]
        elif p in _TEENS:
            current += _TEENS[p]
        elif p in _TENS:
            current += _TENS[p]
        elif p in _FRACTIONS:
            current += _FRACTIONS[p]
        elif p == "hundert":
            current = (current or 1) * 100
        else:  # tausend, million
            scale = _SCALES[p]
            total += (current or 1) * scale
            current = 0
    return total + current


_VAGUE = {"einige", "paar", "mehrere", "viele", "etliche", "wenige", "paaren"}


def word_numbers(text: str) -> list[float]:
    """Numbers written as German words, e.g. 'zwölftausend' -> 12000."""
    values: list[float] = []
    words = re.findall(r"[a-z]+", fold(text))
    i = 0
    while i < len(words):
        parts = _split_number_word(words[i])
        if parts is None or parts == ["ein"] or parts == ["eine"] or parts == ["einen"]:
            i += 1
            continue
        if parts in (["hundert"], ["tausend"]) and i > 0 and words[i - 1] in _VAGUE:
            i += 1  # "einige Tausend", "ein paar hundert": no figure
            continue
        value = _value_of_morphemes(parts)
        # "zwölf tausend", "drei komma fünf millionen"
        while i + 1 < len(words) and words[i + 1] in ("tausend", "millionen", "million", "mio"):
            value *= _MULTIPLIERS[words[i + 1]]
            i += 1
        values.append(value)
        i += 1
    return values


def _digit_matches(text: str) -> list[tuple[int, float]]:
    """(position, value) of the numbers written with digits in folded text."""
    found: list[tuple[int, float]] = []
    for m in _DIGITS.finditer(text):
        integer, comma_dec, dot_dec, mult = m.groups()
        value = float(integer.replace(".", "").replace(" ", ""))
        decimals = comma_dec or dot_dec
        if decimals:
            value += float("0." + decimals)
        if mult:
            value *= _MULTIPLIERS[mult]
        found.append((m.start(), value))
    return found


def digit_numbers(text: str) -> list[float]:
    """Numbers written with digits, German separators and multipliers ('1,2 Mio.')."""
    return [value for _, value in _digit_matches(fold(text))]


# Dates and years say when the figure was counted ("31.487 (Stand 2023)"), they are not the figure.
_DATES = re.compile(
    r"\b\d{1,2}\.\d{1,2}\.(?:\d{2,4})?"
    r"|\b(?:stand|seit|jahr|zensus|anno|ende|mitte|anfang)\s*:?\s*(?:19|20)\d{2}\b"
    r"|\((?:19|20)\d{2}\)"
)
# "unter 5000, so 4200": a bound is the answer only when no other figure is given
_BOUND_BEFORE = re.compile(
    r"\b(?:unter|ueber|mehr als|weniger als|bis zu|hoechstens|mindestens|maximal|minimal)\s*$"
)


def parse_population(text: str) -> int | None:
    """The population figure in a free-text answer, or None.

    Ranges ("10 bis 12 Tsd.") give their middle; a multiplier after the second
    number applies to the first as well.
    """
    folded = fold(text)
    rng = re.search(
        r"(\d+(?:,\d+)?)\s*(?:bis|-|–|und)\s*(\d+(?:,\d+)?)\s*(tsd|tausend|k|mio|millionen)\b",
        folded,
    )
    if rng:
        low = float(rng.group(1).replace(",", "."))
        high = float(rng.group(2).replace(",", "."))
        mult = _MULTIPLIERS[rng.group(3)]
        return round((low + high) / 2 * mult)
    undated = _DATES.sub(" ", folded)
    if re.search(r"\d", undated):
        folded = undated
    found = _digit_matches(folded)
    unbounded = [v for pos, v in found if not _BOUND_BEFORE.search(folded[max(0, pos - 15) : pos])]
    values = (unbounded or [v for _, v in found]) or word_numbers(folded)
    if not values:
        return None
    if len(values) >= 2 and re.search(r"\b(zwischen|bis)\b|\d\s*[-–]\s*\d", folded):
        return round((values[0] + values[1]) / 2)
    return round(max(values))
