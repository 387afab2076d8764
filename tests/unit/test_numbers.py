import pytest

from bot.numbers import parse_population


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ca. 12.000", 12000),
        ("12 Tsd.", 12000),
        ("zwölftausend", 12000),
        ("zwoelftausend", 12000),
        ("so um die 8 Tsd. Einwohner", 8000),
        ("knapp 50.000", 50000),
        ("1,2 Mio.", 1200000),
        ("dreieinhalbtausend", 3500),
        ("48 000", 48000),
        ("zweiundzwanzigtausendfünfhundert", 22500),
        ("zwischen 10 und 12 tausend", 11000),
        ("eine Million", 1000000),
        ("wir haben 9.500 Einwohner", 9500),
    ],
)
def test_german_numbers(text, expected):
    assert parse_population(text) == expected


@pytest.mark.parametrize("text", ["keine Ahnung", "viele", "", "😀"])
def test_no_number(text):
    assert parse_population(text) is None
