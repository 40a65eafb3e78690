"""The Danish/Norwegian spelling folds in PostgreSQL are the code's, and join real pairs."""

import pytest
from sqlalchemy import text

from reusegraph.store import search_normaliser
from reusegraph.store.engine import Database


async def test_the_databases_fold_functions_are_the_rules_in_the_code(empty_db: Database) -> None:
    """A rule changed in search_normaliser.py needs a migration: the stored title trigrams
    were made by the functions in the database, and search must fold as they did."""
    expected = {
        name: search_normaliser.function_body(rules)
        for name, rules in search_normaliser.FUNCTIONS.items()
    } | {"fold_title": search_normaliser.TITLE_FOLD_BODY}
    async with empty_db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT proname, btrim(prosrc) FROM pg_proc WHERE proname = ANY(:names)"),
            {"names": list(expected)},
        )
        assert {name: body for name, body in rows} == expected, (
            "write a migration that replaces them"
        )


@pytest.mark.parametrize(
    ("danish", "norwegian"),
    [
        ("Registrering af sygefravær", "Registrering av sykefravær"),
        ("Ejendomsskat opkrævning", "Eiendomsskatt innkreving"),
        ("Oprettelse af ny medarbejder", "Opprettelse av ny medarbeider"),
        ("Renovation gebyr", "Renovasjon gebyr"),
        ("Indkøb af varer", "Innkjøp av varer"),
    ],
)
async def test_a_danish_title_and_its_norwegian_twin_fold_to_one_spelling(
    empty_db: Database, danish: str, norwegian: str
) -> None:
    async with empty_db.engine.connect() as conn:
        folded = await conn.execute(
            text("SELECT fold_title(:da), fold_title(:no)"), {"da": danish, "no": norwegian}
        )
        one, other = folded.one()
    assert one == other
