"""Network meetings: the host's editors keep the meeting, each municipality its attendance."""

import uuid
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.auth.principal import Role
from reusegraph.schema.context import Info
from reusegraph.schema.core.ids import parse_uuid_id
from reusegraph.schema.core.permissions import Scope, needs
from reusegraph.schema.mutations.core import UserError, apply
from reusegraph.schema.mutations.field_checks import FieldChecks, given
from reusegraph.store import meeting_writes
from reusegraph.store.audit import Call

if TYPE_CHECKING:
    from reusegraph.schema.meetings import NetworkMeeting

MeetingRef = Annotated["NetworkMeeting", strawberry.lazy("reusegraph.schema.meetings")]

MAX_TOPICS = 50


@strawberry.input
class NetworkMeetingCreateInput:
    title: str
    held_on: date | None = strawberry.field(default=None, description="Null when not known.")
    host: str | None = strawberry.field(
        default=None, description="Host municipality's code; default: yours. It attends."
    )
    topics: list[str] = strawberry.field(default_factory=list)
    it_systems: list[str] = strawberry.field(
        default_factory=list, description="Codes of the IT systems the meeting is about."
    )
    processes_discussed: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Processes you can read."
    )
    external_participants: list[str] = strawberry.field(
        default_factory=list, description="Organisations other than municipalities."
    )
    outcome: str | None = None
    client_mutation_id: str | None = None


@strawberry.input(description="Leave a field out to keep it; lists replace the whole list.")
class NetworkMeetingPatch:
    title: strawberry.Maybe[str]
    held_on: strawberry.Maybe[date | None]
    host: strawberry.Maybe[str | None] = strawberry.field(
        description="Handing the meeting to another host needs an admin."
    )
    topics: strawberry.Maybe[list[str]]
    it_systems: strawberry.Maybe[list[str]]
    processes_discussed: strawberry.Maybe[list[strawberry.ID]]
    external_participants: strawberry.Maybe[list[str]]
    outcome: strawberry.Maybe[str | None]


@strawberry.input
class NetworkMeetingUpdateInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    patch: NetworkMeetingPatch
    client_mutation_id: str | None = None


@strawberry.input(description="Say whether a municipality attends; only its own editors may.")
class NetworkMeetingAttendanceSetInput:
    meeting_id: strawberry.ID
    municipality: str
    attending: bool
    client_mutation_id: str | None = None


@strawberry.type
class NetworkMeetingPayload:
    network_meeting: MeetingRef | None
    user_errors: list[UserError]
    client_mutation_id: str | None


def _checked(
    fields: dict[str, Any], path: tuple[str, ...]
) -> tuple[dict[str, Any], list[str] | None, list[uuid.UUID] | None]:
    """Columns, IT system codes, process ids; the lists are None when not given."""
    checks = FieldChecks(*path)
    if path:
        checks.not_empty(fields)
    values: dict[str, Any] = {}
    systems: list[str] | None = None
    processes: list[uuid.UUID] | None = None
    for name, value in fields.items():
        if name == "title":
            values[name] = checks.required_text(name, value, 255)
        elif name == "held_on":
            values[name] = value
        elif name == "host":
            values["host_code"] = None if value is None else checks.municipality("host", value)
        elif name in ("topics", "external_participants"):
            field = "topics" if name == "topics" else "externalParticipants"
            items = [checks.text(field, v, 255) for v in value]
            if len(items) > MAX_TOPICS:
                checks.add(field, f"{field} may hold at most {MAX_TOPICS} entries.")
            values[name] = [v for v in items if v]
        elif name == "outcome":
            values[name] = checks.text(name, value, 20000)
        elif name == "it_systems":
            systems = checks.codes("itSystems", value)
        elif name == "processes_discussed":
            argument = ".".join(("input", *path, "processesDiscussed"))
            processes = [parse_uuid_id(str(i), "Process", argument) for i in value]
    checks.done()
    return values, systems, processes


async def _payload(
    info: Info, key: str | None, errors: list[UserError], cmid: str | None
) -> NetworkMeetingPayload:
    from reusegraph.schema.meetings import NetworkMeeting

    found = await NetworkMeeting.load(info, uuid.UUID(key)) if key else None
    return NetworkMeetingPayload(network_meeting=found, user_errors=errors, client_mutation_id=cmid)


@strawberry.type
class MeetingMutations:
    @strawberry.mutation(
        description="Register a meeting your municipality hosts (editor).",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.PARTY)],
    )
    async def network_meeting_create(
        self, info: Info, input: NetworkMeetingCreateInput
    ) -> NetworkMeetingPayload:
        fields = {k: v for k, v in vars(input).items() if k != "client_mutation_id"}
        fields["host"] = input.host or info.context.viewer.municipality

        async def work(session: AsyncSession, call: Call) -> str:
            values, systems, processes = _checked(fields, ())
            created = await meeting_writes.create_meeting(
                session, call, values, systems or [], processes or []
            )
            return str(created)

        outcome = await apply(info, "networkMeetingCreate", input.client_mutation_id, work)
        return await _payload(info, outcome.key, outcome.errors, outcome.client_mutation_id)

    @strawberry.mutation(
        description="Change a meeting your municipality hosts (editor).",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.PARTY)],
    )
    async def network_meeting_update(
        self, info: Info, input: NetworkMeetingUpdateInput
    ) -> NetworkMeetingPayload:
        meeting_id = parse_uuid_id(str(input.id), "NetworkMeeting", "input.id")

        async def work(session: AsyncSession, call: Call) -> str:
            values, systems, processes = _checked(given(input.patch), ("patch",))
            await meeting_writes.update_meeting(
                session, call, meeting_id, input.version, values, systems, processes
            )
            return str(meeting_id)

        outcome = await apply(info, "networkMeetingUpdate", input.client_mutation_id, work)
        return await _payload(info, outcome.key, outcome.errors, outcome.client_mutation_id)

    @strawberry.mutation(
        description="Say whether your municipality attends a meeting (its editors only).",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.PARTY)],
    )
    async def network_meeting_attendance_set(
        self, info: Info, input: NetworkMeetingAttendanceSetInput
    ) -> NetworkMeetingPayload:
        meeting_id = parse_uuid_id(str(input.meeting_id), "NetworkMeeting", "input.meetingId")

        async def work(session: AsyncSession, call: Call) -> str:
            checks = FieldChecks()
            municipality = checks.municipality("municipality", input.municipality.strip())
            checks.done()
            await meeting_writes.set_attendance(
                session, call, meeting_id, municipality, input.attending
            )
            return str(meeting_id)

        outcome = await apply(info, "networkMeetingAttendanceSet", input.client_mutation_id, work)
        return await _payload(info, outcome.key, outcome.errors, outcome.client_mutation_id)
