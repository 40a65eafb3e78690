"""spelling folds: Danish/Norwegian folds as SQL functions, title trigrams of the folded title

Revision ID: 0023_spelling_folds
Revises: 0021_signed_viewer
Create Date: 2026-12-08 02:00:00

``fold_to_danish`` and ``fold_to_norwegian`` rewrite a text into the other language's
spelling (``store/search_normaliser.py`` calls them for search); ``fold_title`` folds both
ways, so "Registrering av sykefravær" and "Registrering af sygefravær" get one spelling.
``process.title_trigrams`` is recomputed from the folded title, so ``similarProcesses``
compares titles across the language border ("Sykefravær"/"Sygefravær": 0.57 -> 1.0).
PostgreSQL before 17 cannot change a generated column's expression, so the column and its
GIN index are made again (one table rewrite).

The rules are frozen here as they were at this revision; ``tests/test_search_folds.py``
checks that the database's functions are the code's rules.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_spelling_folds"
down_revision: str | None = "0021_signed_viewer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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

# Words only: trigram_set() ignores punctuation anyway, and so every word is bounded by spaces.
TITLE_FOLD_BODY = (
    "SELECT fold_to_danish(fold_to_norwegian("
    "regexp_replace($1, '[^[:alnum:]æøåäöüéÆØÅÄÖÜÉ]+', ' ', 'g')))"
)
_REGEX_SYNTAX = frozenset("\\()?|[]*+{}^$.")


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _body(rules: tuple[tuple[str, str], ...]) -> str:
    folded = "' ' || regexp_replace(lower($1), '\\s+', '  ', 'g') || ' '"
    for pattern, replacement in rules:
        if _REGEX_SYNTAX.isdisjoint(pattern):
            folded = f"replace({folded}, {_quoted(pattern)}, {_quoted(replacement)})"
        else:
            folded = f"regexp_replace({folded}, {_quoted(pattern)}, {_quoted(replacement)}, 'g')"
    return f"SELECT btrim(regexp_replace({folded}, '\\s+', ' ', 'g'))"


def _function(name: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}(value text) RETURNS text"
        f" LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $fold$ {body} $fold$"
    )


def _title_trigrams(expression: str) -> None:
    op.drop_index("ix_process_title_trigrams", table_name="process", postgresql_using="gin")
    op.drop_column("process", "title_trigrams")
    op.add_column(
        "process",
        sa.Column(
            "title_trigrams",
            sa.ARRAY(sa.Text()),
            sa.Computed(expression, persisted=True),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_process_title_trigrams",
        "process",
        ["title_trigrams"],
        unique=False,
        postgresql_using="gin",
    )


def upgrade() -> None:
    op.execute(_function("fold_to_danish", _body(NORWEGIAN_TO_DANISH)))
    op.execute(_function("fold_to_norwegian", _body(DANISH_TO_NORWEGIAN)))
    op.execute(_function("fold_title", TITLE_FOLD_BODY))
    op.execute(
        "COMMENT ON FUNCTION fold_title(text) IS"
        " 'A Danish or Norwegian text in one spelling: folded to Norwegian, then to Danish'"
    )
    _title_trigrams("trigram_set(fold_title(title))")


def downgrade() -> None:
    _title_trigrams("trigram_set(title)")
    op.execute("DROP FUNCTION fold_title(text)")
    op.execute("DROP FUNCTION fold_to_norwegian(text)")
    op.execute("DROP FUNCTION fold_to_danish(text)")
