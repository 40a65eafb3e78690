"""sharedProblems: groups of municipalities that met about the same IT system or topic."""

import uuid
from datetime import date
from typing import Any

import strawberry

from reusegraph.schema.catalog import ItSystem
from reusegraph.schema.context import Info
from reusegraph.schema.core.errors import BadUserInput
from reusegraph.schema.core.pagination import checked_first
from reusegraph.schema.filters import it_system_codes, municipality_codes
from reusegraph.schema.meetings import NetworkMeeting
from reusegraph.schema.municipalities import Municipality
from reusegraph.schema.processes import Process
from reusegraph.store import shared_problems
from reusegraph.store.shared_problems import SharedProblemKind, SharedProblemQuery

strawberry.enum(
    SharedProblemKind,
    description="IT_SYSTEM: meetings coded with the same system; TOPIC: the same agenda topic.",
)

MAX_MIN_MUNICIPALITIES = 1000


@strawberry.type(
    description="Municipalities that met about the same IT system or topic: a problem they"
    " share and may solve together (e.g. SOFIE on Citrix: Oslo, Bergen, Trondheim)."
)
class SharedProblem:
    kind: SharedProblemKind
    subject: str = strawberry.field(
        description="The IT system's code, or the topic as the meetings wrote it."
    )
    municipality_count: int
    first_met_on: date | None = strawberry.field(description="Null when no meeting is dated.")
    last_met_on: date | None
    _codes: strawberry.Private[list[str]]
    _meeting_ids: strawberry.Private[list[uuid.UUID]]

    @strawberry.field(description="The IT system, for kind IT_SYSTEM.")
    async def it_system(self, info: Info) -> ItSystem | None:
        if self.kind != SharedProblemKind.IT_SYSTEM:
            return None
        row = await info.context.loaders.it_system_by_code.load(self.subject)
        return ItSystem.from_row(row) if row else None

    @strawberry.field(description="Participants and hosts of the meetings.")
    async def municipalities(self, info: Info) -> list[Municipality]:
        rows = await info.context.loaders.municipality_by_code.load_many(self._codes)
        return [Municipality.from_row(row) for row in rows if row is not None]

    @strawberry.field(description="The meetings, newest first; undated ones last.")
    async def meetings(self, info: Info) -> list[NetworkMeeting]:
        rows = [r for r in await self._meetings(info) if r is not None]
        rows.sort(key=lambda r: (r.held_on or date.min, r.id), reverse=True)
        return [NetworkMeeting.from_row(row) for row in rows]

    @strawberry.field(description="Every agenda topic of the meetings, once each.")
    async def topics(self, info: Info) -> list[str]:
        seen: dict[str, str] = {}
        for row in await self._meetings(info):
            for topic in row.topics or [] if row is not None else []:
                key, text = topic.strip().lower(), topic.strip()
                seen[key] = min(seen.get(key, text), text)
        return sorted(seen.values())

    @strawberry.field(description="Processes discussed at the meetings that you may read.")
    async def processes_discussed(self, info: Info) -> list[Process]:
        lists = await info.context.loaders.process_ids_by_meeting.load_many(self._meeting_ids)
        ids = list(dict.fromkeys(i for ids in lists for i in ids))
        rows = await info.context.loaders.process_by_id.load_many(ids)
        return [Process.from_row(row) for row in rows if row is not None]

    @strawberry.field(
        description="Municipalities that use this IT system (by their own settings) but did"
        " not meet about it: who else may have the problem. Empty for topics."
    )
    async def also_used_by(self, info: Info) -> list[Municipality]:
        if self.kind != SharedProblemKind.IT_SYSTEM:
            return []
        codes = await info.context.loaders.municipality_codes_by_it_system.load(self.subject)
        others = [code for code in codes if code not in set(self._codes)]
        rows = await info.context.loaders.municipality_by_code.load_many(others)
        return [Municipality.from_row(row) for row in rows if row is not None]

    async def _meetings(self, info: Info) -> list[Any]:
        return await info.context.loaders.meeting_by_id.load_many(self._meeting_ids)


@strawberry.input(description="All fields combine with AND; a list means any of its values.")
class SharedProblemFilter:
    kind: list[SharedProblemKind] | None = None
    it_system: list[str] | None = strawberry.field(
        default=None, description="Only these IT systems (codes, see `itSystems`)."
    )
    municipality: list[str] | None = strawberry.field(
        default=None, description="Only problems that any of these municipalities shared."
    )
    held_from: date | None = None
    held_to: date | None = None
    min_municipalities: int = strawberry.field(
        default=2, description="At least this many municipalities met about it."
    )

    async def to_query(self, info: Info) -> SharedProblemQuery:
        if not 1 <= self.min_municipalities <= MAX_MIN_MUNICIPALITIES:
            raise BadUserInput(
                f"filter.minMunicipalities must be between 1 and {MAX_MIN_MUNICIPALITIES};"
                f" got {self.min_municipalities}",
                argument="filter.minMunicipalities",
            )
        if self.held_from and self.held_to and self.held_from > self.held_to:
            raise BadUserInput("filter.heldFrom is after filter.heldTo", argument="filter.heldFrom")
        systems = await it_system_codes(info, self.it_system, "filter.itSystem")
        kinds = list(self.kind or [])
        if systems and not kinds:
            kinds = [SharedProblemKind.IT_SYSTEM]
        return SharedProblemQuery(
            kinds=kinds or None,
            it_systems=systems,
            municipalities=await municipality_codes(info, self.municipality, "filter.municipality"),
            held_from=self.held_from,
            held_to=self.held_to,
            min_municipalities=self.min_municipalities,
        )


@strawberry.type
class SharedProblemQueries:
    @strawberry.field(
        description="Problems municipalities met about together, most municipalities first."
    )
    async def shared_problems(
        self, info: Info, filter: SharedProblemFilter | None = None, first: int | None = None
    ) -> list[SharedProblem]:
        size = checked_first(first)
        query = await (filter or SharedProblemFilter()).to_query(info)
        rows = await shared_problems.shared_problems(info.context.reader, query, first=size)
        return [
            SharedProblem(
                kind=SharedProblemKind(row.kind),
                subject=row.subject if row.kind == SharedProblemKind.IT_SYSTEM else row.label,
                municipality_count=len(row.municipalities),
                first_met_on=row.first_held_on,
                last_met_on=row.last_held_on,
                _codes=sorted(row.municipalities),
                _meeting_ids=list(row.meetings),
            )
            for row in rows
        ]
