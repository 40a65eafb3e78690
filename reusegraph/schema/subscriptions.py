"""GraphQL subscriptions: ``processChanged`` and ``benefitRecorded``, live as changes commit.

Each replica listens once (``events/live.ChangeHub``) and hands every subscription the
positions a statement wrote; the subscription reads them in a fresh read transaction as
its own viewer (``store/change_events.py``), so what it is told is what that viewer's
queries would read, redaction included. Each event's selection runs inside that
transaction. The filter's parts are those of webhooks.

A live event carries no feed cursor: it is told at commit, while an older transaction may
still commit below its position, so resuming the ``changes`` feed from it could skip
that one. After a gap, read the feed from your own last feed cursor.
"""

import enum
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.engine import Row

from reusegraph.events.live import ChangeHub
from reusegraph.schema.benefits import BenefitRecord
from reusegraph.schema.context import Context, Info
from reusegraph.schema.core.errors import BadUserInput
from reusegraph.schema.core.ids import global_id
from reusegraph.schema.filters import check_municipality_code
from reusegraph.store import change_events as store
from reusegraph.store.enums import Domain, Phase

if TYPE_CHECKING:
    from reusegraph.schema.processes import Process

ProcessRef = Annotated["Process", strawberry.lazy("reusegraph.schema.processes")]


@strawberry.input(description="Every given part must hold; none given: every process you may read.")
class ChangeFilterInput:
    municipality: str | None = strawberry.field(
        default=None, description="Processes of this municipality (a code, e.g. DK-0746)."
    )
    domain: Domain | None = strawberry.field(default=None, description="Processes in this domain.")
    phase_into: Phase | None = strawberry.field(
        default=None, description="Only changes that put a process into this phase."
    )


@strawberry.enum
class ProcessChangeKind(enum.Enum):
    CHANGED = strawberry.enum_value("CHANGED", description="Created or changed: read `process`.")
    REMOVED = strawberry.enum_value(
        "REMOVED", description="Deleted, moved away or no longer readable by you."
    )


@strawberry.type(description="A process changed (or left your view), as you may read it now.")
class ProcessChangeEvent:
    kind: ProcessChangeKind
    process_id: strawberry.ID
    municipality: str = strawberry.field(description="The municipality the change is under.")
    phase: Phase | None
    previous_phase: Phase | None = strawberry.field(
        description="The phase before this change (null: unknown, new, or removed)."
    )
    changed_at: datetime
    key: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The process as you read it now; null when REMOVED.")
    async def process(self, info: Info) -> ProcessRef | None:
        if self.kind is ProcessChangeKind.REMOVED:
            return None
        from reusegraph.schema.processes import Process

        return await Process.load(info, self.key)

    @classmethod
    def of(cls, change: store.ProcessChanged) -> "ProcessChangeEvent":
        return cls(
            kind=ProcessChangeKind.REMOVED if change.removed else ProcessChangeKind.CHANGED,
            process_id=strawberry.ID(global_id("Process", change.process_id)),
            municipality=change.municipality_code,
            phase=Phase(change.phase) if change.phase else None,
            previous_phase=Phase(change.previous_phase) if change.previous_phase else None,
            changed_at=change.changed_at,
            key=change.process_id,
        )


@strawberry.type(description="A month's benefit figures were recorded for a process you may read.")
class BenefitRecordedEvent:
    process_id: strawberry.ID
    municipality: str
    record: BenefitRecord
    changed_at: datetime
    key: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def process(self, info: Info) -> ProcessRef | None:
        from reusegraph.schema.processes import Process

        return await Process.load(info, self.key)

    @classmethod
    def of(cls, row: Row[Any]) -> "BenefitRecordedEvent":
        return cls(
            process_id=strawberry.ID(global_id("Process", row.process_id)),
            municipality=row.municipality_code,
            record=BenefitRecord.from_row(row),
            changed_at=row.changed_at,
            key=row.process_id,
        )


def _checked(given: ChangeFilterInput | None) -> store.ChangeFilter:
    if given is None:
        return store.ChangeFilter()
    municipality = given.municipality.strip() if given.municipality is not None else None
    if municipality is not None:
        check_municipality_code(municipality, "filter.municipality")
    return store.ChangeFilter(
        municipality=municipality,
        domain=given.domain.value if given.domain is not None else None,
        phase_into=given.phase_into.value if given.phase_into is not None else None,
    )


def _live(context: Context) -> ChangeHub:
    if context.hub is None:
        raise BadUserInput(
            "Subscriptions run over a WebSocket (graphql-transport-ws) or as Server-Sent"
            " Events (Accept: text/event-stream)."
        )
    return context.hub


async def _process_changes(
    context: Context, hub: ChangeHub, spec: store.ChangeFilter
) -> AsyncGenerator[ProcessChangeEvent, None]:
    with hub.subscribe() as subscriber:
        while True:
            span = await subscriber.next()
            async with context.fresh_read() as reader:
                for change in await store.process_changes(reader, context.viewer, span, spec):
                    yield ProcessChangeEvent.of(change)


async def _benefits_recorded(
    context: Context, hub: ChangeHub, spec: store.ChangeFilter
) -> AsyncGenerator[BenefitRecordedEvent, None]:
    with hub.subscribe() as subscriber:
        while True:
            span = await subscriber.next()
            async with context.fresh_read() as reader:
                for row in await store.benefits_recorded(reader, context.viewer, span, spec):
                    yield BenefitRecordedEvent.of(row)


@strawberry.type
class Subscription:
    """The resolvers check their arguments before the first event, so a bad filter is an
    error of the subscribe request rather than of its stream."""

    @strawberry.subscription(description="Processes you may read, as each change commits.")
    async def process_changed(
        self, info: Info, filter: ChangeFilterInput | None = None
    ) -> AsyncGenerator[ProcessChangeEvent, None]:
        return _process_changes(info.context, _live(info.context), _checked(filter))

    @strawberry.subscription(description="Benefit figures recorded for processes you may read.")
    async def benefit_recorded(
        self, info: Info, filter: ChangeFilterInput | None = None
    ) -> AsyncGenerator[BenefitRecordedEvent, None]:
        return _benefits_recorded(info.context, _live(info.context), _checked(filter))
