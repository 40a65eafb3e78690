"""Run GraphQL as a given principal: the schema executed directly with a Context we build.

For visibility tests that need a member or editor of a municipality without minting a
token; the database read (role, row-level security settings) is the one a request uses.
"""

from dataclasses import dataclass
from typing import Any

from reusegraph.auth.principal import ANONYMOUS, Principal, Role
from reusegraph.schema import build_schema
from reusegraph.schema.context import Context
from reusegraph.schema.core.errors import format_error
from reusegraph.store.engine import Database

SCHEMA = build_schema()
READER = Principal(issuer="test", subject="portal", roles=frozenset({Role.READER}))


def member(municipality: str, subject: str = "member") -> Principal:
    return Principal(
        issuer="test", subject=subject, municipality=municipality, roles=frozenset({Role.MEMBER})
    )


@dataclass(frozen=True)
class Result:
    data: dict[str, Any] | None
    errors: list[dict[str, Any]]

    def ok(self) -> dict[str, Any]:
        assert not self.errors, self.errors
        assert self.data is not None
        return self.data

    def error(self) -> dict[str, Any]:
        assert self.errors, f"expected an error, got {self.data}"
        return self.errors[0]


async def run_as(
    db: Database,
    query: str,
    variables: dict[str, Any] | None = None,
    viewer: Principal = ANONYMOUS,
) -> Result:
    async with db.read(viewer) as reader:
        context = Context(reader=reader, viewer=viewer, request_id="test", db=db)
        result = await SCHEMA.execute(query, variable_values=variables, context_value=context)
    errors = [format_error(e, SCHEMA._schema, "test") for e in result.errors or []]
    return Result(result.data, errors)


async def data_as(
    db: Database, viewer: Principal, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The data of a query that must succeed for ``viewer``."""
    return (await run_as(db, query, variables, viewer)).ok()
