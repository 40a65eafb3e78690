"""The reuse dividend: development hours avoided by reuse, per link and per year.

The rule lives in ``store/reuse_dividend.py``: origin's developmentHours minus the
reuser's, unknown when either is unknown, never 0 for unknown.
"""

from decimal import Decimal

import strawberry

from reusegraph.schema.context import Info
from reusegraph.schema.filters import municipality_codes
from reusegraph.schema.municipalities import Municipality
from reusegraph.schema.network import PERIOD, From, To, period
from reusegraph.store import reuse_dividend
from reusegraph.store.reuse_dividend import YearDividend

RULE = (
    "The origin's developmentHours minus the reusing process's: the development time"
    " reuse saved. Null when either is unknown (never 0 for unknown); negative when the"
    " reuse took longer than the original."
)


def hours(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@strawberry.type(
    description="What one municipality's reuse of other municipalities' work saved in"
    f" development hours in one year. {RULE} {PERIOD}"
)
class ReuseDividendYear:
    municipality_code: str = strawberry.field(description="The reusing municipality.")
    year: int
    links: int = strawberry.field(
        description="Its reuse links with another municipality's process as origin."
    )
    links_with_hours: int = strawberry.field(
        description="Those whose both development hours are known: the ones summed."
    )
    development_hours_avoided: float | None = strawberry.field(
        description="Sum over linksWithHours; null when no link has both hours."
    )
    origin_development_hours: float | None = strawberry.field(
        description="What the origins took to build, over linksWithHours."
    )
    reuser_development_hours: float | None = strawberry.field(
        description="What the reusing processes took, over linksWithHours."
    )

    @strawberry.field(description="The reusing municipality.")
    async def municipality(self, info: Info) -> Municipality | None:
        return await Municipality.load(info, self.municipality_code)

    @classmethod
    def of(cls, row: YearDividend) -> "ReuseDividendYear":
        return cls(
            municipality_code=row.municipality_code,
            year=row.year,
            links=row.links,
            links_with_hours=row.links_with_hours,
            development_hours_avoided=hours(row.hours_avoided),
            origin_development_hours=hours(row.origin_hours),
            reuser_development_hours=hours(row.reuser_hours),
        )


@strawberry.type
class ReuseDividendQueries:
    @strawberry.field(
        description="Development hours avoided by reuse, per reusing municipality and year"
        f" (of `municipalities`, else every one with reuse). {RULE}"
    )
    async def reuse_dividend(
        self,
        info: Info,
        municipalities: list[str] | None = None,
        from_: From = None,
        to: To = None,
    ) -> list[ReuseDividendYear]:
        window = period(from_, to)
        codes = await municipality_codes(info, municipalities, "municipalities") or []
        rows = await reuse_dividend.dividend_per_year(
            info.context.reader, info.context.viewer, codes, window
        )
        return [ReuseDividendYear.of(row) for row in rows]
