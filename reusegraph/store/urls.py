"""Normalise PostgreSQL URLs: users give libpq-style URLs, SQLAlchemy wants a driver name."""

from sqlalchemy.engine import URL, make_url


def async_url(url: str | URL) -> URL:
    """``postgres://`` / ``postgresql://`` -> ``postgresql+asyncpg://`` (other drivers refused)."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(
            f"DATABASE_URL must be a PostgreSQL URL (postgresql://...); got {parsed.drivername}://"
        )
    return parsed.set(drivername="postgresql+asyncpg")


def with_database(url: str | URL, database: str) -> URL:
    return async_url(url).set(database=database)


def asyncpg_dsn(url: str | URL) -> str:
    """A DSN for asyncpg itself (used where SQLAlchemy cannot be: CREATE/DROP DATABASE)."""
    return async_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
