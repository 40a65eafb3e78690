"""The Query root. Resolvers stay thin: check arguments, call the store, wrap rows."""

import strawberry

from reusegraph.schema.agreements import FrameworkAgreement
from reusegraph.schema.audit import AuditQueries
from reusegraph.schema.benefit_summary import BenefitGroup, asks_for
from reusegraph.schema.candidates import CandidateQueries
from reusegraph.schema.catalog import ItSystem, Technology
from reusegraph.schema.changes import ChangeQueries
from reusegraph.schema.context import Info
from reusegraph.schema.core.errors import BadUserInput
from reusegraph.schema.core.ids import parse_global_id, parse_uuid_id
from reusegraph.schema.core.pagination import Connection, checked_window, connection
from reusegraph.schema.enums import BenefitDimension, OrderDirection
from reusegraph.schema.filters import (
    AgreementFilter,
    BenefitFilter,
    MeetingFilter,
    MunicipalityFilter,
    ProcessFilter,
    ProcessOrder,
    VendorFilter,
    check_municipality_code,
    check_search,
)
from reusegraph.schema.meetings import NetworkMeeting
from reusegraph.schema.municipalities import Municipality
from reusegraph.schema.network import ReuseNetworkQueries
from reusegraph.schema.node import Node
from reusegraph.schema.processes import Process
from reusegraph.schema.reuse_dividend import ReuseDividendQueries
from reusegraph.schema.shared_problems import SharedProblemQueries
from reusegraph.schema.similarity import SimilarityQueries
from reusegraph.schema.sources import Source
from reusegraph.schema.trusted_documents import TrustedDocumentQueries
from reusegraph.schema.vendors import Vendor
from reusegraph.schema.viewer import Viewer
from reusegraph.schema.webhooks import WebhookQueries
from reusegraph.store import (
    agreements,
    benefit_summary,
    catalog,
    meetings,
    municipalities,
    processes,
    sources,
    vendors,
)
from reusegraph.store.agreements import AgreementQuery
from reusegraph.store.meetings import MeetingQuery
from reusegraph.store.municipalities import MunicipalityQuery
from reusegraph.store.processes import ProcessQuery
from reusegraph.store.vendors import VendorQuery


@strawberry.type
class Query(
    SharedProblemQueries,
    SimilarityQueries,
    CandidateQueries,
    ReuseNetworkQueries,
    ReuseDividendQueries,
    ChangeQueries,
    AuditQueries,
    TrustedDocumentQueries,
    WebhookQueries,
):
    @strawberry.field(description="The caller: identity, municipality and roles of this request.")
    def viewer(self, info: Info) -> Viewer:
        return Viewer.of(info.context.viewer)

    @strawberry.field(description="Any object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, key = parse_global_id(str(id))
        if type_name == "Municipality":
            return await Municipality.load(info, key)
        object_id = parse_uuid_id(str(id), type_name)
        if type_name == "Process":
            return await Process.load(info, object_id)
        if type_name == "Vendor":
            return await Vendor.load(info, object_id)
        if type_name == "FrameworkAgreement":
            return await FrameworkAgreement.load(info, object_id)
        return await NetworkMeeting.load(info, object_id)

    @strawberry.field
    async def municipality(self, info: Info, code: str) -> Municipality | None:
        check_municipality_code(code, "code")
        return await Municipality.load(info, code)

    @strawberry.field
    async def municipalities(
        self,
        info: Info,
        filter: MunicipalityFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Municipality]:
        window = checked_window(first, after, last, before)
        query = await filter.to_query(info) if filter else MunicipalityQuery()
        reader = info.context.reader
        page = await municipalities.list_municipalities(reader, query, **window.arguments())
        return connection(
            page,
            Municipality.from_row,
            lambda: municipalities.count_municipalities(reader, query),
        )

    @strawberry.field(description="A process by id (`Process:<uuid>` or the bare uuid).")
    async def process(self, info: Info, id: strawberry.ID) -> Process | None:
        return await Process.load(info, parse_uuid_id(str(id), "Process"))

    @strawberry.field(
        description="Processes you may read. `search` is full-text (Danish, Norwegian, simple)"
        " over title, summary and description; with it the default order is RELEVANCE."
    )
    async def processes(
        self,
        info: Info,
        filter: ProcessFilter | None = None,
        search: str | None = None,
        order_by: ProcessOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Process]:
        window = checked_window(first, after, last, before)
        text = check_search(search)
        query = await filter.to_query(info, text) if filter else ProcessQuery(search=text)
        field = (
            order_by.field
            if order_by
            else (processes.ProcessOrder.RELEVANCE if text else processes.ProcessOrder.UPDATED_AT)
        )
        if field is processes.ProcessOrder.RELEVANCE and not text:
            raise BadUserInput("orderBy RELEVANCE needs a `search` text", argument="orderBy")
        descending = order_by.direction == OrderDirection.DESC if order_by else True
        reader, viewer = info.context.reader, info.context.viewer
        weights = order_by.score_weights() if order_by else None
        page = await processes.list_processes(
            reader,
            viewer,
            query,
            order=field,
            descending=descending,
            **window.arguments(),
            weights=weights,
        )
        return connection(
            page,
            Process.from_row,
            lambda: processes.count_processes(reader, viewer, query),
        )

    @strawberry.field(
        description="Vendors by name. Filters on delivered processes count only the"
        " processes you may read."
    )
    async def vendors(
        self,
        info: Info,
        filter: VendorFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Vendor]:
        window = checked_window(first, after, last, before)
        query = await filter.to_query(info) if filter else VendorQuery()
        reader, viewer = info.context.reader, info.context.viewer
        page = await vendors.list_vendors(reader, viewer, query, **window.arguments())
        return connection(
            page, Vendor.from_row, lambda: vendors.count_vendors(reader, viewer, query)
        )

    @strawberry.field(description="Framework agreements and contracts, newest first.")
    async def framework_agreements(
        self,
        info: Info,
        filter: AgreementFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[FrameworkAgreement]:
        window = checked_window(first, after, last, before)
        query = await filter.to_query(info) if filter else AgreementQuery()
        reader = info.context.reader
        page = await agreements.list_agreements(reader, query, **window.arguments())
        return connection(
            page,
            FrameworkAgreement.from_row,
            lambda: agreements.count_agreements(reader, query),
        )

    @strawberry.field(description="Network meetings, newest first; undated ones last.")
    async def network_meetings(
        self,
        info: Info,
        filter: MeetingFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[NetworkMeeting]:
        window = checked_window(first, after, last, before)
        query = await filter.to_query(info) if filter else MeetingQuery()
        reader = info.context.reader
        page = await meetings.list_meetings(reader, query, **window.arguments())
        return connection(
            page, NetworkMeeting.from_row, lambda: meetings.count_meetings(reader, query)
        )

    @strawberry.field(
        description="Benefit records summed per group: hours, cases, FTE, money per currency,"
        " realised beside estimated, and a monthly series per group."
    )
    async def benefit_summary(
        self,
        info: Info,
        group_by: list[BenefitDimension],
        filter: BenefitFilter | None = None,
    ) -> list[BenefitGroup]:
        if len(set(group_by)) != len(group_by):
            raise BadUserInput("groupBy names a dimension twice", argument="groupBy")
        query = await (filter or BenefitFilter()).to_query(info)
        series = asks_for(info.selected_fields, "series")
        groups = await benefit_summary.summarize(
            info.context.reader, info.context.viewer, group_by, query, series=series
        )
        start, end = query.period_from, query.period_to
        return [BenefitGroup.from_group(g, start, end, series=series) for g in groups]

    @strawberry.field(description="The IT-system vocabulary (codes for filters).")
    async def it_systems(self, info: Info) -> list[ItSystem]:
        return [ItSystem.from_row(r) for r in await catalog.all_it_systems(info.context.reader)]

    @strawberry.field(description="The technology vocabulary (codes for filters).")
    async def technologies(self, info: Info) -> list[Technology]:
        return [Technology.from_row(r) for r in await catalog.all_technologies(info.context.reader)]

    @strawberry.field(description="Where the data comes from, and how fresh it is.")
    async def sources(self, info: Info) -> list[Source]:
        return [Source.from_row(r) for r in await sources.all_sources(info.context.reader)]
