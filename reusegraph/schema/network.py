"""The reuse network: reuseLeaderboard, reuseGraph, and reuse given and taken."""

from datetime import date
from typing import Annotated

import strawberry

from reusegraph.schema.context import Info
from reusegraph.schema.core.errors import BadUserInput
from reusegraph.schema.core.pagination import checked_first
from reusegraph.schema.enums import ReuseKind
from reusegraph.schema.filters import municipality_codes
from reusegraph.schema.municipalities import Municipality
from reusegraph.schema.processes import Process
from reusegraph.schema.reuse import ReuseLink
from reusegraph.schema.selection import asked_at
from reusegraph.store import network
from reusegraph.store.network import Direction, Leader, Period, Tally

PERIOD = (
    "A link's date is its reusedOn, or the day it was recorded when the source gives none."
    " Only links between processes you may read count."
)
From = Annotated[date | None, strawberry.argument(name="from", description="First day, inclusive.")]
To = Annotated[date | None, strawberry.argument(description="Last day, inclusive.")]


def period(start: date | None, end: date | None) -> Period:
    if start is not None and end is not None and start > end:
        raise BadUserInput(
            f"from ({start.isoformat()}) is after to ({end.isoformat()})", argument="from"
        )
    return Period(start, end)


async def _municipalities(info: Info, codes: list[str] | tuple[str, ...]) -> list[Municipality]:
    rows = await info.context.loaders.municipality_by_code.load_many(list(codes))
    return [Municipality.from_row(row) for row in rows if row is not None]


@strawberry.type(description=f"How much a municipality's reuse crossed its border. {PERIOD}")
class ReuseTally:
    links: int = strawberry.field(description="Reuse links to or from other municipalities.")
    processes: int = strawberry.field(
        description="Its own processes involved: reused by others (given) or built on"
        " others' work (taken)."
    )
    _codes: strawberry.Private[tuple[str, ...]]

    @strawberry.field(description="The other municipalities, by code.")
    async def municipalities(self, info: Info) -> list[Municipality]:
        return await _municipalities(info, self._codes)

    @classmethod
    def of(cls, tally: Tally) -> "ReuseTally":
        return cls(links=tally.links, processes=tally.processes, _codes=tally.municipalities)


async def reuse_tally(
    info: Info, code: str, direction: str, start: date | None, end: date | None
) -> ReuseTally:
    key = (code, Direction(direction), period(start, end))
    tally = await info.context.loaders.reuse_tally_by_key.load(key)
    return ReuseTally.of(tally or Tally())


@strawberry.type(description="A process and how widely it was reused.")
class ReuseLeaderboardEntry:
    process: Process
    municipality_count: int = strawberry.field(
        description="Distinct other municipalities whose processes were built on it."
    )
    link_count: int = strawberry.field(description="Reuse links from other municipalities.")
    _codes: strawberry.Private[list[str]]

    @strawberry.field(description="The municipalities that reused it.")
    async def reused_by(self, info: Info) -> list[Municipality]:
        return await _municipalities(info, self._codes)

    @classmethod
    def of(cls, leader: Leader) -> "ReuseLeaderboardEntry":
        return cls(
            process=Process.from_row(leader.row),
            municipality_count=leader.municipality_count,
            link_count=leader.link_count,
            _codes=leader.municipalities,
        )


@strawberry.type(description="Reuse from one municipality to another, summed over links.")
class MunicipalityReuseLink:
    """Both ends are loaded with the list (one batch): a resolver per end was most of a
    large graph's time."""

    links: int
    kinds: list[ReuseKind]
    origin: Municipality = strawberry.field(description="Whose processes were reused.")
    derived: Municipality = strawberry.field(description="Who reused them.")


@strawberry.type(description=f"The reuse network as edge lists a portal can draw. {PERIOD}")
class ReuseGraph:
    links: list[ReuseLink] = strawberry.field(
        description="Process-level edges (origin -> derived, with the kind), oldest first."
    )
    truncated: bool = strawberry.field(
        description="true: more links than `first` matched; pass `endCursor` as `after` for"
        " the next ones."
    )
    end_cursor: str | None = strawberry.field(description="The last link's cursor.")
    _page: strawberry.Private[network.GraphPage]
    _period: strawberry.Private[Period]

    @strawberry.field(description="The processes at either end of `links`, each once.")
    def processes(self) -> list[Process]:
        ends = (end for link in self.links for end in (link.origin, link.derived))
        return list({end._id: end for end in ends}.values())

    @strawberry.field(
        description="All matching links (not only the first ones) summed per pair of"
        " municipalities: the network at municipality level."
    )
    async def municipality_links(self, info: Info) -> list[MunicipalityReuseLink]:
        edges = await network.municipality_edges(
            info.context.reader, info.context.viewer, self._page, self._period
        )
        codes = sorted({code for e in edges for code in (e.origin, e.derived)})
        rows = await info.context.loaders.municipality_by_code.load_many(codes)
        found = {
            code: Municipality.from_row(row)
            for code, row in zip(codes, rows, strict=True)
            if row is not None
        }
        return [
            MunicipalityReuseLink(
                links=e.links,
                kinds=[ReuseKind(k) for k in e.kinds],
                origin=found[e.origin],
                derived=found[e.derived],
            )
            for e in edges
        ]


@strawberry.type
class ReuseNetworkQueries:
    @strawberry.field(
        description="The most reused processes: by distinct other municipalities that built"
        f" on them, then by links. {PERIOD}"
    )
    async def reuse_leaderboard(
        self,
        info: Info,
        from_: From = None,
        to: To = None,
        first: int | None = 20,
    ) -> list[ReuseLeaderboardEntry]:
        size = checked_first(first)
        leaders = await network.leaderboard(
            info.context.reader, info.context.viewer, period(from_, to), first=size
        )
        return [ReuseLeaderboardEntry.of(leader) for leader in leaders]

    @strawberry.field(
        description="Reuse links touching any of `municipalities` (all when omitted), as a"
        " graph: process-level edges, `first` at a time (default 50, at most 500; page with"
        " `after`), and municipality-level sums over all of them."
    )
    async def reuse_graph(
        self,
        info: Info,
        municipalities: list[str] | None = None,
        from_: From = None,
        to: To = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ReuseGraph:
        size = checked_first(first)
        codes = await municipality_codes(info, municipalities, "municipalities")
        chosen = period(from_, to)
        reader, viewer = info.context.reader, info.context.viewer
        page = await network.graph_links(reader, viewer, codes, chosen, first=size, after=after)
        ends = asked_at(info, ("links", "origin"), ("links", "derived"), ("processes",))
        links = await ReuseLink.many(info, page.links, refs=ends <= Process.REF_FIELDS)
        owners = {end._municipality_code for link in links for end in (link.origin, link.derived)}
        await info.context.loaders.municipality_by_code.load_many(sorted(owners))  # then at once
        return ReuseGraph(
            links=links,
            truncated=page.more,
            end_cursor=network.graph_cursor(page.links[-1]) if page.links else None,
            _page=page,
            _period=chosen,
        )
