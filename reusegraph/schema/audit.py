"""``auditLog``: who changed what, when, and through which mutation.

Admins read every entry, an editor their own municipality's. Which entries a caller
gets is decided by row-level security in the store (migration 0011); the resolver only
refuses callers who may read none, so that "denied" is not mistaken for "empty".
"""

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.engine import Row
from strawberry.scalars import JSON

from reusegraph.auth.principal import Role
from reusegraph.schema.context import Info
from reusegraph.schema.core.errors import BadUserInput
from reusegraph.schema.core.ids import global_id
from reusegraph.schema.core.pagination import Connection, checked_window, connection
from reusegraph.schema.core.permissions import Scope, needs
from reusegraph.schema.filters import check_municipality_code
from reusegraph.store import audit_log
from reusegraph.store.audit_log import AuditQuery


@strawberry.type(description="Who wrote as whom: the token's issuer and subject.")
class AuditActor:
    issuer: str | None
    subject: str | None
    municipality: str | None = strawberry.field(
        description="The writer's municipality code (null for the system: sync, CLI import)."
    )


@strawberry.type(description="One write: one entity's state before and after it.")
class AuditEntry:
    id: strawberry.ID
    at: datetime
    actor: AuditActor
    mutation: str = strawberry.field(
        description="The mutation (or sync, fileImport, httpImport) that wrote it."
    )
    client_mutation_id: str | None
    request_id: str | None
    entity: str = strawberry.field(description="The entity's type: Process, Source, Vendor, …")
    entity_id: str
    before: JSON | None = strawberry.field(description="The entity as it was (null: created).")
    after: JSON | None = strawberry.field(description="The entity as it is (null: deleted).")

    @classmethod
    def from_row(cls, row: Row[Any]) -> "AuditEntry":
        return cls(
            id=strawberry.ID(global_id("AuditEntry", row.id)),
            at=row.at,
            actor=AuditActor(
                issuer=row.issuer, subject=row.subject, municipality=row.municipality_code
            ),
            mutation=row.action,
            client_mutation_id=row.client_mutation_id,
            request_id=row.request_id,
            entity=row.entity,
            entity_id=row.entity_id,
            before=row.before,
            after=row.after,
        )


@strawberry.input(description="All fields combine with AND.")
class AuditLogFilter:
    municipality: str | None = strawberry.field(
        default=None, description="The writer's municipality code."
    )
    entity: str | None = strawberry.field(default=None, description="e.g. Process or Source.")
    entity_id: str | None = None
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None

    def to_query(self) -> AuditQuery:
        if self.municipality is not None:
            check_municipality_code(self.municipality, "filter.municipality")
        if self.from_ and self.to and self.from_ > self.to:
            raise BadUserInput("filter.from is after filter.to", argument="filter.from")
        return AuditQuery(
            municipality=self.municipality,
            entity=self.entity,
            entity_id=self.entity_id,
            at_from=self.from_,
            at_to=self.to,
        )


@strawberry.type
class AuditQueries:
    @strawberry.field(
        description="The audit log, newest first. Admins read every entry; an editor reads"
        " the entries written by their own municipality.",
        permission_classes=[
            needs(
                Role.ADMIN,
                Role.EDITOR,
                scope=Scope.OWN_MUNICIPALITY,
                what="The audit log",
                municipality_required=True,
            )
        ],
    )
    async def audit_log(
        self,
        info: Info,
        filter: AuditLogFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AuditEntry]:
        window = checked_window(first, after, last, before)
        query = filter.to_query() if filter else AuditQuery()
        reader = info.context.reader
        page = await audit_log.list_entries(reader, query, **window.arguments())
        return connection(page, AuditEntry.from_row, lambda: audit_log.count_entries(reader, query))
