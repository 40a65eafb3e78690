"""Danish/Norwegian spelling folds, so a search or a title in one language meets the other.

The stored `search` vector holds Danish, Norwegian and simple stems of each process, but the
stems of "sykefravær" and "sygefravær" differ. The query text is rewritten into the other
language's spelling (word pairs and a few regular spelling shifts) and the three texts'
queries are ORed. Titles are compared by trigrams stored per process, so the stored set is
made from the title folded both ways (`fold_title`), which brings a Danish title and its
Norwegian twin to one spelling.

The rules run in PostgreSQL as the SQL functions ``fold_to_danish``, ``fold_to_norwegian``
and ``fold_title`` (migration 0022), because a stored generated column can only call
immutable SQL functions and search must fold exactly as the stored titles were. The tuples
below are those functions' source: a change to them needs a migration that replaces the
functions (``function_sql``) and recomputes ``process.title_trigrams``;
``tests/test_search_folds.py`` fails until it exists. Nothing is downloaded at run time.
"""

from typing import Any

from sqlalchemy import ColumnElement, Text, func

# (Norwegian, Danish). A space marks a word's start or end (the text is padded, one space
# each side of every word); a pattern with regular-expression syntax runs as regexp_replace,
# any other as replace(), which needs no compiled expression (PostgreSQL caches 32).
# Word pairs come first, then the regular shifts that would spoil them (kj, inn, doubles).
NORWEGIAN_TO_DANISH: tuple[tuple[str, str], ...] = (
    (" barnehage", " børnehave"),
    (r"\msøknad(ene|en|er)?\M", "ansøgning"),
    (" sykepeng", " sygedagpeng"),
    (" syk", " syg"),
    (r"\mlønns?", "løn"),
    (" godkjenning", " godkendelse"),
    (" oppfølging", " opfølgning"),
    ("tillatelse", "tilladelse"),
    ("kjøring", "kørsel"),
    (" innbygger", " borger"),
    (" innsyn ", " aktindsigt "),
    (" innrapportering", " indberetning"),
    (" innkreving", " opkrævning"),
    ("innkalling", "indkaldelse"),
    (" sosialhjelp", " kontanthjælp"),
    (" purring", " rykker"),
    (" skyss ", " befordring "),
    (" fratreden ", " fratrædelse "),
    (" flytting", " flytning"),
    (" avles", " aflæs"),
    (" bostøtte", " boligstøtte"),
    ("skriving", "skrivning"),
    ("kj", "k"),
    ("køp", "køb"),
    (" av ", " af "),
    (" opp", " op"),
    (" inn", " ind"),
    (" vann", " vand"),
    ("fall ", "fald "),
    ("plass ", "plads "),
    (r"([ltskd])\1\M", r"\1"),
    ("utbetaling", "udbetaling"),
    (" kommunestyre", " byråd"),
    ("tak ", "tag "),
    (" bok", " bog"),
    (" møte", " møde"),
    ("ytelse", "ydelse"),
    (r"\msak(er|en)?\M", r"sag\1"),
    (" sosial", " social"),
    ("hjelp", "hjælp"),
    (" lege", " læge"),
    ("endring", "ændring"),
    ("asjon", "ation"),
    ("ksjon", "ktion"),
    ("sjon", "sion"),
    (r"ei(?!n)", "ej"),
)
DANISH_TO_NORWEGIAN: tuple[tuple[str, str], ...] = (
    (" børnehave", " barnehage"),
    (r"\mansøgning(er|en|erne)?\M", "søknad"),
    (" sygedagpeng", " sykepeng"),
    (" syg", " syk"),
    (" løn ", " lønn "),
    (r"\mløn(s|ning)", r"lønn\1"),
    ("udbetaling", "utbetaling"),
    (" byråd", " kommunestyre"),
    (" godkendelse", " godkjenning"),
    (" opfølgning", " oppfølging"),
    ("tilladelse", "tillatelse"),
    ("kørsel", "kjøring"),
    (" borger", " innbygger"),
    (" aktindsigt ", " innsyn "),
    (" indberetning", " innrapportering"),
    (" opkrævning", " innkreving"),
    ("indkaldelse", "innkalling"),
    (" kontanthjælp", " sosialhjelp"),
    (" rykker", " purring"),
    (" befordring", " skyss"),
    (" fratrædelse", " fratreden"),
    (" flytning", " flytting"),
    (" aflæs", " avles"),
    (" boligstøtte", " bostøtte"),
    ("skrivning", "skriving"),
    ("køb", "kjøp"),
    (" af ", " av "),
    ("kontrol ", "kontroll "),
    (" vand", " vann"),
    ("fald ", "fall "),
    ("plads ", "plass "),
    ("tag ", "tak "),
    (" bog", " bok"),
    (" møde", " møte"),
    ("ydelse", "ytelse"),
    (r"\msag(er|en)?\M", r"sak\1"),
    (" social", " sosial"),
    ("hjælp", "hjelp"),
    (" læge", " lege"),
    ("ændring", "endring"),
    ("ation", "asjon"),
    ("ktion", "ksjon"),
    ("sion", "sjon"),
    ("ej", "ei"),
)
FUNCTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "fold_to_danish": NORWEGIAN_TO_DANISH,
    "fold_to_norwegian": DANISH_TO_NORWEGIAN,
}
# Words only: trigram_set() ignores punctuation anyway, and so every word is bounded by spaces.
TITLE_FOLD_BODY = (
    "SELECT fold_to_danish(fold_to_norwegian("
    "regexp_replace($1, '[^[:alnum:]æøåäöüéÆØÅÄÖÜÉ]+', ' ', 'g')))"
)
_REGEX_SYNTAX = frozenset("\\()?|[]*+{}^$.")


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def function_body(rules: tuple[tuple[str, str], ...]) -> str:
    """The SQL body of a fold function: lower-case, one space each side of every word, each
    rule in order, then single spaces again."""
    folded = "' ' || regexp_replace(lower($1), '\\s+', '  ', 'g') || ' '"
    for pattern, replacement in rules:
        if _REGEX_SYNTAX.isdisjoint(pattern):
            folded = f"replace({folded}, {_quoted(pattern)}, {_quoted(replacement)})"
        else:
            folded = f"regexp_replace({folded}, {_quoted(pattern)}, {_quoted(replacement)}, 'g')"
    return f"SELECT btrim(regexp_replace({folded}, '\\s+', ' ', 'g'))"


def function_sql(name: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}(value text) RETURNS text"
        f" LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $fold$ {body} $fold$"
    )


def functions_sql() -> list[str]:
    """The statements that (re)create the fold functions as the rules above define them."""
    statements = [function_sql(name, function_body(rules)) for name, rules in FUNCTIONS.items()]
    return [*statements, function_sql("fold_title", TITLE_FOLD_BODY)]


def to_danish(text: str | ColumnElement[Any]) -> ColumnElement[Any]:
    """The text with Norwegian spellings replaced by their Danish forms."""
    return func.fold_to_danish(text, type_=Text)


def to_norwegian(text: str | ColumnElement[Any]) -> ColumnElement[Any]:
    """The text with Danish spellings replaced by their Norwegian forms."""
    return func.fold_to_norwegian(text, type_=Text)


def fold_title(text: str | ColumnElement[Any]) -> ColumnElement[Any]:
    """One spelling for a Danish title and its Norwegian twin: folded to Norwegian, then to
    Danish, so that a pair that either direction's rules join ends up the same."""
    return func.fold_title(text, type_=Text)
