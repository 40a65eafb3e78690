"""What a subscriber is told of an event: the process as a GraphQL query of theirs reads it.

The payload is the answer to ``PROCESS_QUERY`` run as the subscriber (their municipality
and roles, as recorded when subscribing), through the same executor, row-level security
and field rules as their own requests. A process they may not read comes back ``null``
and they are told nothing; internal fields are there only for the owner's members. Of a
deleted process (nothing left to read) they hear only when they could have seen it: it
was public once, or it was their municipality's (the change feed's rule for tombstones).
"""

import json
from typing import Any

from sqlalchemy.engine import Row

from reusegraph.auth.principal import Principal, Role
from reusegraph.schema import Schema
from reusegraph.schema.context import Context
from reusegraph.schema.core.ids import global_id
from reusegraph.store.engine import Database
from reusegraph.store.webhook_deliveries import Event

PROCESS_QUERY = """
query WebhookProcess($id: ID!) {
  process(id: $id) {
    id title summary phase status visibility type domains kle
    municipality { code name }
    updatedAt version internalNotes
  }
}
"""


class PayloadError(RuntimeError):
    """The query failed (the database, a bug): the event is tried again later."""


def subscriber(subscription: Row[Any]) -> Principal:
    return Principal(
        issuer=subscription.issuer,
        subject=subscription.subject,
        municipality=subscription.municipality_code,
        roles=frozenset(Role(r) for r in subscription.roles),
    )


async def payload(schema: Schema, db: Database, subscription: Row[Any], event: Event) -> str | None:
    """The body to send, or None when the subscriber may not hear of this event."""
    viewer = subscriber(subscription)
    data: dict[str, Any] = {
        "processId": global_id("Process", event.process_id),
        "municipality": event.municipality_code,
        "phase": event.phase,
        "previousPhase": event.previous_phase,
        "process": None,
    }
    if event.kind == "process.deleted":
        if not (event.was_public or viewer.is_member_of(event.municipality_code)):
            return None
    else:
        process = await _read(schema, db, viewer, event)
        if process is None:
            return None
        data["process"] = process
    body = {"type": event.kind, "timestamp": event.created_at.isoformat(), "data": data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


async def _read(
    schema: Schema, db: Database, viewer: Principal, event: Event
) -> dict[str, Any] | None:
    async with db.read(viewer) as reader:
        context = Context(reader=reader, viewer=viewer, request_id=f"webhook-{event.id}", db=db)
        result = await schema.execute(
            PROCESS_QUERY,
            variable_values={"id": global_id("Process", event.process_id)},
            context_value=context,
        )
    if result.errors:
        raise PayloadError("; ".join(str(e) for e in result.errors))
    assert result.data is not None
    process: dict[str, Any] | None = result.data["process"]
    return process
