"""How every mutation runs: who may write, one transaction, exactly once, fresh reads after.

A mutation resolver checks its input, then hands ``apply`` a function that does the
write through the store. ``apply`` opens the transaction as the caller (row-level
security applies), claims the clientMutationId, runs the write (which audits itself),
and commits. Refusals the caller can fix come back as ``userErrors`` and roll everything
back, the receipt included, so nothing is half-written and a corrected retry goes ahead.
"""

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.schema.context import Info
from reusegraph.schema.core.errors import BadUserInput, Forbidden
from reusegraph.schema.loaders import Loaders
from reusegraph.schema.mutations.fingerprint import input_hash
from reusegraph.store import receipts
from reusegraph.store.audit import Call
from reusegraph.store.write_errors import FieldError, WriteForbidden, WriteRejected, refusals

MAX_CLIENT_MUTATION_ID = 255


@strawberry.enum(description="Why a mutation wrote nothing; the message says what to change.")
class ErrorCode(enum.Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    SOURCE_READ_ONLY = "SOURCE_READ_ONLY"
    VERSION_CONFLICT = "VERSION_CONFLICT"


@strawberry.type(description="A problem with the input; nothing was written.")
class UserError:
    code: ErrorCode
    message: str
    field: list[str] = strawberry.field(
        description='Path from `input` to the field at fault, e.g. ["patch", "kle"].'
    )


@dataclass
class Outcome:
    """What ``apply`` returns: the record's key (None when refused) and the errors."""

    key: str | None
    errors: list[UserError]
    client_mutation_id: str | None


Work = Callable[[AsyncSession, Call], Awaitable[str | None]]


class _Refused(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors


async def apply(info: Info, name: str, client_mutation_id: str | None, work: Work) -> Outcome:
    if client_mutation_id is not None and not (
        0 < len(client_mutation_id) <= MAX_CLIENT_MUTATION_ID
    ):
        raise BadUserInput(
            f"clientMutationId must be 1-{MAX_CLIENT_MUTATION_ID} characters.",
            argument="input.clientMutationId",
        )
    context = info.context
    call = Call(context.viewer, context.request_id, client_mutation_id)
    try:
        async with context.db.session(context.viewer) as session:
            if client_mutation_id is not None:
                prior = await _claim(session, call, name, input_hash(info))
                if prior is not None:
                    return _outcome(prior, client_mutation_id)
            key = await _run(work, session, call)
            if client_mutation_id is not None:
                await receipts.complete(session, call, {"key": key})
    except _Refused as refused:
        return Outcome(None, [_user_error(e) for e in refused.errors], client_mutation_id)
    except WriteForbidden as error:
        raise Forbidden(str(error)) from None
    finally:
        await _fresh_reads(info)
    return Outcome(key, [], client_mutation_id)


async def _claim(
    session: AsyncSession, call: Call, name: str, fingerprint: str
) -> dict[str, Any] | None:
    try:
        return await receipts.claim(session, call, name, fingerprint)
    except receipts.ReceiptConflict as conflict:
        raise BadUserInput(
            f"clientMutationId {call.client_mutation_id!r} was already used for "
            f"{conflict.mutation}; use a new one for a different call.",
            argument="input.clientMutationId",
        ) from None
    except receipts.ReceiptMismatch as mismatch:
        raise BadUserInput(
            f"clientMutationId {call.client_mutation_id!r} was already used for a"
            f" {mismatch.mutation} call with a different input. A clientMutationId stands for"
            " one call: send the same input again to get that call's answer, or use a new"
            " clientMutationId for a different call.",
            argument="input.clientMutationId",
        ) from None


async def _run(work: Work, session: AsyncSession, call: Call) -> str | None:
    try:
        with refusals():
            key = await work(session, call)
            await session.flush()
        return key
    except WriteRejected as rejected:
        raise _Refused(rejected.errors) from None


async def _fresh_reads(info: Info) -> None:
    """The payload must show the committed write: start a new read snapshot, drop caches."""
    context = info.context
    await context.reader.close()
    context.loaders = Loaders(context.reader, context.viewer)


def _outcome(prior: dict[str, Any], client_mutation_id: str) -> Outcome:
    return Outcome(prior.get("key"), [], client_mutation_id)


def _user_error(error: FieldError) -> UserError:
    return UserError(code=ErrorCode(error.code), message=error.message, field=list(error.field))
