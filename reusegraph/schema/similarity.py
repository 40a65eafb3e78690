"""similarProcesses: processes anywhere that solve the same problem, and why."""

import strawberry

from reusegraph.schema.catalog import ItSystem
from reusegraph.schema.context import Info
from reusegraph.schema.core.errors import BadUserInput
from reusegraph.schema.core.ids import parse_uuid_id
from reusegraph.schema.core.pagination import checked_first
from reusegraph.schema.processes import Process
from reusegraph.store import similarity
from reusegraph.store.similarity import Similar


async def it_systems(info: Info, codes: list[str]) -> list[ItSystem]:
    rows = await info.context.loaders.it_system_by_code.load_many(codes)
    return [ItSystem.from_row(row) for row in rows if row is not None]


@strawberry.type(
    description="A process similar to the one asked about. score = 0.4 textSimilarity"
    " + 0.3 titleSimilarity + 0.2 codeSimilarity + 0.1 itSystemSimilarity, 0-1."
)
class SimilarProcess:
    process: Process
    score: float
    text_similarity: float = strawberry.field(
        description="Share of the process's title, summary and search-word terms (Danish and"
        " Norwegian stems, stopwords dropped) found anywhere in this one's text."
    )
    title_similarity: float = strawberry.field(
        description="Trigram similarity of the titles (as pg_trgm's similarity())."
    )
    code_similarity: float = strawberry.field(
        description="Jaccard index of the KLE, FORM, KLA and K-kode codes."
    )
    it_system_similarity: float = strawberry.field(
        description="Jaccard index of the IT systems the two work in."
    )
    matched_terms: list[str] = strawberry.field(
        description="The shared terms, as stems (e.g. 'faktura', 'lægeerklæring')."
    )
    matched_codes: list[str] = strawberry.field(description="Shared codes, e.g. 'KLE 27.24.00'.")
    _matched_it_systems: strawberry.Private[list[str]]

    @strawberry.field(description="The IT systems both work in.")
    async def matched_it_systems(self, info: Info) -> list[ItSystem]:
        return await it_systems(info, self._matched_it_systems)

    @classmethod
    def of(cls, found: Similar) -> "SimilarProcess":
        return cls(
            process=Process.from_row(found.row),
            score=found.score,
            text_similarity=found.text,
            title_similarity=found.title,
            code_similarity=found.codes,
            it_system_similarity=found.it_systems,
            matched_terms=found.matched_terms,
            matched_codes=found.matched_codes,
            _matched_it_systems=found.matched_it_systems,
        )


@strawberry.type
class SimilarityQueries:
    @strawberry.field(
        description="Processes anywhere (any municipality, any phase) that solve the same"
        " problem as process `id`, most similar first: full-text terms, title trigrams,"
        " classification codes and IT systems. Only processes you may read."
    )
    async def similar_processes(
        self, info: Info, id: strawberry.ID, first: int | None = 10
    ) -> list[SimilarProcess]:
        size = checked_first(first)
        process_id = parse_uuid_id(str(id), "Process", "id")
        reader, viewer = info.context.reader, info.context.viewer
        probe = await similarity.probe(reader, viewer, process_id)
        if probe is None:
            raise BadUserInput(f"id: no process {id!r} that you may read", argument="id")
        found = await similarity.similar_to(reader, viewer, probe, first=size)
        return [SimilarProcess.of(item) for item in found]
