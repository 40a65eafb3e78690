"""the login the request pools use: it can become ``reusegraph_api`` and nothing more

Revision ID: 0018_api_login
Revises: 0016_system_role
Create Date: 2026-12-07 17:00:00

Migration 0016 made the system a role, but the request pools still logged in as the
login that owns the tables, which is a member of ``reusegraph_system``: one ``SET ROLE``
in a request's statements made it the system again. ``reusegraph_api_login`` is the login
of every request connection (``store/request_login.py``): NOINHERIT, so it holds no
privilege of its own until it switches to ``reusegraph_api``, the only role it is a member
of. It is not a member of the system role, owns nothing and cannot create roles, so no
statement on its connections reaches the system or the owner.

It has no password here: the server sets one derived from the owner's (when the owner
has one), or the operator sets one and gives ``REUSEGRAPH_API_DATABASE_URL``. Roles are
cluster-wide: created only when missing, and not dropped on downgrade (other databases of
the server may use it).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018_api_login"
down_revision: str | None = "0016_system_role"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOGIN = "reusegraph_api_login"
API_ROLE = "reusegraph_api"
SYSTEM_ROLE = "reusegraph_system"


def upgrade() -> None:
    op.execute(
        f"""
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{LOGIN}') THEN
            CREATE ROLE {LOGIN} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE
              NOBYPASSRLS NOREPLICATION;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
          NULL;  -- created meanwhile by a migration of another database
        END
        $$;
        """
    )
    op.execute(
        f"""
        DO $$
        BEGIN
          IF NOT pg_has_role('{LOGIN}', '{API_ROLE}', 'MEMBER') THEN
            EXECUTE 'GRANT {API_ROLE} TO {LOGIN}';
          END IF;
          IF pg_has_role('{LOGIN}', '{SYSTEM_ROLE}', 'MEMBER') THEN
            EXECUTE 'REVOKE {SYSTEM_ROLE} FROM {LOGIN}';
          END IF;
        END
        $$;
        """
    )
    op.execute(f"GRANT CONNECT ON DATABASE {_current_database()} TO {LOGIN}")


def downgrade() -> None:
    op.execute(f"REVOKE CONNECT ON DATABASE {_current_database()} FROM {LOGIN}")


def _current_database() -> str:
    name = op.get_bind().exec_driver_sql("SELECT quote_ident(current_database())").scalar_one()
    return str(name)
