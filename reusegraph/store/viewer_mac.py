"""The HMAC over the viewer's settings, without which the policies ignore them.

The API role may ``set_config`` any ``reusegraph.*`` setting, so the policies do not
trust them alone: they read them through ``reusegraph_viewer(name)`` (migration 0021),
which returns a value only when ``reusegraph.viewer_mac`` is the HMAC-SHA256 of the five
values under the key in ``reusegraph_viewer_key``. That table is readable by its owner
only: the server reads the key once, through ``DATABASE_URL``'s login (the owner's), and
a request's statements, run as ``reusegraph_api``, can neither read it nor compute a MAC.

The message is each value's UTF-8 length, ``:`` and the value, joined by ``|``: no two
sets of values give the same message, as the SQL twin in the migration writes it.
"""

import asyncio
import hashlib
import hmac

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from reusegraph.store.errors import DatabaseUnavailable

SIGNED = ("member_of", "editor_of", "subject", "issuer", "admin")
"""The settings the MAC covers, in the order of its message."""


def viewer_mac(key: bytes, values: dict[str, str]) -> str:
    message = "|".join(f"{len(values[name].encode())}:{values[name]}" for name in SIGNED)
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def viewer_setting(name: str) -> ColumnElement[str]:
    """A signed setting in SQL, evaluated once per statement (a scalar subquery: an
    InitPlan), never per row; NULL when empty or when the MAC does not hold."""
    return select(func.reusegraph_viewer(name)).scalar_subquery()


def is_system() -> ColumnElement[bool]:
    """Whether the statement runs as the system role (migration 0016), once per statement."""
    return select(
        func.pg_has_role(func.current_user(), "reusegraph_system", "MEMBER")
    ).scalar_subquery()


class ViewerKey:
    """The key, read once per process from the owner's connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._key: bytes | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> bytes:
        if self._key is None:
            async with self._lock:
                if self._key is None:
                    self._key = await self._read()
        return self._key

    async def _read(self) -> bytes:
        try:
            async with self._engine.connect() as connection:
                row = await connection.execute(text("SELECT key FROM reusegraph_viewer_key"))
                return bytes(row.scalar_one())
        except (OSError, OperationalError, InterfaceError, TimeoutError) as error:
            raise DatabaseUnavailable(str(error)) from error
