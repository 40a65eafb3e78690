"""similarity: trigram sets of titles, set helpers, and indexes for similarity and reuse

Revision ID: 0002_similarity
Revises: 0001_initial
Create Date: 2026-11-20 23:55:00

The embedded PostgreSQL has no contrib modules, so ``pg_trgm`` is rebuilt from plain SQL:
``trigram_set`` splits a title into pg_trgm-style trigrams (each word padded with two
spaces in front and one behind), stored in ``process.title_trigrams`` with a GIN index,
and similarity is the Jaccard index of two sets. Letters are folded with an explicit
Nordic mapping as well as ``lower`` so the sets do not depend on the database's locale.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_similarity"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = [
    """
    CREATE FUNCTION trigram_set(value text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT coalesce(array_agg(DISTINCT gram ORDER BY gram), '{}')
      FROM regexp_split_to_table(
             lower(translate(coalesce(value, ''), 'ÆØÅÄÖÜÉ', 'æøåäöüé')),
             '[^[:alnum:]æøåäöüé]+') AS word,
           LATERAL (SELECT '  ' || word || ' ' AS padded) AS p,
           LATERAL generate_series(1, length(p.padded) - 2) AS i,
           LATERAL (SELECT substr(p.padded, i, 3) COLLATE "C" AS gram) AS g
      WHERE word <> ''
    $$
    """,
    """
    CREATE FUNCTION search_terms(value text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT coalesce(array_agg(DISTINCT stem ORDER BY stem), '{}')
      FROM unnest(tsvector_to_array(to_tsvector('simple'::regconfig, coalesce(value, ''))))
             AS word,
           LATERAL unnest(tsvector_to_array(to_tsvector('danish'::regconfig, word)
                                            || to_tsvector('norwegian'::regconfig, word))) AS stem
      WHERE length(word) >= 3
        AND length(to_tsvector('danish'::regconfig, word)) > 0
        AND length(to_tsvector('norwegian'::regconfig, word)) > 0
    $$
    """,
    r"""
    CREATE FUNCTION any_term_query(terms text[]) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT string_agg(
               '''' || replace(replace(term, '\', '\\'), '''', '''''') || '''', ' | '
             )::tsquery
      FROM unnest(terms) AS term
    $$
    """,
    """
    CREATE FUNCTION classification_codes(kle text, form text, kla text, k_codes text[])
    RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT array_remove(ARRAY['KLE ' || kle, 'FORM ' || form, 'KLA ' || kla], NULL)
             || ARRAY(SELECT DISTINCT 'K-kode ' || k FROM unnest(k_codes) AS k ORDER BY 1)
    $$
    """,
    """
    CREATE FUNCTION array_intersection(a text[], b text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT coalesce(array_agg(x ORDER BY x), '{}')
      FROM (SELECT unnest(a) INTERSECT SELECT unnest(b)) AS s(x)
    $$
    """,
    """
    CREATE FUNCTION array_jaccard(a text[], b text[]) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT CASE WHEN c.total = 0 THEN 0.0 ELSE c.shared::float8 / (c.total - c.shared) END
      FROM (SELECT (SELECT count(*) FROM (SELECT unnest(a) INTERSECT SELECT unnest(b)) AS s)
                     AS shared,
                   coalesce(cardinality(a), 0) + coalesce(cardinality(b), 0) AS total) AS c
    $$
    """,
]
COMMENTS = [
    "COMMENT ON FUNCTION trigram_set(text) IS"
    " 'pg_trgm-style trigrams of a text as a sorted set (no pg_trgm needed)'",
    "COMMENT ON FUNCTION array_jaccard(text[], text[]) IS"
    " 'size of the intersection over size of the union of two arrays without duplicates; 0 when both are empty'",
    "COMMENT ON FUNCTION search_terms(text) IS"
    " 'Danish and Norwegian stems of a text, without the stopwords of either language'",
    "COMMENT ON FUNCTION any_term_query(text[]) IS"
    " 'A tsquery matching any of the terms (NULL when there are none)'",
    "COMMENT ON FUNCTION classification_codes(text, text, text, text[]) IS"
    " 'KLE, FORM, KLA and K-kode codes of a process as one set, e.g. KLE 27.24.00'",
]


def upgrade() -> None:
    for statement in FUNCTIONS + COMMENTS:
        op.execute(statement)
    op.add_column(
        "process",
        sa.Column(
            "title_trigrams",
            sa.ARRAY(sa.Text()),
            sa.Computed("trigram_set(title)", persisted=True),
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
    op.create_index(
        "ix_process_k_codes", "process", ["k_codes"], unique=False, postgresql_using="gin"
    )
    op.create_index("ix_process_form", "process", ["form"], unique=False)
    op.create_index("ix_process_kla", "process", ["kla"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_process_kla", table_name="process")
    op.drop_index("ix_process_form", table_name="process")
    op.drop_index("ix_process_k_codes", table_name="process", postgresql_using="gin")
    op.drop_index("ix_process_title_trigrams", table_name="process", postgresql_using="gin")
    op.drop_column("process", "title_trigrams")
    op.execute("DROP FUNCTION array_jaccard(text[], text[])")
    op.execute("DROP FUNCTION classification_codes(text, text, text, text[])")
    op.execute("DROP FUNCTION any_term_query(text[])")
    op.execute("DROP FUNCTION search_terms(text)")
    op.execute("DROP FUNCTION array_intersection(text[], text[])")
    op.execute("DROP FUNCTION trigram_set(text)")
