"""Registering and removing sources (admin). Credentials are referenced, never sent."""

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.auth.principal import Role
from reusegraph.schema.context import Info
from reusegraph.schema.core.permissions import Scope, needs
from reusegraph.schema.enums import SourceKind
from reusegraph.schema.mutations.core import UserError, apply
from reusegraph.schema.sources import Source
from reusegraph.store import source_writes, sync_writes
from reusegraph.store.audit import Call
from reusegraph.store.models.sources import SourceAuth
from reusegraph.store.source_writes import SourceSpec


@strawberry.input(
    description="A source; registering an existing code changes its settings (a new endpoint"
    " syncs from the beginning)."
)
class SourceRegisterInput:
    code: str = strawberry.field(description="Stable id: a-z, 0-9 and '-', e.g. 'oslo-registry'.")
    name: str
    kind: SourceKind
    owners: list[str] = strawberry.field(description="Municipalities whose data it owns.")
    endpoint: str | None = strawberry.field(
        default=None, description="The remote's GraphQL endpoint, or OS2autoproces's base URL."
    )
    auth: SourceAuth = SourceAuth.NONE  # type: ignore[assignment]
    secret_ref: str | None = strawberry.field(
        default=None,
        description="Where the gateway reads the token, API key or client secret:"
        " env:VARIABLE or file:/path. Never the secret itself.",
    )
    token_url: str | None = strawberry.field(default=None, description="OAUTH2: token endpoint.")
    client_id: str | None = strawberry.field(default=None, description="OAUTH2: client id.")
    scope: str | None = strawberry.field(default=None, description="OAUTH2: scope to ask for.")
    schedule: str | None = strawberry.field(
        default=None, description="'every 15m', '1h', '1d' or 'manual' (default: manual)."
    )
    timeout_seconds: int = strawberry.field(default=30, description="Per request to the remote.")
    max_run_seconds: int = strawberry.field(default=900, description="Per sync run.")
    page_size: int = strawberry.field(default=500, description="Records asked for per page.")
    stale_after_seconds: int = strawberry.field(
        default=86400, description="Data older than this is marked stale."
    )
    client_mutation_id: str | None = None

    def spec(self) -> SourceSpec:
        return SourceSpec(
            code=self.code,
            name=self.name,
            kind=self.kind.value,
            owners=list(self.owners),
            endpoint=self.endpoint,
            auth=self.auth.value,
            secret_ref=self.secret_ref,
            token_url=self.token_url,
            client_id=self.client_id,
            scope=self.scope,
            schedule=self.schedule,
            timeout_seconds=self.timeout_seconds,
            max_run_seconds=self.max_run_seconds,
            page_size=self.page_size,
            stale_after_seconds=self.stale_after_seconds,
        )


@strawberry.type
class SourceRegisterPayload:
    source: Source | None
    user_errors: list[UserError]
    client_mutation_id: str | None


@strawberry.input
class SourceRemoveInput:
    code: str
    client_mutation_id: str | None = None


@strawberry.type
class SourceRemovePayload:
    removed_code: str | None
    removed_records: int = strawberry.field(description="Mirrored copies dropped with it.")
    user_errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class SourceMutations:
    @strawberry.mutation(
        description="Register a source or change its settings (admin).",
        permission_classes=[needs(Role.ADMIN, scope=Scope.ANY)],
    )
    async def source_register(
        self, info: Info, input: SourceRegisterInput
    ) -> SourceRegisterPayload:
        spec = input.spec()

        async def work(session: AsyncSession, call: Call) -> str:
            return await source_writes.register_source(session, call, spec)

        outcome = await apply(info, "sourceRegister", input.client_mutation_id, work)
        source = None
        if outcome.key is not None:
            row = await info.context.loaders.source_by_code.load(outcome.key)
            source = Source.from_row(row) if row is not None else None
        return SourceRegisterPayload(
            source=source,
            user_errors=outcome.errors,
            client_mutation_id=outcome.client_mutation_id,
        )

    @strawberry.mutation(
        description="Remove a source (admin). A mirror's copies go with it (the remote keeps"
        " the originals); a hosted source must hold no processes.",
        permission_classes=[needs(Role.ADMIN, scope=Scope.ANY)],
    )
    async def source_remove(self, info: Info, input: SourceRemoveInput) -> SourceRemovePayload:
        # The copies are every municipality's rows, past what an admin's row-level security
        # lets it touch: the system drops them, for this admin-authorised removal.
        async with info.context.db.session(None) as session:
            removed = await sync_writes.purge_mirror(session, input.code)

        async def work(session: AsyncSession, call: Call) -> str:
            await source_writes.remove_source(session, call, input.code)
            return input.code

        outcome = await apply(info, "sourceRemove", input.client_mutation_id, work)
        return SourceRemovePayload(
            removed_code=outcome.key,
            removed_records=removed,
            user_errors=outcome.errors,
            client_mutation_id=outcome.client_mutation_id,
        )
