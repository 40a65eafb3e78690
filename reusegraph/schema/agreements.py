"""Framework agreements and contracts; end dates follow from the options exercised."""

import uuid
from datetime import date
from typing import Any

import strawberry
from sqlalchemy.engine import Row

from reusegraph.schema.context import Info
from reusegraph.schema.core.ids import global_id
from reusegraph.schema.enums import AgreementKind, AgreementStatus
from reusegraph.schema.municipalities import Municipality
from reusegraph.schema.node import Node
from reusegraph.schema.vendors import Vendor
from reusegraph.store.agreements import end_date


@strawberry.type
class AgreementDocument:
    title: str
    kind: str | None
    url: str | None


@strawberry.type(description="A framework agreement (several vendors) or a contract (one).")
class FrameworkAgreement(Node):
    kind: AgreementKind
    title: str
    subject: str | None
    description: str | None
    start_date: date
    initial_term_months: int
    option_months: list[int] = strawberry.field(description="Lengths of the options, in order.")
    options_exercised: int
    signed_on: date | None
    terminated_on: date | None
    end_date: date = strawberry.field(
        description="Last day in force: start + initial term + the options exercised."
    )
    max_end_date: date = strawberry.field(description="The end date if every option is exercised.")
    version: int = strawberry.field(description="Increments on every change; send it with updates.")
    _id: strawberry.Private[uuid.UUID]

    @strawberry.field
    def options_left(self) -> int:
        return len(self.option_months) - self.options_exercised

    @strawberry.field(description="Status on the given day (default: today).")
    def status(self, on: date | None = None) -> AgreementStatus:
        day = on or date.today()
        if self.terminated_on is not None and self.terminated_on <= day:
            return AgreementStatus.TERMINATED
        if day < self.start_date:
            return AgreementStatus.PLANNED
        return AgreementStatus.ACTIVE if day <= self.end_date else AgreementStatus.EXPIRED

    @strawberry.field(description="The contracting municipalities.")
    async def parties(self, info: Info) -> list[Municipality]:
        codes = await info.context.loaders.parties_by_agreement.load(self._id)
        rows = await info.context.loaders.municipality_by_code.load_many(codes)
        return [Municipality.from_row(row) for row in rows if row is not None]

    @strawberry.field
    async def vendors(self, info: Info) -> list[Vendor]:
        rows = await info.context.loaders.vendors_by_agreement.load(self._id)
        return [Vendor.from_row(row) for row in rows]

    @strawberry.field
    async def documents(self, info: Info) -> list[AgreementDocument]:
        rows = await info.context.loaders.documents_by_agreement.load(self._id)
        return [AgreementDocument(title=r.title, kind=r.kind, url=r.url) for r in rows]

    @classmethod
    def from_row(cls, row: Row[Any]) -> "FrameworkAgreement":
        options = list(row.option_months or [])
        return cls(
            id=strawberry.ID(global_id("FrameworkAgreement", row.id)),
            kind=row.kind,
            title=row.title,
            subject=row.subject,
            description=row.description,
            start_date=row.start_date,
            initial_term_months=row.initial_term_months,
            option_months=options,
            options_exercised=row.options_exercised,
            signed_on=row.signed_on,
            terminated_on=row.terminated_on,
            version=row.version,
            end_date=end_date(
                row.start_date, row.initial_term_months, options, row.options_exercised
            ),
            max_end_date=end_date(row.start_date, row.initial_term_months, options, len(options)),
            _id=row.id,
        )

    @classmethod
    async def load(cls, info: Info, agreement_id: uuid.UUID) -> "FrameworkAgreement | None":
        row = await info.context.loaders.agreement_by_id.load(agreement_id)
        return cls.from_row(row) if row else None
