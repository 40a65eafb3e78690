"""Process mutations: create, update, delete, reuse another municipality's, link reuse."""

import uuid
from dataclasses import fields as dataclass_fields
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.auth.principal import Role
from reusegraph.schema.context import Info
from reusegraph.schema.core.errors import BadUserInput
from reusegraph.schema.core.ids import global_id, parse_uuid_id
from reusegraph.schema.core.permissions import Scope, needs
from reusegraph.schema.enums import Phase, ReuseKind, Visibility
from reusegraph.schema.mutations.core import UserError, apply
from reusegraph.schema.mutations.process_input import ProcessPatch, camel, columns_of
from reusegraph.store import process_writes
from reusegraph.store.audit import Call
from reusegraph.store.write_errors import WriteRejected

if TYPE_CHECKING:
    from reusegraph.schema.processes import Process

ProcessRef = Annotated["Process", strawberry.lazy("reusegraph.schema.processes")]


@strawberry.input
class ProcessCreateInput:
    title: str
    phase: Phase
    municipality: str | None = strawberry.field(
        default=None, description="Default: the caller's municipality."
    )
    visibility: Visibility = Visibility.MUNICIPALITY  # type: ignore[assignment]
    details: ProcessPatch | None = strawberry.field(
        default=None, description="Any other field, as in processUpdate."
    )
    client_mutation_id: str | None = None


@strawberry.input
class ProcessUpdateInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    patch: ProcessPatch
    client_mutation_id: str | None = None


@strawberry.input
class ProcessDeleteInput:
    id: strawberry.ID
    version: int
    client_mutation_id: str | None = None


@strawberry.input(description="Copy another municipality's process into yours, keeping lineage.")
class ReuseProcessInput:
    origin_id: strawberry.ID
    kind: ReuseKind
    note: str | None = None
    title: str | None = strawberry.field(default=None, description="Default: the origin's title.")
    client_mutation_id: str | None = None


@strawberry.input
class ReuseLinkInput:
    derived_id: strawberry.ID = strawberry.field(description="Your municipality's process.")
    origin_id: strawberry.ID = strawberry.field(description="The process it reuses.")
    kind: ReuseKind = ReuseKind.WHOLE_SOLUTION  # type: ignore[assignment]
    note: str | None = None
    client_mutation_id: str | None = None


@strawberry.input
class ReuseLinkDeleteInput:
    derived_id: strawberry.ID
    origin_id: strawberry.ID
    client_mutation_id: str | None = None


@strawberry.type
class ProcessPayload:
    process: ProcessRef | None
    user_errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class ProcessDeletePayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]
    client_mutation_id: str | None


def _split(
    patch: ProcessPatch | None, path: tuple[str, ...], **more: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Columns, and the relations (systems, technologies) that are not columns.

    ``more`` are top-level input fields checked alongside, so every error comes back at once.
    """
    given: dict[str, Any] = {}
    if patch is not None:
        for f in dataclass_fields(patch):  # type: ignore[arg-type]
            maybe = getattr(patch, f.name)
            if maybe is not None:
                given[f.name] = maybe.value
    relations: dict[str, Any] = {
        k: given.pop(k) for k in ("it_systems", "technologies") if k in given
    }
    ids: dict[str, Any] = {}
    for key, type_name in (("vendor_id", "Vendor"), ("agreement_id", "FrameworkAgreement")):
        if key in given:
            raw = given.pop(key)
            argument = ".".join(("input", *path, camel(key)))
            ids[key] = None if raw is None else parse_uuid_id(str(raw), type_name, argument)
    values, errors = columns_of(given, path)
    top, top_errors = columns_of(more, ())
    if errors or top_errors:
        raise WriteRejected(*top_errors, *errors)
    return {**values, **top, **ids}, relations


async def _payload(
    info: Info, key: str | None, errors: list[UserError], cmid: str | None
) -> ProcessPayload:
    from reusegraph.schema.processes import Process

    process = await Process.load(info, uuid.UUID(key)) if key else None
    return ProcessPayload(process=process, user_errors=errors, client_mutation_id=cmid)


@strawberry.type
class ProcessMutations:
    @strawberry.mutation(
        description="Register a process of your municipality (editor).",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.OWN_MUNICIPALITY)],
    )
    async def process_create(self, info: Info, input: ProcessCreateInput) -> ProcessPayload:
        municipality = input.municipality or info.context.viewer.municipality

        async def work(session: AsyncSession, call: Call) -> str:
            values, relations = _split(input.details, ("details",), title=input.title)
            values.update(phase=input.phase.value, visibility=input.visibility.value)
            values["municipality_code"] = municipality
            created = await process_writes.create_process(
                session,
                call,
                values,
                relations.get("it_systems") or (),
                relations.get("technologies") or (),
            )
            return str(created)

        outcome = await apply(info, "processCreate", input.client_mutation_id, work)
        return await _payload(info, outcome.key, outcome.errors, outcome.client_mutation_id)

    @strawberry.mutation(
        description="Change fields of your municipality's process (editor).",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.OWN_MUNICIPALITY)],
    )
    async def process_update(self, info: Info, input: ProcessUpdateInput) -> ProcessPayload:
        process_id = parse_uuid_id(str(input.id), "Process", "input.id")

        async def work(session: AsyncSession, call: Call) -> str:
            values, relations = _split(input.patch, ("patch",))
            await process_writes.update_process(
                session,
                call,
                process_id,
                input.version,
                values,
                relations.get("it_systems"),
                relations.get("technologies"),
            )
            return str(process_id)

        outcome = await apply(info, "processUpdate", input.client_mutation_id, work)
        return await _payload(info, outcome.key, outcome.errors, outcome.client_mutation_id)

    @strawberry.mutation(
        description="Delete your municipality's process (editor).",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.OWN_MUNICIPALITY)],
    )
    async def process_delete(self, info: Info, input: ProcessDeleteInput) -> ProcessDeletePayload:
        process_id = parse_uuid_id(str(input.id), "Process", "input.id")

        async def work(session: AsyncSession, call: Call) -> str:
            await process_writes.delete_process(session, call, process_id, input.version)
            return str(process_id)

        outcome = await apply(info, "processDelete", input.client_mutation_id, work)
        deleted = strawberry.ID(global_id("Process", outcome.key)) if outcome.key else None
        return ProcessDeletePayload(
            deleted_id=deleted,
            user_errors=outcome.errors,
            client_mutation_id=outcome.client_mutation_id,
        )

    @strawberry.mutation(
        description="Copy another municipality's process into yours (phase IDEA, visibility "
        "MUNICIPALITY) with a reuse link to it; internal notes and people are not copied.",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.OWN_MUNICIPALITY)],
    )
    async def reuse_process(self, info: Info, input: ReuseProcessInput) -> ProcessPayload:
        origin_id = parse_uuid_id(str(input.origin_id), "Process", "input.originId")

        async def work(session: AsyncSession, call: Call) -> str:
            overrides: dict[str, Any] = {}
            if input.title is not None:
                overrides, errors = columns_of({"title": input.title}, ())
                if errors:
                    raise WriteRejected(*errors)
            created = await process_writes.reuse_process(
                session, call, origin_id, input.kind.value, overrides, input.note
            )
            return str(created)

        outcome = await apply(info, "reuseProcess", input.client_mutation_id, work)
        return await _payload(info, outcome.key, outcome.errors, outcome.client_mutation_id)

    @strawberry.mutation(
        description="Record that your process reuses another (editor).",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.OWN_MUNICIPALITY)],
    )
    async def reuse_link_create(self, info: Info, input: ReuseLinkInput) -> ProcessPayload:
        derived = parse_uuid_id(str(input.derived_id), "Process", "input.derivedId")
        origin = parse_uuid_id(str(input.origin_id), "Process", "input.originId")
        _check_note(input.note)

        async def work(session: AsyncSession, call: Call) -> str:
            await process_writes.link_reuse(
                session, call, derived, origin, input.kind.value, input.note
            )
            return str(derived)

        outcome = await apply(info, "reuseLinkCreate", input.client_mutation_id, work)
        return await _payload(info, outcome.key, outcome.errors, outcome.client_mutation_id)

    @strawberry.mutation(
        description="Remove a reuse link of your process (editor).",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.OWN_MUNICIPALITY)],
    )
    async def reuse_link_delete(self, info: Info, input: ReuseLinkDeleteInput) -> ProcessPayload:
        derived = parse_uuid_id(str(input.derived_id), "Process", "input.derivedId")
        origin = parse_uuid_id(str(input.origin_id), "Process", "input.originId")

        async def work(session: AsyncSession, call: Call) -> str:
            await process_writes.unlink_reuse(session, call, derived, origin)
            return str(derived)

        outcome = await apply(info, "reuseLinkDelete", input.client_mutation_id, work)
        return await _payload(info, outcome.key, outcome.errors, outcome.client_mutation_id)


def _check_note(note: str | None) -> None:
    if note is not None and len(note) > 2000:
        raise BadUserInput("note must be at most 2000 characters.", argument="input.note")
