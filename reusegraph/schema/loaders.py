"""Every edge between objects goes through a DataLoader, built per request.

A loader batches the keys asked for in one tick into one statement, so a nested query
issues the same number of statements for 5 parents as for 500.
"""

import uuid
from asyncio import Future
from collections.abc import Awaitable, Callable, Hashable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Row
from strawberry.dataloader import DataLoader

from reusegraph.auth.principal import Principal
from reusegraph.observability import tracing
from reusegraph.store import (
    agreements,
    benefits,
    catalog,
    meetings,
    municipalities,
    network,
    process_documents,
    processes,
    reuse,
    reuse_dividend,
    scoring,
    shared_problems,
    sources,
    umbrellas,
    vendors,
)
from reusegraph.store.engine import Reader
from reusegraph.store.processes import ProcessQuery

if TYPE_CHECKING:
    from reusegraph.schema.municipalities import Municipality

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one(fetch: Callable[[list[K]], Awaitable[dict[K, V]]]) -> DataLoader[K, V | None]:
    async def load(keys: list[K]) -> list[V | None]:
        found = await fetch(keys)
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def _many(fetch: Callable[[list[K]], Awaitable[dict[K, list[V]]]]) -> DataLoader[K, list[V]]:
    async def load(keys: list[K]) -> list[list[V]]:
        found = await fetch(keys)
        return [found.get(key, []) for key in keys]

    return DataLoader(load_fn=load)


def _traced(name: str, load: Callable[[list[Any]], Awaitable[Any]]) -> Any:
    async def traced(keys: list[Any]) -> Any:
        with tracing.span(f"loader {name}", **{"reusegraph.loader.keys": len(keys)}):
            return await load(keys)

    return traced


def settled(loader: DataLoader[K, V], key: K) -> "Future[V] | None":
    """The loader's answer for ``key`` if this request already has it, else None.

    A resolver that finds it can return synchronously: graphql-core runs an awaitable
    result through a coroutine of its own, which for the thousand ends of a large reuse
    graph cost more than everything else in the request.
    """
    future = loader.cache_map.get(key)
    if future is None or not future.done() or future.cancelled() or future.exception():
        return None
    return future


class Loaders:
    """Named ``<result>_by_<key>``. Loaders of processes apply the viewer's visibility."""

    def __init__(self, reader: Reader, viewer: Principal) -> None:
        def bind(fn: Callable[..., Awaitable[Any]]) -> Callable[[Sequence[Any]], Awaitable[Any]]:
            return lambda keys: fn(reader, keys)

        def bind_viewer(
            fn: Callable[..., Awaitable[Any]],
        ) -> Callable[[Sequence[Any]], Awaitable[Any]]:
            return lambda keys: fn(reader, viewer, keys)

        self.municipality_objects: dict[str, Municipality] = {}
        """Built once per request: the thousand ends of a large graph share a few."""
        self.process_by_id: DataLoader[uuid.UUID, Row[Any] | None] = _one(
            bind_viewer(processes.processes_by_ids)
        )
        self.process_count_by_municipality: DataLoader[str, int | None] = _one(
            bind_viewer(processes.counts_by_municipality)
        )
        self.municipality_by_code: DataLoader[str, Row[Any] | None] = _one(
            bind(municipalities.municipalities_by_code)
        )
        self.it_systems_by_process: DataLoader[uuid.UUID, list[Row[Any]]] = _many(
            bind(catalog.it_systems_by_process)
        )
        self.links_by_process: DataLoader[uuid.UUID, list[Row[Any]]] = _many(
            bind_viewer(process_documents.links_by_process)
        )
        self.attachments_by_process: DataLoader[uuid.UUID, list[Row[Any]]] = _many(
            bind_viewer(process_documents.attachments_by_process)
        )
        self.technologies_by_process: DataLoader[uuid.UUID, list[Row[Any]]] = _many(
            bind(catalog.technologies_by_process)
        )
        self.it_systems_by_municipality: DataLoader[str, list[Row[Any]]] = _many(
            bind(catalog.it_systems_by_municipality)
        )
        self.technologies_by_municipality: DataLoader[str, list[Row[Any]]] = _many(
            bind(catalog.technologies_by_municipality)
        )
        self.it_system_by_code: DataLoader[str, Row[Any] | None] = _one(
            bind(catalog.it_systems_by_code)
        )
        self.technology_by_code: DataLoader[str, Row[Any] | None] = _one(
            bind(catalog.technologies_by_code)
        )
        self.reused_by_by_process: DataLoader[uuid.UUID, list[Row[Any]]] = _many(
            bind_viewer(reuse.links_by_origin)
        )
        self.reused_from_by_process: DataLoader[uuid.UUID, list[Row[Any]]] = _many(
            bind_viewer(reuse.links_by_derived)
        )
        self.pending_reuse_by_process: DataLoader[uuid.UUID, list[Row[Any]]] = _many(
            bind_viewer(reuse.pending_by_derived)
        )
        self.hours_avoided_by_link: DataLoader[uuid.UUID, Decimal | None] = _one(
            bind_viewer(reuse_dividend.hours_avoided_by_link)
        )
        self.lineage_by_process: DataLoader[uuid.UUID, list[Row[Any]]] = _many(
            bind_viewer(reuse.lineage)
        )
        self.umbrellas_by_process: DataLoader[uuid.UUID, list[uuid.UUID]] = _many(
            bind_viewer(umbrellas.umbrellas_by_member)
        )
        self.members_by_umbrella: DataLoader[uuid.UUID, list[uuid.UUID]] = _many(
            bind_viewer(umbrellas.members_by_umbrella)
        )
        self.score_parts_by_process: DataLoader[uuid.UUID, scoring.ScoreParts | None] = _one(
            bind_viewer(scoring.parts_by_process)
        )
        self.reuse_tally_by_key: DataLoader[network.TallyKey, network.Tally | None] = _one(
            bind_viewer(network.tallies)
        )
        self.benefits_by_process: DataLoader[uuid.UUID, list[Row[Any]]] = _many(
            bind(benefits.benefits_by_process)
        )
        self.hours_by_process_and_kind: DataLoader[tuple[uuid.UUID, str], float | None] = _one(
            bind(benefits.hours_by_process)
        )
        self.vendor_by_id: DataLoader[uuid.UUID, Row[Any] | None] = _one(
            bind(vendors.vendors_by_id)
        )
        self.vendors_by_agreement: DataLoader[uuid.UUID, list[Row[Any]]] = _many(
            bind(vendors.vendors_by_agreement)
        )
        self.delivered_ids_by_vendor: DataLoader[
            tuple[uuid.UUID, ProcessQuery, int], list[uuid.UUID]
        ] = _many(bind_viewer(vendors.delivered_process_ids))
        self.delivered_count_by_vendor: DataLoader[tuple[uuid.UUID, ProcessQuery], int | None] = (
            _one(bind_viewer(vendors.delivered_counts))
        )
        self.delivered_hours_by_vendor: DataLoader[vendors.HoursKey, float | None] = _one(
            bind_viewer(vendors.delivered_hours)
        )
        self.municipalities_served_by_vendor: DataLoader[uuid.UUID, list[Row[Any]]] = _many(
            bind_viewer(vendors.municipalities_served)
        )
        self.agreement_by_id: DataLoader[uuid.UUID, Row[Any] | None] = _one(
            bind(agreements.agreements_by_id)
        )
        self.agreements_by_vendor: DataLoader[uuid.UUID, list[Row[Any]]] = _many(
            bind(agreements.agreements_by_vendor)
        )
        self.parties_by_agreement: DataLoader[uuid.UUID, list[str]] = _many(
            bind(agreements.parties_by_agreement)
        )
        self.documents_by_agreement: DataLoader[uuid.UUID, list[Row[Any]]] = _many(
            bind(agreements.documents_by_agreement)
        )
        self.meeting_by_id: DataLoader[uuid.UUID, Row[Any] | None] = _one(
            bind(meetings.meetings_by_id)
        )
        self.participants_by_meeting: DataLoader[uuid.UUID, list[str]] = _many(
            bind(meetings.participants_by_meeting)
        )
        self.it_systems_by_meeting: DataLoader[uuid.UUID, list[str]] = _many(
            bind(meetings.it_systems_by_meeting)
        )
        self.process_ids_by_meeting: DataLoader[uuid.UUID, list[uuid.UUID]] = _many(
            bind(meetings.processes_by_meeting)
        )
        self.presentations_by_meeting: DataLoader[uuid.UUID, list[Row[Any]]] = _many(
            bind(meetings.presentations_by_meeting)
        )
        self.municipality_codes_by_it_system: DataLoader[str, list[str]] = _many(
            bind(shared_problems.municipalities_by_it_system)
        )
        self.source_by_code: DataLoader[str, Row[Any] | None] = _one(bind(sources.sources_by_code))
        self.owners_by_source: DataLoader[str, list[str]] = _many(bind(sources.owners_by_source))
        self.source_code_by_municipality: DataLoader[str, str | None] = _one(
            bind(sources.owning_source_by_municipality)
        )
        if tracing.enabled():
            for name, value in vars(self).items():
                if isinstance(value, DataLoader):
                    value.load_fn = _traced(name, value.load_fn)

    def release(self) -> None:
        """Drops what this request loaded, once it is answered.

        graphql-core's execution context refers to itself (its resolve-info helpers hold
        its bound methods), so it and everything it reaches, these caches included, wait
        for the cycle collector. At 500 reuse links that was 9 000 objects a request and
        a collection of 100-150 ms every tenth request (bench/results, issue 5); emptied
        here, they are freed with the response.
        """
        self.municipality_objects.clear()
        for value in vars(self).values():
            if isinstance(value, DataLoader):
                value.clear_all()
                value.batch = None  # the last batch holds its keys and futures too
