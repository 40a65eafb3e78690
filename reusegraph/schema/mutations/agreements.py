"""Framework agreements: kept by the editors of their parties (or an admin).

The payload's agreement computes its end date from the options exercised, so
``frameworkAgreementExerciseOption`` answers with the new end date at once.
"""

import uuid
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.auth.principal import Role
from reusegraph.schema.context import Info
from reusegraph.schema.core.ids import parse_uuid_id
from reusegraph.schema.core.permissions import Scope, needs
from reusegraph.schema.enums import AgreementKind
from reusegraph.schema.mutations.core import UserError, apply
from reusegraph.schema.mutations.field_checks import FieldChecks, given
from reusegraph.store import agreement_writes
from reusegraph.store.audit import Call

if TYPE_CHECKING:
    from reusegraph.schema.agreements import FrameworkAgreement

AgreementRef = Annotated["FrameworkAgreement", strawberry.lazy("reusegraph.schema.agreements")]

MAX_TERM_MONTHS = 240
MAX_OPTIONS = 10


@strawberry.input
class FrameworkAgreementCreateInput:
    kind: AgreementKind
    title: str
    start_date: date
    initial_term_months: int
    parties: list[str] = strawberry.field(
        description="Codes of the contracting municipalities; yours must be among them."
    )
    option_months: list[int] = strawberry.field(
        default_factory=list, description="Lengths of the options in months, e.g. [12, 12]."
    )
    options_exercised: int = 0
    vendor_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="One for a CONTRACT, any number for a FRAMEWORK."
    )
    subject: str | None = None
    description: str | None = None
    signed_on: date | None = None
    terminated_on: date | None = None
    client_mutation_id: str | None = None


@strawberry.input(description="Leave a field out to keep it; lists replace the whole list.")
class FrameworkAgreementPatch:
    kind: strawberry.Maybe[AgreementKind]
    title: strawberry.Maybe[str]
    subject: strawberry.Maybe[str | None]
    description: strawberry.Maybe[str | None]
    start_date: strawberry.Maybe[date]
    initial_term_months: strawberry.Maybe[int]
    option_months: strawberry.Maybe[list[int]]
    options_exercised: strawberry.Maybe[int]
    signed_on: strawberry.Maybe[date | None]
    terminated_on: strawberry.Maybe[date | None]
    parties: strawberry.Maybe[list[str]]
    vendor_ids: strawberry.Maybe[list[strawberry.ID]]


@strawberry.input
class FrameworkAgreementUpdateInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    patch: FrameworkAgreementPatch
    client_mutation_id: str | None = None


@strawberry.input(description="Exercise the agreement's next option; its end date moves on.")
class FrameworkAgreementExerciseOptionInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    client_mutation_id: str | None = None


@strawberry.type
class FrameworkAgreementPayload:
    framework_agreement: AgreementRef | None
    user_errors: list[UserError]
    client_mutation_id: str | None


class _Checked:
    """Columns, parties and vendors of a create or patch, checked field by field."""

    def __init__(self, fields: dict[str, Any], path: tuple[str, ...]) -> None:
        checks = FieldChecks(*path)
        if path:
            checks.not_empty(fields)
        self.values: dict[str, Any] = {}
        self.parties: list[str] | None = None
        self.vendor_ids: list[uuid.UUID] | None = None
        for name, value in fields.items():
            if name in ("title", "subject"):
                if name == "title":
                    self.values[name] = checks.required_text(name, value, 255)
                else:
                    self.values[name] = checks.text(name, value, 255)
            elif name == "description":
                self.values[name] = checks.text(name, value, 20000)
            elif name == "kind":
                self.values[name] = value.value
            elif name == "start_date":
                self.values[name] = value
            elif name == "initial_term_months":
                checks.within("initialTermMonths", value, 1, MAX_TERM_MONTHS)
                self.values[name] = value
            elif name == "option_months":
                months = list(value)
                if len(months) > MAX_OPTIONS:
                    checks.add("optionMonths", f"optionMonths may hold at most {MAX_OPTIONS}.")
                if any(not 1 <= m <= MAX_TERM_MONTHS for m in months):
                    checks.add(
                        "optionMonths",
                        f"each option must be 1-{MAX_TERM_MONTHS} months; got {months}.",
                        "OUT_OF_RANGE",
                    )
                self.values[name] = months
            elif name == "options_exercised":
                checks.within("optionsExercised", value, 0, MAX_OPTIONS)
                self.values[name] = value
            elif name == "parties":
                self.parties = checks.municipalities("parties", value)
                if not self.parties:
                    checks.add(
                        "parties", "parties must name at least one municipality.", "REQUIRED"
                    )
            elif name == "vendor_ids":
                argument = ".".join(("input", *path, "vendorIds"))
                self.vendor_ids = [parse_uuid_id(str(i), "Vendor", argument) for i in value]
            elif name in ("signed_on", "terminated_on"):
                self.values[name] = value
        checks.done()


async def _payload(
    info: Info, key: str | None, errors: list[UserError], cmid: str | None
) -> FrameworkAgreementPayload:
    from reusegraph.schema.agreements import FrameworkAgreement

    found = await FrameworkAgreement.load(info, uuid.UUID(key)) if key else None
    return FrameworkAgreementPayload(
        framework_agreement=found, user_errors=errors, client_mutation_id=cmid
    )


@strawberry.type
class AgreementMutations:
    @strawberry.mutation(
        description="Register an agreement your municipality is party to (editor or admin).",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.PARTY)],
    )
    async def framework_agreement_create(
        self, info: Info, input: FrameworkAgreementCreateInput
    ) -> FrameworkAgreementPayload:
        fields = {k: v for k, v in vars(input).items() if k != "client_mutation_id"}

        async def work(session: AsyncSession, call: Call) -> str:
            checked = _Checked(fields, ())
            created = await agreement_writes.create_agreement(
                session, call, checked.values, checked.parties or [], checked.vendor_ids or []
            )
            return str(created)

        outcome = await apply(info, "frameworkAgreementCreate", input.client_mutation_id, work)
        return await _payload(info, outcome.key, outcome.errors, outcome.client_mutation_id)

    @strawberry.mutation(
        description="Change an agreement your municipality is party to.",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.PARTY)],
    )
    async def framework_agreement_update(
        self, info: Info, input: FrameworkAgreementUpdateInput
    ) -> FrameworkAgreementPayload:
        agreement_id = parse_uuid_id(str(input.id), "FrameworkAgreement", "input.id")

        async def work(session: AsyncSession, call: Call) -> str:
            checked = _Checked(given(input.patch), ("patch",))
            await agreement_writes.update_agreement(
                session,
                call,
                agreement_id,
                input.version,
                checked.values,
                checked.parties,
                checked.vendor_ids,
            )
            return str(agreement_id)

        outcome = await apply(info, "frameworkAgreementUpdate", input.client_mutation_id, work)
        return await _payload(info, outcome.key, outcome.errors, outcome.client_mutation_id)

    @strawberry.mutation(
        description="Exercise the next option of an agreement your municipality is party to; "
        "the payload shows the new end date.",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.PARTY)],
    )
    async def framework_agreement_exercise_option(
        self, info: Info, input: FrameworkAgreementExerciseOptionInput
    ) -> FrameworkAgreementPayload:
        agreement_id = parse_uuid_id(str(input.id), "FrameworkAgreement", "input.id")

        async def work(session: AsyncSession, call: Call) -> str:
            await agreement_writes.exercise_option(session, call, agreement_id, input.version)
            return str(agreement_id)

        outcome = await apply(
            info, "frameworkAgreementExerciseOption", input.client_mutation_id, work
        )
        return await _payload(info, outcome.key, outcome.errors, outcome.client_mutation_id)
