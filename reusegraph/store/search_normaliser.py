"""Danish/Norwegian spelling folds, so a search in one language finds processes in the other.

The stored `search` vector holds Danish, Norwegian and simple stems of each process, but the
stems of "sykefravær" and "sygefravær" differ. Instead of a new stored column, the query text
is rewritten into the other language's spelling (word pairs and a few regular spelling
shifts) in SQL, and the three texts' queries are ORed; nothing is downloaded at run time.
"""

from typing import Any

from sqlalchemy import ColumnElement, func

# (Norwegian, Danish) regular expressions over whole words or word starts; \m is a word start.
NORWEGIAN_TO_DANISH: tuple[tuple[str, str], ...] = (
    (r"\mbarnehage", "børnehave"),
    (r"\msøknad(ene|en|er)?\M", "ansøgning"),
    (r"\msyk", "syg"),
    (r"\mlønn", "løn"),
    (r"\mgodkjenning", "godkendelse"),
    (r"\moppfølging", "opfølgning"),
    (r"tillatelse", "tilladelse"),
    (r"kj", "k"),
    (r"\mav\M", "af"),
    (r"\mopp", "op"),
    (r"\minn", "ind"),
    (r"([ltsk])\1\M", "\\1"),
    (r"\mutbetaling", "udbetaling"),
    (r"\mtiltak", "tiltag"),
    (r"\mvedtak", "vedtag"),
)
DANISH_TO_NORWEGIAN: tuple[tuple[str, str], ...] = (
    (r"\mbørnehave", "barnehage"),
    (r"\mansøgning(er|en|erne)?\M", "søknad"),
    (r"\msyg", "syk"),
    (r"\mløn\M", "lønn"),
    (r"\mløn(s|ning)", "lønn\\1"),
    (r"\mudbetaling", "utbetaling"),
    (r"\mtiltag", "tiltak"),
    (r"\mgodkendelse", "godkjenning"),
    (r"\mopfølgning", "oppfølging"),
    (r"tilladelse", "tillatelse"),
    (r"\maf\M", "av"),
    (r"kontrol\M", "kontroll"),
)


def _fold(text: str | ColumnElement[Any], rules: tuple[tuple[str, str], ...]) -> ColumnElement[Any]:
    folded = func.lower(text)
    for pattern, replacement in rules:
        folded = func.regexp_replace(folded, pattern, replacement, "g")
    return folded


def to_danish(text: str | ColumnElement[Any]) -> ColumnElement[Any]:
    """The text with Norwegian spellings replaced by their Danish forms."""
    return _fold(text, NORWEGIAN_TO_DANISH)


def to_norwegian(text: str | ColumnElement[Any]) -> ColumnElement[Any]:
    """The text with Danish spellings replaced by their Norwegian forms."""
    return _fold(text, DANISH_TO_NORWEGIAN)
