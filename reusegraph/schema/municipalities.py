"""Municipalities: code DK-0746 / NO-5001, with the systems and technologies they use."""

from collections.abc import Awaitable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.engine import Row

from reusegraph.schema.catalog import ItSystem, Technology
from reusegraph.schema.context import Info
from reusegraph.schema.core.ids import global_id
from reusegraph.schema.enums import Country, PopulationBand
from reusegraph.schema.loaders import settled
from reusegraph.schema.node import Node

if TYPE_CHECKING:
    from reusegraph.schema.network import ReuseTally
    from reusegraph.schema.sources import Source


SourceRef = Annotated["Source", strawberry.lazy("reusegraph.schema.sources")]
ReuseTallyRef = Annotated["ReuseTally", strawberry.lazy("reusegraph.schema.network")]
FromDay = Annotated[date | None, strawberry.argument(name="from", description="Inclusive.")]
ToDay = Annotated[date | None, strawberry.argument(description="Inclusive.")]


@strawberry.federation.type(keys=["code"], description="A municipality or region.")
class Municipality(Node):
    code: str = strawberry.field(description="<country>-<national number>, e.g. DK-0746.")
    name: str
    country: Country
    org_number: str | None = strawberry.field(description="CVR (DK) or organisasjonsnummer (NO).")
    region: str | None
    population_band: PopulationBand | None
    fte_hours_per_year: float = strawberry.field(
        description="Hours one full-time employee works per year here; converts hours to FTE."
    )
    currency: str
    note: str | None
    version: int = strawberry.field(description="Increments on every change; send it with updates.")
    _source_code: strawberry.Private[str | None]
    _merged_into_code: strawberry.Private[str | None]

    @strawberry.field
    async def it_systems(self, info: Info) -> list[ItSystem]:
        rows = await info.context.loaders.it_systems_by_municipality.load(self.code)
        return [ItSystem.from_row(row) for row in rows]

    @strawberry.field
    async def technologies(self, info: Info) -> list[Technology]:
        rows = await info.context.loaders.technologies_by_municipality.load(self.code)
        return [Technology.from_row(row) for row in rows]

    @strawberry.field(description="Processes of this municipality that you may read.")
    async def process_count(self, info: Info) -> int:
        return await info.context.loaders.process_count_by_municipality.load(self.code) or 0

    @strawberry.field(description="Its processes reused by other municipalities.")
    async def reuse_given(
        self, info: Info, from_: FromDay = None, to: ToDay = None
    ) -> ReuseTallyRef:
        from reusegraph.schema.network import reuse_tally

        return await reuse_tally(info, self.code, "GIVEN", from_, to)

    @strawberry.field(description="Its processes built on other municipalities' processes.")
    async def reuse_taken(
        self, info: Info, from_: FromDay = None, to: ToDay = None
    ) -> ReuseTallyRef:
        from reusegraph.schema.network import reuse_tally

        return await reuse_tally(info, self.code, "TAKEN", from_, to)

    @strawberry.field(description="The municipality this one merged into, if any.")
    async def merged_into(self, info: Info) -> "Municipality | None":
        if self._merged_into_code is None:
            return None
        return await Municipality.load(info, self._merged_into_code)

    @strawberry.field(
        description="The source its processes come from (its one owning source); null while"
        " none does."
    )
    async def source(self, info: Info) -> SourceRef | None:
        from reusegraph.schema.sources import Source as SourceType

        loaders = info.context.loaders
        code = await loaders.source_code_by_municipality.load(self.code) or self._source_code
        if code is None:
            return None
        row = await loaders.source_by_code.load(code)
        return SourceType.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: Row[Any]) -> "Municipality":
        return cls(
            id=strawberry.ID(global_id("Municipality", row.code)),
            code=row.code,
            name=row.name,
            country=row.country,
            org_number=row.org_number,
            region=row.region,
            population_band=row.population_band,
            fte_hours_per_year=float(row.fte_hours_per_year or Decimal(0)),
            currency=row.currency,
            note=row.note,
            version=row.version,
            _source_code=row.source_code,
            _merged_into_code=row.merged_into_code,
        )

    @classmethod
    async def load(cls, info: Info, code: str) -> "Municipality | None":
        row = await info.context.loaders.municipality_by_code.load(code)
        return cls.from_row(row) if row else None

    @classmethod
    def of(cls, info: Info, code: str) -> "Municipality | Awaitable[Municipality]":
        """A municipality that must exist (a record's owner): at once when this request
        has loaded it, else loaded."""
        built = info.context.loaders.municipality_objects
        if code in built:
            return built[code]
        loaded = settled(info.context.loaders.municipality_by_code, code)
        row = loaded.result() if loaded is not None else None
        if row is None:
            return cls._existing(info, code)
        built[code] = cls.from_row(row)
        return built[code]

    @classmethod
    async def _existing(cls, info: Info, code: str) -> "Municipality":
        found = await cls.load(info, code)
        assert found is not None, f"municipality {code} is referenced but missing"
        return found

    @classmethod
    async def resolve_reference(cls, info: Info, code: str) -> "Municipality | None":
        return await cls.load(info, code)
