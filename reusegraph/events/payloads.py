"""What a subscriber is told of an event: the subject as a GraphQL query of theirs reads it.

The payload is the answer to ``PROCESS_QUERY`` (``AGREEMENT_QUERY``, ``SOURCE_QUERY``
for the watches' events) run as the subscriber (their municipality
and roles, as recorded when subscribing), through the same executor, row-level security
and field rules as their own requests. A process they may not read comes back ``null``
and they are told nothing; internal fields are there only for the owner's members. Of a
deleted process (nothing left to read) they hear only when they could have seen it: it
was public once, or it was their municipality's (the change feed's rule for tombstones).
A source's internals (endpoint, last error) are there only for its owners and admins.
"""

import json
import uuid
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


AGREEMENT_QUERY = """
query WebhookAgreement($id: ID!) {
  node(id: $id) {
    ... on FrameworkAgreement {
      id kind title subject startDate endDate maxEndDate optionsLeft terminatedOn status
      parties { code name }
      vendors { id name }
    }
  }
}
"""

SOURCE_QUERY = """
query WebhookSource {
  sources {
    code name kind stale syncedAt lagSeconds staleAfterSeconds lastOutcome
    consecutiveFailures owners endpoint lastError
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
    if event.agreement_id is not None:
        data = await _agreement(schema, db, viewer, event, event.agreement_id)
    elif event.source_code is not None:
        data = await _source(schema, db, viewer, event, event.source_code)
    else:
        data = await _process(schema, db, viewer, event)
    if data is None:
        return None
    body = {"type": event.kind, "timestamp": event.created_at.isoformat(), "data": data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


async def _process(
    schema: Schema, db: Database, viewer: Principal, event: Event
) -> dict[str, Any] | None:
    assert event.process_id is not None
    process_id = global_id("Process", event.process_id)
    data: dict[str, Any] = {
        "processId": process_id,
        "municipality": event.municipality_code,
        "phase": event.phase,
        "previousPhase": event.previous_phase,
        "process": None,
    }
    if event.kind == "process.deleted":
        assert event.municipality_code is not None
        if not (event.was_public or viewer.is_member_of(event.municipality_code)):
            return None
        return data
    answer = await _read(schema, db, viewer, event, PROCESS_QUERY, {"id": process_id})
    if answer["process"] is None:
        return None
    data["process"] = answer["process"]
    return data


async def _agreement(
    schema: Schema, db: Database, viewer: Principal, event: Event, key: uuid.UUID
) -> dict[str, Any] | None:
    agreement_id = global_id("FrameworkAgreement", key)
    answer = await _read(schema, db, viewer, event, AGREEMENT_QUERY, {"id": agreement_id})
    if not answer["node"]:
        return None  # deleted meanwhile, or not theirs to read
    facts = event.facts or {}
    return {
        "agreementId": agreement_id,
        "withinDays": facts.get("withinDays"),
        "endsOn": facts.get("endsOn"),
        "agreement": answer["node"],
    }


async def _source(
    schema: Schema, db: Database, viewer: Principal, event: Event, code: str
) -> dict[str, Any] | None:
    answer = await _read(schema, db, viewer, event, SOURCE_QUERY, {})
    found = [s for s in answer["sources"] if s["code"] == code]
    if not found:
        return None
    facts = event.facts or {}
    return {
        "sourceCode": code,
        "episode": facts.get("episode"),
        "staleSince": facts.get("staleSince"),
        "source": found[0],
    }


async def _read(
    schema: Schema,
    db: Database,
    viewer: Principal,
    event: Event,
    query: str,
    variables: dict[str, Any],
) -> dict[str, Any]:
    async with db.read(viewer) as reader:
        context = Context(reader=reader, viewer=viewer, request_id=f"webhook-{event.id}", db=db)
        result = await schema.execute(query, variable_values=variables, context_value=context)
    if result.errors:
        raise PayloadError("; ".join(str(e) for e in result.errors))
    assert result.data is not None
    return result.data
