"""the viewer's settings are signed: the API role cannot name itself an admin or a member

Revision ID: 0021_signed_viewer
Revises: 0022_pending_umbrella_editors
Create Date: 2026-12-08 02:00:00

Until now a policy trusted ``reusegraph.member_of``, ``editor_of``, ``subject``,
``issuer`` and ``admin`` as the request's statements left them, and the API role may
``set_config`` any of them: one injected statement could make itself an admin or a
member of every municipality in turn. The server now also writes
``reusegraph.viewer_mac``, an HMAC-SHA256 over those five values (``store/viewer_mac.py``),
and the policies read them through ``reusegraph_viewer(name)``, which returns a value
only when the HMAC holds. The key is in ``reusegraph_viewer_key``, which only its owner
(the login of the migrations, which is the server's ``DATABASE_URL``) may read; the
function is SECURITY DEFINER so a request can check without reading the key.

The function is PL/pgSQL (its plans are kept per session) without ``SET search_path``
(that costs ~10 us per call), so every name in it is schema-qualified: a caller's
``search_path`` cannot swap in a function or operator of its own. An empty value grants
nothing and is returned without a check (the anonymous viewer's every call); a value is
returned only after the key is read and the HMAC computed. Policies call it as a scalar
subquery, once per statement and reference (an InitPlan), never per row.

Every policy reading one of the settings is rewritten in place (from ``pg_policies``, as
0016 did), so this holds for policies of any earlier migration; a policy still reading a
setting directly afterwards stops the migration.
"""

import hashlib
import re
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_signed_viewer"
down_revision: str | None = "0022_pending_umbrella_editors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLE = "reusegraph_api"
SYSTEM_ROLE = "reusegraph_system"
SIGNED = ("member_of", "editor_of", "subject", "issuer", "admin")

_VALUE = r"NULLIF\(current_setting\('reusegraph\.(member_of|editor_of|subject|issuer)'::text, true\), ''::text\)"
_ADMIN_TEST = r"current_setting\('reusegraph\.admin'::text, true\) = 'on'::text"
_ADMIN = rf"\({_ADMIN_TEST}\)|{_ADMIN_TEST}"
_PRINTED = r"\( SELECT reusegraph_viewer\('(\w+)'::text\) AS reusegraph_viewer\)"

_FUNCTION = f"""
CREATE FUNCTION public.reusegraph_viewer(setting text) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE AS $fn$
DECLARE
  value text;
  member_of text;
  editor_of text;
  subject text;
  issuer text;
  admin text;
  inner_pad bytea;
  outer_pad bytea;
BEGIN
  IF pg_catalog.array_position(ARRAY{list(SIGNED)!r}::text[], setting) IS NULL THEN
    RAISE EXCEPTION 'reusegraph_viewer: % is not a signed viewer setting', setting;
  END IF;
  value := pg_catalog.current_setting(pg_catalog.concat('reusegraph.', setting), true);
  IF value IS NULL OR pg_catalog.texteq(value, '') THEN
    RETURN NULL;  -- an empty value grants nothing: no need to check it
  END IF;
  member_of := COALESCE(pg_catalog.current_setting('reusegraph.member_of', true), '');
  editor_of := COALESCE(pg_catalog.current_setting('reusegraph.editor_of', true), '');
  subject := COALESCE(pg_catalog.current_setting('reusegraph.subject', true), '');
  issuer := COALESCE(pg_catalog.current_setting('reusegraph.issuer', true), '');
  admin := COALESCE(pg_catalog.current_setting('reusegraph.admin', true), '');
  SELECT k.inner_pad, k.outer_pad INTO inner_pad, outer_pad FROM public.reusegraph_viewer_key k;
  IF pg_catalog.texteq(
       pg_catalog.encode(pg_catalog.sha256(pg_catalog.byteacat(outer_pad,
         pg_catalog.sha256(pg_catalog.byteacat(inner_pad, pg_catalog.convert_to(
           pg_catalog.format('%s:%s|%s:%s|%s:%s|%s:%s|%s:%s',
             pg_catalog.octet_length(member_of), member_of,
             pg_catalog.octet_length(editor_of), editor_of,
             pg_catalog.octet_length(subject), subject,
             pg_catalog.octet_length(issuer), issuer,
             pg_catalog.octet_length(admin), admin),
           'UTF8'))))), 'hex'),
       pg_catalog.current_setting('reusegraph.viewer_mac', true)) THEN
    RETURN value;
  END IF;
  RETURN NULL;
END
$fn$
"""


def _pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC's inner and outer keys (RFC 2104), so SQL computes HMAC-SHA256 with sha256()."""
    block = key.ljust(hashlib.sha256().block_size, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def _rewrite(rules: list[tuple[re.Pattern[str], str]]) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT tablename, policyname, qual, with_check FROM pg_policies"
            " WHERE schemaname = current_schema()"
        )
    ).all()

    def rewritten(expression: str) -> str:
        for pattern, replacement in rules:
            expression = pattern.sub(replacement, expression)
        return expression

    for table, name, qual, with_check in rows:
        clauses = []
        if qual is not None and rewritten(qual) != qual:
            clauses.append(f"USING ({rewritten(qual)})")
        if with_check is not None and rewritten(with_check) != with_check:
            clauses.append(f"WITH CHECK ({rewritten(with_check)})")
        if clauses:
            op.execute(f'ALTER POLICY "{name}" ON "{table}" ' + " ".join(clauses))


def upgrade() -> None:
    op.create_table(
        "reusegraph_viewer_key",
        sa.Column("id", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("inner_pad", sa.LargeBinary(), nullable=False),
        sa.Column("outer_pad", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("id", name=op.f("ck_reusegraph_viewer_key_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reusegraph_viewer_key")),
    )
    # The default privileges of 0003 and 0016 gave both roles every new table: not this one.
    op.execute(f"REVOKE ALL ON reusegraph_viewer_key FROM PUBLIC, {API_ROLE}, {SYSTEM_ROLE}")
    key = secrets.token_bytes(32)
    inner, outer = _pads(key)
    op.get_bind().execute(
        sa.text(
            "INSERT INTO reusegraph_viewer_key (key, inner_pad, outer_pad)"
            " VALUES (:key, :inner, :outer)"
        ),
        {"key": key, "inner": inner, "outer": outer},
    )
    op.execute(_FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION reusegraph_viewer(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION reusegraph_viewer(text) TO {API_ROLE}, {SYSTEM_ROLE}")
    _rewrite(
        [
            (re.compile(_VALUE), r"(SELECT reusegraph_viewer('\1'))"),
            (re.compile(_ADMIN), "((SELECT reusegraph_viewer('admin')) = 'on')"),
        ]
    )
    left = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT string_agg(tablename || '.' || policyname, ', ') FROM pg_policies"
                " WHERE schemaname = current_schema() AND"
                " coalesce(qual, '') || coalesce(with_check, '') ~ 'current_setting\\(''reusegraph\\.'"
            )
        )
        .scalar_one()
    )
    if left:
        raise RuntimeError(f"policies still read a reusegraph setting unsigned: {left}")


def downgrade() -> None:
    _rewrite(
        [
            (
                re.compile(rf"\({_PRINTED} = 'on'::text\)"),
                "(current_setting('reusegraph.admin', true) = 'on')",
            ),
            (re.compile(_PRINTED), r"NULLIF(current_setting('reusegraph.\1', true), '')"),
        ]
    )
    op.execute("DROP FUNCTION reusegraph_viewer(text)")
    op.drop_table("reusegraph_viewer_key")
