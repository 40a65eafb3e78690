"""The Process type: an automation process with its estimates, lineage and benefits."""

import uuid
from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry
from sqlalchemy.engine import Row

from reusegraph.schema.catalog import ItSystem, Technology
from reusegraph.schema.context import Info
from reusegraph.schema.core.ids import global_id
from reusegraph.schema.core.scalars import Month
from reusegraph.schema.enums import (
    BenefitKind,
    Level,
)
from reusegraph.schema.municipalities import Municipality
from reusegraph.schema.node import Node
from reusegraph.schema.process_columns import ProcessColumns, column_values
from reusegraph.schema.process_documents import ProcessAttachment, ProcessLink
from reusegraph.schema.provenance import note_source
from reusegraph.schema.scoring import MODEL, ProcessScore, ScoreWeights, store_weights
from reusegraph.store import processes as store_processes
from reusegraph.store.enums import ASSESSMENT_FIELDS
from reusegraph.store.enums import BenefitKind as StoreBenefitKind
from reusegraph.store.processes import expected_hours_per_year

if TYPE_CHECKING:
    from reusegraph.schema.agreements import FrameworkAgreement
    from reusegraph.schema.benefits import BenefitRecord, BenefitSeries
    from reusegraph.schema.reuse import Lineage, PendingReuse, ReuseLink
    from reusegraph.schema.sources import Source
    from reusegraph.schema.vendors import Vendor


VendorRef = Annotated["Vendor", strawberry.lazy("reusegraph.schema.vendors")]
FrameworkAgreementRef = Annotated[
    "FrameworkAgreement", strawberry.lazy("reusegraph.schema.agreements")
]
SourceRef = Annotated["Source", strawberry.lazy("reusegraph.schema.sources")]
ReuseLinkRef = Annotated["ReuseLink", strawberry.lazy("reusegraph.schema.reuse")]
LineageRef = Annotated["Lineage", strawberry.lazy("reusegraph.schema.reuse")]
PendingReuseRef = Annotated["PendingReuse", strawberry.lazy("reusegraph.schema.reuse")]
BenefitRecordRef = Annotated["BenefitRecord", strawberry.lazy("reusegraph.schema.benefits")]
BenefitSeriesRef = Annotated["BenefitSeries", strawberry.lazy("reusegraph.schema.benefits")]


@strawberry.type(description="OS2autoproces's professional assessment of the process.")
class Assessment:
    level_of_professional_assessment: Level
    level_of_change: Level
    level_of_structured_information: Level
    level_of_uniformity: Level
    level_of_digital_information: Level
    level_of_quality: Level
    level_of_speed: Level
    level_of_routine_work_reduction: Level
    evaluated_level_of_roi: Level
    rating: int | None = strawberry.field(
        description="0-3: how far the solution delivered the expected gains."
    )


@strawberry.type(description="The published contact, visible to everyone who can read the process.")
class Contact:
    name: str | None
    email: str | None
    other_contact_email: str | None


@strawberry.federation.type(keys=["id"], description="An automation process of one municipality.")
class Process(ProcessColumns, Node):  # type: ignore[misc]
    """Its columns as they are come from ``store.process_fields`` (``ProcessColumns``)."""

    assessment: Assessment
    contact: Contact
    expected_hours_per_year: float | None = strawberry.field(
        description="runsPerYear x minutesPerRun x automationPercentage / 60 / 100 (an estimate)."
    )
    _id: strawberry.Private[uuid.UUID]
    _municipality_code: strawberry.Private[str]
    _vendor_id: strawberry.Private[uuid.UUID | None]
    _agreement_id: strawberry.Private[uuid.UUID | None]
    _source_code: strawberry.Private[str | None]

    @strawberry.field(graphql_type=Municipality)
    def municipality(self, info: Info) -> Municipality | Awaitable[Municipality]:
        return Municipality.of(info, self._municipality_code)

    @strawberry.field(description="Systems the manual process works in.")
    async def it_systems(self, info: Info) -> list[ItSystem]:
        rows = await info.context.loaders.it_systems_by_process.load(self._id)
        return [ItSystem.from_row(row) for row in rows]

    @strawberry.field
    async def technologies(self, info: Info) -> list[Technology]:
        rows = await info.context.loaders.technologies_by_process.load(self._id)
        return [Technology.from_row(row) for row in rows]

    @strawberry.field(description="Links; internal ones only for the owning municipality.")
    async def links(self, info: Info) -> list[ProcessLink]:
        rows = await info.context.loaders.links_by_process.load(self._id)
        return [ProcessLink.from_row(row) for row in rows]

    @strawberry.field(description="Attachments; unshared ones only for the owning municipality.")
    async def attachments(self, info: Info) -> list[ProcessAttachment]:
        rows = await info.context.loaders.attachments_by_process.load(self._id)
        return [ProcessAttachment.from_row(row) for row in rows]

    @strawberry.field
    async def vendor(self, info: Info) -> VendorRef | None:
        from reusegraph.schema.vendors import Vendor

        return await Vendor.load(info, self._vendor_id) if self._vendor_id else None

    @strawberry.field(description="The agreement the work was bought under.")
    async def agreement(self, info: Info) -> FrameworkAgreementRef | None:
        from reusegraph.schema.agreements import FrameworkAgreement

        if self._agreement_id is None:
            return None
        return await FrameworkAgreement.load(info, self._agreement_id)

    @strawberry.field
    async def source(self, info: Info) -> SourceRef | None:
        from reusegraph.schema.sources import Source

        if self._source_code is None:
            return None
        row = await info.context.loaders.source_by_code.load(self._source_code)
        return Source.from_row(row) if row else None

    @strawberry.field(description="Processes this one was derived from (its origins).")
    async def reused_from(self, info: Info) -> list[ReuseLinkRef]:
        from reusegraph.schema.reuse import ReuseLink

        rows = await info.context.loaders.reused_from_by_process.load(self._id)
        return await ReuseLink.many(info, rows)

    @strawberry.field(
        description="Reuse links this process's source names whose origin has not arrived "
        "here yet (another source's, or a later sync's); empty once all are linked."
    )
    async def pending_reuse(self, info: Info) -> list[PendingReuseRef]:
        from reusegraph.schema.reuse import PendingReuse

        rows = await info.context.loaders.pending_reuse_by_process.load(self._id)
        return [PendingReuse.from_row(row) for row in rows]

    @strawberry.field(description="Processes derived from this one, in any municipality.")
    async def reused_by(self, info: Info) -> list[ReuseLinkRef]:
        from reusegraph.schema.reuse import ReuseLink

        rows = await info.context.loaders.reused_by_by_process.load(self._id)
        return await ReuseLink.many(info, rows)

    @strawberry.field(description="The whole ancestry and all descendants, any depth.")
    async def lineage(self, info: Info) -> LineageRef:
        from reusegraph.schema.reuse import Lineage

        rows = await info.context.loaders.lineage_by_process.load(self._id)
        return await Lineage.of(info, rows)

    @strawberry.field(
        description="The umbrella it belongs to: its municipality's own (PARENT) before a"
        " shared one (GLOBAL_PARENT); null when it is under none you may read."
    )
    async def umbrella(self, info: Info) -> "Process | None":
        ids = await info.context.loaders.umbrellas_by_process.load(self._id)
        return await Process.load(info, ids[0]) if ids else None

    @strawberry.field(description="Every umbrella it belongs to that you may read, own first.")
    async def umbrellas(self, info: Info) -> list["Process"]:
        ids = await info.context.loaders.umbrellas_by_process.load(self._id)
        found = await Process.load_many(info, ids)
        return [found[i] for i in ids if i in found]

    @strawberry.field(
        description="An umbrella's member processes that you may read, by title (empty for a"
        " process that is no umbrella)."
    )
    async def members(self, info: Info) -> list["Process"]:
        ids = await info.context.loaders.members_by_umbrella.load(self._id)
        found = await Process.load_many(info, ids)
        return [found[i] for i in ids if i in found]

    @strawberry.field(description="Monthly benefit records, oldest first.")
    async def benefits(
        self,
        info: Info,
        kind: BenefitKind | None = None,
        from_: Annotated[Month | None, strawberry.argument(name="from")] = None,
        to: Month | None = None,
    ) -> list[BenefitRecordRef]:
        from reusegraph.schema.benefits import BenefitRecord, within

        rows = await info.context.loaders.benefits_by_process.load(self._id)
        return [BenefitRecord.from_row(r) for r in within(rows, kind, from_, to)]

    @strawberry.field(description="The same records as parallel lists: compact for charts.")
    async def benefit_series(
        self, info: Info, kind: BenefitKind = StoreBenefitKind.MEASURED
    ) -> BenefitSeriesRef:
        from reusegraph.schema.benefits import BenefitSeries, within

        rows = await info.context.loaders.benefits_by_process.load(self._id)
        return BenefitSeries.from_rows(within(rows, kind, None, None))

    @strawberry.field(description="Sum of hoursSaved over all benefit records of this kind.")
    async def total_hours_saved(
        self, info: Info, kind: BenefitKind = StoreBenefitKind.MEASURED
    ) -> float:
        total = await info.context.loaders.hours_by_process_and_kind.load((self._id, kind.value))
        return total or 0.0

    @strawberry.field(description=MODEL)
    async def score(self, info: Info, weights: ScoreWeights | None = None) -> ProcessScore:
        chosen = store_weights(weights, "weights")
        parts = await info.context.loaders.score_parts_by_process.load(self._id)
        assert parts is not None, "score of a process the viewer cannot read"
        return ProcessScore.of(parts, chosen)

    @classmethod
    def from_row(cls, row: Row[Any]) -> "Process":
        r = row._mapping
        note_source(r["source_code"])
        return cls(
            id=strawberry.ID(global_id("Process", r["id"])),
            **column_values(r),
            assessment=Assessment(
                **{name: r[name] for name in ASSESSMENT_FIELDS}, rating=r["rating"]
            ),
            contact=Contact(
                name=r["contact_name"],
                email=r["contact_email"],
                other_contact_email=r["other_contact_email"],
            ),
            expected_hours_per_year=expected_hours_per_year(
                r["runs_per_year"], r["minutes_per_run"], r["automation_percentage"]
            ),
            _id=r["id"],
            _municipality_code=r["municipality_code"],
            _vendor_id=r["vendor_id"],
            _agreement_id=r["agreement_id"],
            _source_code=r["source_code"],
        )

    REF_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"id", "title", "phase", "municipality", "source", "__typename"}
    )
    """What ``ref`` answers."""

    @classmethod
    def ref(cls, row: Row[Any]) -> "Process":
        """A process that can answer only ``REF_FIELDS``, from ``process_refs_by_ids``.

        For selections that ask no more (``schema.selection``): a reuse graph's thousand
        ends read five columns instead of sixty-five and are built in a tenth of the time.
        """
        note_source(row.source_code)
        ref = cls.__new__(cls)
        ref.id = strawberry.ID(global_id("Process", row.id))
        ref.title = row.title
        ref.phase = row.phase
        ref._id = row.id
        ref._municipality_code = row.municipality_code
        ref._source_code = row.source_code
        ref._vendor_id = ref._agreement_id = None
        return ref

    @classmethod
    async def load_refs(cls, info: Info, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, "Process"]:
        """``load_many`` for selections within ``REF_FIELDS``, in one statement without a
        loader: its future per key cost more than the statement for a large graph."""
        context = info.context
        rows = await store_processes.process_refs_by_ids(
            context.reader, context.viewer, list(dict.fromkeys(ids))
        )
        return {i: cls.ref(row) for i, row in rows.items()}

    @classmethod
    async def load(cls, info: Info, process_id: uuid.UUID) -> "Process | None":
        row = await info.context.loaders.process_by_id.load(process_id)
        return cls.from_row(row) if row else None

    @classmethod
    async def load_many(cls, info: Info, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, "Process"]:
        """Each readable process once, by id, in one batch."""
        unique = list(dict.fromkeys(ids))
        rows = await info.context.loaders.process_by_id.load_many(unique)
        return {i: cls.from_row(row) for i, row in zip(unique, rows, strict=True) if row}

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Process | None":
        from reusegraph.schema.core.ids import parse_uuid_id

        return await cls.load(info, parse_uuid_id(str(id), "Process"))
