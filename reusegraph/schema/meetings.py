"""Network meetings: who met, about which systems and processes."""

import uuid
from datetime import date
from typing import Any

import strawberry
from sqlalchemy.engine import Row

from reusegraph.schema.catalog import ItSystem
from reusegraph.schema.context import Info
from reusegraph.schema.core.ids import global_id
from reusegraph.schema.municipalities import Municipality
from reusegraph.schema.node import Node
from reusegraph.schema.processes import Process


@strawberry.type(description="Who presented what at a meeting.")
class Presentation:
    title: str
    _presenter_code: strawberry.Private[str | None]
    _process_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def presenter(self, info: Info) -> Municipality | None:
        if self._presenter_code is None:
            return None
        return await Municipality.load(info, self._presenter_code)

    @strawberry.field(description="The process presented, if you may read it.")
    async def process(self, info: Info) -> Process | None:
        return await Process.load(info, self._process_id) if self._process_id else None


@strawberry.type(description="A meeting of a municipal automation network.")
class NetworkMeeting(Node):
    title: str
    held_on: date | None = strawberry.field(description="Null where the sources give no date.")
    topics: list[str]
    external_participants: list[str] = strawberry.field(
        description="Organisations other than municipalities, e.g. the Tax Directorate."
    )
    outcome: str | None
    version: int = strawberry.field(description="Increments on every change; send it with updates.")
    _id: strawberry.Private[uuid.UUID]
    _host_code: strawberry.Private[str | None]

    @strawberry.field
    async def host(self, info: Info) -> Municipality | None:
        return await Municipality.load(info, self._host_code) if self._host_code else None

    @strawberry.field
    async def participants(self, info: Info) -> list[Municipality]:
        codes = await info.context.loaders.participants_by_meeting.load(self._id)
        rows = await info.context.loaders.municipality_by_code.load_many(codes)
        return [Municipality.from_row(row) for row in rows if row is not None]

    @strawberry.field(description="IT systems the meeting was about.")
    async def it_systems(self, info: Info) -> list[ItSystem]:
        codes = await info.context.loaders.it_systems_by_meeting.load(self._id)
        rows = await info.context.loaders.it_system_by_code.load_many(codes)
        return [ItSystem.from_row(row) for row in rows if row is not None]

    @strawberry.field(description="Processes discussed that you may read.")
    async def processes_discussed(self, info: Info) -> list[Process]:
        ids = await info.context.loaders.process_ids_by_meeting.load(self._id)
        rows = await info.context.loaders.process_by_id.load_many(ids)
        return [Process.from_row(row) for row in rows if row is not None]

    @strawberry.field
    async def presentations(self, info: Info) -> list[Presentation]:
        rows = await info.context.loaders.presentations_by_meeting.load(self._id)
        return [
            Presentation(title=r.title, _presenter_code=r.presenter_code, _process_id=r.process_id)
            for r in rows
        ]

    @classmethod
    def from_row(cls, row: Row[Any]) -> "NetworkMeeting":
        return cls(
            id=strawberry.ID(global_id("NetworkMeeting", row.id)),
            title=row.title,
            held_on=row.held_on,
            topics=list(row.topics or []),
            external_participants=list(row.external_participants or []),
            outcome=row.outcome,
            version=row.version,
            _id=row.id,
            _host_code=row.host_code,
        )

    @classmethod
    async def load(cls, info: Info, meeting_id: uuid.UUID) -> "NetworkMeeting | None":
        row = await info.context.loaders.meeting_by_id.load(meeting_id)
        return cls.from_row(row) if row else None
