"""Recording realised or estimated benefits for one month of a process (upsert)."""

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.auth.principal import Role
from reusegraph.schema.context import Info
from reusegraph.schema.core.ids import parse_uuid_id
from reusegraph.schema.core.permissions import Scope, needs
from reusegraph.schema.core.scalars import Month
from reusegraph.schema.enums import BenefitKind
from reusegraph.schema.mutations.core import UserError, apply
from reusegraph.store import process_writes
from reusegraph.store.audit import Call
from reusegraph.store.write_errors import FieldError, WriteRejected

if TYPE_CHECKING:
    from reusegraph.schema.processes import Process

ProcessRef = Annotated["Process", strawberry.lazy("reusegraph.schema.processes")]


@strawberry.input
class BenefitFigures:
    kind: BenefitKind = BenefitKind.MEASURED  # type: ignore[assignment]
    hours_saved: float
    cases: int | None = None
    money_amount: float | None = None
    currency: str | None = strawberry.field(default=None, description="ISO 4217, e.g. NOK.")
    note: str | None = None


@strawberry.input(description="A month's figures; recording a month again replaces them.")
class BenefitsRecordInput:
    process_id: strawberry.ID
    period: Month
    records: list[BenefitFigures]
    client_mutation_id: str | None = None


@strawberry.type
class BenefitsRecordPayload:
    process: ProcessRef | None
    user_errors: list[UserError]
    client_mutation_id: str | None


def _checked(records: list[BenefitFigures]) -> list[dict[str, object]]:
    errors: list[FieldError] = []
    rows: list[dict[str, object]] = []
    kinds: set[str] = set()

    def error(i: int, field: str, message: str, code: str = "INVALID") -> None:
        errors.append(FieldError(code, message, ("records", str(i), field)))

    if not records:
        errors.append(FieldError("REQUIRED", "records must hold at least one entry.", ("records",)))
    for i, r in enumerate(records):
        if r.kind.value in kinds:
            error(i, "kind", f"{r.kind.value} appears twice; send one entry per kind.", "DUPLICATE")
        kinds.add(r.kind.value)
        if not 0 <= r.hours_saved <= 1_000_000:
            error(
                i,
                "hoursSaved",
                f"hoursSaved must be 0-1000000; got {r.hours_saved}.",
                "OUT_OF_RANGE",
            )
        if r.cases is not None and not 0 <= r.cases <= 100_000_000:
            error(i, "cases", f"cases must be 0-100000000; got {r.cases}.", "OUT_OF_RANGE")
        if (r.money_amount is None) != (r.currency is None):
            error(i, "currency", "moneyAmount and currency go together: give both or neither.")
        if r.currency is not None and not (len(r.currency) == 3 and r.currency.isupper()):
            error(i, "currency", f"currency {r.currency!r} must be an ISO 4217 code like NOK.")
        if r.note is not None and len(r.note) > 1000:
            error(i, "note", "note must be at most 1000 characters.")
        rows.append(
            {
                "kind": r.kind.value,
                "hours_saved": Decimal(str(r.hours_saved)),
                "cases": r.cases,
                "money_amount": None if r.money_amount is None else Decimal(str(r.money_amount)),
                "currency": r.currency,
                "note": r.note,
            }
        )
    if errors:
        raise WriteRejected(*errors)
    return rows


@strawberry.type
class BenefitMutations:
    @strawberry.mutation(
        description="Record a month's benefits of your process (editor).",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.OWN_MUNICIPALITY)],
    )
    async def benefits_record(
        self, info: Info, input: BenefitsRecordInput
    ) -> BenefitsRecordPayload:
        process_id = parse_uuid_id(str(input.process_id), "Process", "input.processId")

        async def work(session: AsyncSession, call: Call) -> str:
            rows = _checked(input.records)
            await process_writes.record_benefits(session, call, process_id, input.period, rows)
            return str(process_id)

        outcome = await apply(info, "benefitsRecord", input.client_mutation_id, work)
        from reusegraph.schema.processes import Process

        process = await Process.load(info, uuid.UUID(outcome.key)) if outcome.key else None
        return BenefitsRecordPayload(
            process=process,
            user_errors=outcome.errors,
            client_mutation_id=outcome.client_mutation_id,
        )
