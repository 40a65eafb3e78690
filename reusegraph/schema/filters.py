"""Filter inputs, checked before they reach the store.

Every filter field names something that must exist (a municipality, a technology ...) or
follow a format (a KLE prefix); a wrong value is a BAD_USER_INPUT that names the field and
says what is allowed, instead of silently matching nothing.
"""

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import strawberry
from strawberry.dataloader import DataLoader

from reusegraph.schema.context import Info
from reusegraph.schema.core.errors import BadUserInput
from reusegraph.schema.core.ids import parse_uuid_id
from reusegraph.schema.core.scalars import Month
from reusegraph.schema.enums import (
    AgreementKind,
    BenefitKind,
    Country,
    Domain,
    OrderDirection,
    Phase,
    ProcessOrderField,
    Status,
)
from reusegraph.schema.scoring import ScoreWeights, store_weights
from reusegraph.store.agreements import AgreementQuery, add_months
from reusegraph.store.benefits import BenefitQuery
from reusegraph.store.meetings import MeetingQuery
from reusegraph.store.municipalities import MunicipalityQuery
from reusegraph.store.processes import ProcessQuery
from reusegraph.store.scoring import ScoreWeights as StoreScoreWeights
from reusegraph.store.vendors import VendorQuery

T = TypeVar("T")
KLE_PREFIX = re.compile(r"^[0-9]{2}(\.[0-9]{2}){0,2}$")
MUNICIPALITY_CODE = re.compile(r"^[A-Z]{2}-[0-9]{3,4}$")
MAX_SEARCH_LENGTH = 500
MAX_EXPIRY_MONTHS = 120


def check_municipality_code(code: str, field: str) -> None:
    if not MUNICIPALITY_CODE.match(code):
        raise BadUserInput(
            f"{field}: {code!r} is not a municipality code; codes are <country>-<number>,"
            " e.g. DK-0746 or NO-5001",
            argument=field,
        )


def check_kle_prefixes(prefixes: Sequence[str]) -> list[str]:
    for prefix in prefixes:
        if not KLE_PREFIX.match(prefix):
            raise BadUserInput(
                f"filter.kle: {prefix!r} is not a KLE prefix; use NN, NN.NN or NN.NN.NN"
                " (e.g. '27.24')",
                argument="filter.kle",
            )
    return list(prefixes)


async def _known(
    loader: DataLoader[str, Any], codes: Sequence[str] | None, field: str, noun: str, listing: str
) -> list[str] | None:
    """Through the request's loaders: a filter repeated on every item of a list is checked once."""
    if not codes:
        return None
    found = await loader.load_many(list(codes))
    unknown = [code for code, row in zip(codes, found, strict=True) if row is None]
    if unknown:
        raise BadUserInput(
            f"{field}: unknown {noun} {', '.join(map(repr, unknown))}; see `{listing}` for codes",
            argument=field,
        )
    return list(codes)


async def municipality_codes(
    info: Info, codes: Sequence[str] | None, field: str
) -> list[str] | None:
    for code in codes or ():
        check_municipality_code(code, field)
    return await _known(
        info.context.loaders.municipality_by_code, codes, field, "municipality", "municipalities"
    )


async def technology_codes(info: Info, codes: Sequence[str] | None, field: str) -> list[str] | None:
    loader = info.context.loaders.technology_by_code
    return await _known(loader, codes, field, "technology", "technologies")


async def it_system_codes(info: Info, codes: Sequence[str] | None, field: str) -> list[str] | None:
    loader = info.context.loaders.it_system_by_code
    return await _known(loader, codes, field, "IT system", "itSystems")


def check_search(search: str | None) -> str | None:
    if search is None or not search.strip():
        return None
    if len(search) > MAX_SEARCH_LENGTH:
        raise BadUserInput(
            f"search is {len(search)} characters; at most {MAX_SEARCH_LENGTH} are allowed",
            argument="search",
        )
    return search


@strawberry.input(description="All fields combine with AND; a list means any of its values.")
class ProcessFilter:
    municipality: list[str] | None = strawberry.UNSET
    country: list[Country] | None = strawberry.UNSET
    phase: list[Phase] | None = strawberry.UNSET
    status: list[Status] | None = strawberry.UNSET
    domain: list[Domain] | None = strawberry.UNSET
    technology: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Technology codes (see `technologies`)."
    )
    it_system: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="IT system codes (see `itSystems`)."
    )
    vendor: list[strawberry.ID] | None = strawberry.UNSET
    kle: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="KLE prefixes: '27' or '27.24' or '27.24.00'."
    )
    updated_since: datetime | None = strawberry.UNSET
    has_reuse: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="true: reused by or reusing another process; false: neither.",
    )
    umbrella: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="Members of any of these umbrellas (Process ids)."
    )
    is_umbrella: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="true: umbrellas only (own or shared); false: no umbrellas.",
    )

    async def to_query(self, info: Info, search: str | None) -> ProcessQuery:
        return ProcessQuery(
            municipalities=await municipality_codes(
                info, _given(self.municipality), "filter.municipality"
            ),
            countries=_given(self.country),
            phases=_given(self.phase),
            statuses=_given(self.status),
            domains=_given(self.domain),
            technologies=await technology_codes(info, _given(self.technology), "filter.technology"),
            it_systems=await it_system_codes(info, _given(self.it_system), "filter.itSystem"),
            vendors=[parse_uuid_id(v, "Vendor", "filter.vendor") for v in _given(self.vendor)],
            kle_prefixes=check_kle_prefixes(_given(self.kle)),
            updated_since=self.updated_since or None,
            has_reuse=None if self.has_reuse is strawberry.UNSET else self.has_reuse,
            umbrellas=[
                parse_uuid_id(u, "Process", "filter.umbrella") for u in _given(self.umbrella)
            ],
            is_umbrella=None if self.is_umbrella is strawberry.UNSET else self.is_umbrella,
            search=search,
        )


@strawberry.input
class ProcessOrder:
    field: ProcessOrderField
    direction: OrderDirection = OrderDirection.DESC
    weights: ScoreWeights | None = strawberry.field(
        default=None, description="For SCORE: the weights of the Trondheim model's dimensions."
    )

    def score_weights(self) -> StoreScoreWeights | None:
        return store_weights(self.weights, "orderBy.weights") if self.weights else None


@strawberry.input
class MunicipalityFilter:
    code: list[str] | None = strawberry.UNSET
    country: list[Country] | None = strawberry.UNSET
    name_contains: str | None = strawberry.UNSET
    uses_technology: list[str] | None = strawberry.UNSET
    uses_it_system: list[str] | None = strawberry.UNSET

    async def to_query(self, info: Info) -> MunicipalityQuery:
        for code in _given(self.code):
            check_municipality_code(code, "filter.code")
        return MunicipalityQuery(
            codes=_given(self.code) or None,
            countries=_given(self.country),
            name_contains=self.name_contains or None,
            uses_technologies=await technology_codes(
                info, _given(self.uses_technology), "filter.usesTechnology"
            ),
            uses_it_systems=await it_system_codes(
                info, _given(self.uses_it_system), "filter.usesItSystem"
            ),
        )


@strawberry.input(description="All fields combine with AND; a list means any of its values.")
class VendorFilter:
    country: list[Country] | None = strawberry.UNSET
    name_contains: str | None = strawberry.UNSET
    agreement: list[strawberry.ID] | None = strawberry.UNSET
    on_active_agreement: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="true: on an agreement in force on activeOn; false: on none in force then.",
    )
    agreement_expiring_within_months: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="On an agreement in force on activeOn whose end date (with the options"
        " exercised so far) falls within this many months of it.",
    )
    active_on: date | None = strawberry.field(
        default=strawberry.UNSET,
        description="The day for onActiveAgreement and agreementExpiringWithinMonths"
        " (default: today).",
    )
    delivered_in_domain: list[Domain] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Delivered a process you may read in any of these domains.",
    )
    serves_municipality: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Delivered a process you may read to, or is on an agreement with, any"
        " of these municipalities.",
    )

    async def to_query(self, info: Info) -> VendorQuery:
        today = self.active_on or date.today()
        months = _given_value(self.agreement_expiring_within_months)
        return VendorQuery(
            countries=_given(self.country),
            name_contains=self.name_contains or None,
            agreements=[
                parse_uuid_id(a, "FrameworkAgreement", "filter.agreement")
                for a in _given(self.agreement)
            ],
            on_active_agreement=None
            if self.on_active_agreement is strawberry.UNSET
            else self.on_active_agreement,
            agreement_expiring_by=None
            if months is None
            else expiry_day(today, months, "filter.agreementExpiringWithinMonths"),
            delivered_in_domains=_given(self.delivered_in_domain),
            serves_municipalities=await municipality_codes(
                info, _given(self.serves_municipality), "filter.servesMunicipality"
            ),
            today=today,
        )


@strawberry.input
class AgreementFilter:
    municipality: list[str] | None = strawberry.UNSET
    vendor: list[strawberry.ID] | None = strawberry.UNSET
    kind: list[AgreementKind] | None = strawberry.UNSET
    active_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="Only agreements in force on this day."
    )
    expiring_within_months: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="In force on activeOn (default today) and ending within this many months.",
    )
    has_options_left: bool | None = strawberry.field(
        default=strawberry.UNSET, description="true: options not yet exercised remain."
    )

    async def to_query(self, info: Info) -> AgreementQuery:
        months = _given_value(self.expiring_within_months)
        return AgreementQuery(
            municipalities=await municipality_codes(
                info, _given(self.municipality), "filter.municipality"
            ),
            vendors=[parse_uuid_id(v, "Vendor", "filter.vendor") for v in _given(self.vendor)],
            kinds=_given(self.kind),
            active_on=self.active_on or None,
            expiring_by=None
            if months is None
            else expiry_day(self.active_on or date.today(), months, "filter.expiringWithinMonths"),
            with_options_left=None
            if self.has_options_left is strawberry.UNSET
            else self.has_options_left,
        )


@strawberry.input
class MeetingFilter:
    municipality: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Hosted or attended by any of these."
    )
    it_system: list[str] | None = strawberry.UNSET
    held_from: date | None = strawberry.UNSET
    held_to: date | None = strawberry.UNSET

    async def to_query(self, info: Info) -> MeetingQuery:
        return MeetingQuery(
            municipalities=await municipality_codes(
                info, _given(self.municipality), "filter.municipality"
            ),
            it_systems=await it_system_codes(info, _given(self.it_system), "filter.itSystem"),
            held_from=self.held_from or None,
            held_to=self.held_to or None,
        )


@strawberry.input(
    description="Which benefit records to sum. Without `kind`, the plain totals count"
    " MEASURED records and `estimated` shows the ESTIMATED ones beside them."
)
class BenefitFilter:
    municipality: list[str] | None = strawberry.UNSET
    country: list[Country] | None = strawberry.UNSET
    domain: list[Domain] | None = strawberry.UNSET
    technology: list[str] | None = strawberry.UNSET
    vendor: list[strawberry.ID] | None = strawberry.UNSET
    process: list[strawberry.ID] | None = strawberry.UNSET
    kind: list[BenefitKind] | None = strawberry.UNSET
    from_: Month | None = strawberry.field(
        default=strawberry.UNSET, name="from", description="First month, inclusive."
    )
    to: Month | None = strawberry.field(
        default=strawberry.UNSET, description="Last month, inclusive."
    )

    async def to_query(self, info: Info) -> BenefitQuery:
        start, end = self.from_ or None, self.to or None
        if start and end and start > end:
            raise BadUserInput("filter.from is after filter.to", argument="filter.from")
        return BenefitQuery(
            municipalities=await municipality_codes(
                info, _given(self.municipality), "filter.municipality"
            ),
            countries=_given(self.country),
            domains=_given(self.domain),
            technologies=await technology_codes(info, _given(self.technology), "filter.technology"),
            vendors=[parse_uuid_id(v, "Vendor", "filter.vendor") for v in _given(self.vendor)],
            processes=[parse_uuid_id(p, "Process", "filter.process") for p in _given(self.process)],
            kinds=_given(self.kind) or None,
            period_from=start,
            period_to=end,
        )


def expiry_day(today: date, months: int, field: str) -> date:
    """The first day an agreement ending within ``months`` of ``today`` is no longer in force."""
    if not 0 < months <= MAX_EXPIRY_MONTHS:
        raise BadUserInput(
            f"{field} must be between 1 and {MAX_EXPIRY_MONTHS}; got {months}", argument=field
        )
    return add_months(today, months) + timedelta(days=1)


def _given_value(value: T | None) -> T | None:
    return None if value is strawberry.UNSET else value


def _given(values: Sequence[T] | None) -> list[T]:
    """UNSET and null both mean "no filter"."""
    if values is None or values is strawberry.UNSET:
        return []
    return list(values)
