"""reuseCandidates: what a municipality could take over from others, ranked and explained."""

import strawberry

from reusegraph.schema.catalog import ItSystem, Technology
from reusegraph.schema.context import Info
from reusegraph.schema.core.errors import BadUserInput
from reusegraph.schema.core.pagination import checked_first
from reusegraph.schema.filters import check_municipality_code
from reusegraph.schema.processes import Contact, Process
from reusegraph.schema.scoring import check_weights
from reusegraph.schema.similarity import it_systems
from reusegraph.store import candidates
from reusegraph.store.candidates import Candidate, CandidateWeights

RULES = (
    "A candidate is another municipality's process you may read, in OPERATION (or"
    " IMPLEMENTATION, flagged), that works only in IT systems and with technologies the"
    " municipality uses (its settings) and lists at least one, and that the municipality has"
    " not already reused (directly or through a process it reused)."
)
SCORE = (
    "score = sum(weight x part) / sum(weights), 0-1. Parts: realisedHours (MEASURED benefit"
    " records, log scale, 10 000 h or more = 1), reuse (distinct other municipalities that"
    " reused it, log scale, 10 or more = 1), systems (its IT systems and technologies over the"
    " municipality's), codes (share of its KLE/FORM/KLA/K-kode codes found on the"
    " municipality's own processes), assessment (its Trondheim score, equal weights)."
)


@strawberry.input(description="Relative weights of the score's parts, each 0-10, not all 0.")
class ReuseCandidateWeights:
    realised_hours: float = 3.0
    reuse: float = 2.0
    systems: float = 2.0
    codes: float = 1.0
    assessment: float = 1.0

    def to_store(self) -> CandidateWeights:
        check_weights(
            {
                "realisedHours": self.realised_hours,
                "reuse": self.reuse,
                "systems": self.systems,
                "codes": self.codes,
                "assessment": self.assessment,
            },
            "weights",
        )
        return CandidateWeights(
            self.realised_hours, self.reuse, self.systems, self.codes, self.assessment
        )


@strawberry.type(description="Each part of a candidate's score, 0-1, before weighting.")
class ReuseCandidateScoreParts:
    realised_hours: float
    reuse: float
    systems: float
    codes: float
    assessment: float


@strawberry.type(description=f"{RULES} {SCORE}")
class ReuseCandidate:
    process: Process
    score: float
    parts: ReuseCandidateScoreParts
    in_implementation: bool = strawberry.field(
        description="true: still in IMPLEMENTATION, not yet proven in operation."
    )
    matched_codes: list[str] = strawberry.field(
        description="Its codes that the municipality's own processes also have."
    )
    reuse_count: int = strawberry.field(
        description="Distinct other municipalities whose processes were built on it."
    )
    realised_hours: float = strawberry.field(
        description="Hours saved in its MEASURED benefit records (not estimates)."
    )
    contact: Contact = strawberry.field(description="The owner's published contact.")
    _it_systems: strawberry.Private[list[str]]
    _technologies: strawberry.Private[list[str]]

    @strawberry.field(description="Its IT systems: all of them are ones the municipality uses.")
    async def matched_it_systems(self, info: Info) -> list[ItSystem]:
        return await it_systems(info, self._it_systems)

    @strawberry.field(description="Its technologies: all of them the municipality uses.")
    async def matched_technologies(self, info: Info) -> list[Technology]:
        rows = await info.context.loaders.technology_by_code.load_many(self._technologies)
        return [Technology.from_row(row) for row in rows if row is not None]

    @classmethod
    def of(cls, found: Candidate) -> "ReuseCandidate":
        process = Process.from_row(found.row)
        return cls(
            process=process,
            score=found.score,
            parts=ReuseCandidateScoreParts(
                realised_hours=found.realised_hours_part,
                reuse=found.reuse_part,
                systems=found.systems_part,
                codes=found.codes_part,
                assessment=found.assessment_part,
            ),
            in_implementation=found.row.phase == "IMPLEMENTATION",
            matched_codes=found.matched_codes,
            reuse_count=found.reuse_count,
            realised_hours=found.realised_hours,
            contact=process.contact,
            _it_systems=found.it_systems,
            _technologies=found.technologies,
        )


@strawberry.type
class CandidateQueries:
    @strawberry.field(description=f"Processes `municipality` could reuse, best first. {RULES}")
    async def reuse_candidates(
        self,
        info: Info,
        municipality: str,
        first: int | None = 20,
        weights: ReuseCandidateWeights | None = None,
    ) -> list[ReuseCandidate]:
        check_municipality_code(municipality, "municipality")
        size = checked_first(first)
        store_weights = (weights or ReuseCandidateWeights()).to_store()
        reader, viewer = info.context.reader, info.context.viewer
        found = await candidates.candidates_for(
            reader, viewer, municipality, store_weights, first=size
        )
        if not found and await info.context.loaders.municipality_by_code.load(municipality) is None:
            raise BadUserInput(
                f"municipality: unknown municipality {municipality!r}; see `municipalities`",
                argument="municipality",
            )
        return [ReuseCandidate.of(item) for item in found]
