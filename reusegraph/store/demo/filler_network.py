"""The filler's network: reuse chains between fictional municipalities, and their meetings.

Built after all processes exist. Every link points from a newer process to an older one
(ordered by ``created_at``, then id), so the reuse graph is acyclic, as lineage queries
assume, and chains read in the order the reuse happened.
"""

import itertools
import random
import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from reusegraph.store.demo import filler_templates as tpl
from reusegraph.store.demo.facts import demo_id
from reusegraph.store.demo.filler_org import Muni, pick
from reusegraph.store.demo.rows import TABLES, DemoRows, Row, complete
from reusegraph.store.enums import Phase, ReuseKind

KINDS = [
    (ReuseKind.BUILDING_BLOCKS, 40),
    (ReuseKind.WHOLE_SOLUTION, 25),
    (ReuseKind.INSPIRATION, 20),
    (ReuseKind.ANALYSIS, 15),
]
# Danish and Norwegian templates for the same work: cross-border inspiration.
CROSS = [
    ("sygedagpenge-refusion", "sykepengerefusjon"),
    ("brugeroprettelse", "brukeropprettelse"),
    ("leverandoerfakturaer", "fakturamottak"),
    ("loenkontrol", "lonnskontroll"),
    ("journalisering", "arkivering"),
]
PROCESSES_PER_CHAIN = 24  # one chain per this many processes: ~100 links for the demo
MEETINGS_PER_COUNTRY = 5


class Proc(NamedTuple):
    id: uuid.UUID
    code: str
    country: str
    key: str
    title: str
    created_at: datetime
    phase: str


def link(
    rng: random.Random,
    derived: Proc,
    origin: uuid.UUID,
    origin_name: str,
    kind: ReuseKind | None = None,
) -> Row:
    kind = kind or pick(rng, KINDS)
    verb = "Genbrug fra" if derived.country == "DK" else "Gjenbruk fra"
    return complete(
        TABLES["reuse_links"],
        {
            "id": demo_id("filler-reuse", f"{derived.id}->{origin}"),
            "derived_id": derived.id,
            "origin_id": origin,
            "kind": kind.value,
            "note": f"{verb} {origin_name} ({kind.value.lower().replace('_', ' ')}). Fiktiv.",
            "reused_on": derived.created_at.date(),
            "created_at": derived.created_at,
        },
    )


def _order(p: Proc) -> tuple[datetime, str]:
    return p.created_at, str(p.id)


def build_network(seed: int, munis: list[Muni], procs: list[Proc]) -> DemoRows:
    rng = random.Random(f"{seed}:network")
    names = {m.code: m.name for m in munis}
    rows = DemoRows()
    seen: set[tuple[uuid.UUID, uuid.UUID]] = set()

    def add(derived: Proc, origin: Proc, kind: ReuseKind | None = None) -> None:
        if (derived.id, origin.id) not in seen:
            seen.add((derived.id, origin.id))
            rows.reuse_links.append(link(rng, derived, origin.id, names[origin.code], kind))

    groups: dict[tuple[str, str], list[Proc]] = defaultdict(list)
    for p in procs:
        if p.key != tpl.LAEGEERKLAERINGER:
            groups[(p.country, p.key)].append(p)
    eligible = sorted(k for k, g in groups.items() if len({p.code for p in g}) >= 3)
    chains = len(procs) // PROCESSES_PER_CHAIN
    for _ in range(chains if eligible else 0):
        group = groups[rng.choice(eligible)]
        length = rng.randint(3, 5)
        members: dict[str, Proc] = {}
        for p in rng.sample(group, min(len(group), 4 * length)):
            members.setdefault(p.code, p)
        chain = sorted(list(members.values())[:length], key=_order)
        for origin, derived in itertools.pairwise(chain):
            add(derived, origin)
    for _ in range(chains // 5):
        dk, no = rng.choice(CROSS)
        a, b = groups.get(("DK", dk)), groups.get(("NO", no))
        if a and b:
            origin, derived = sorted([rng.choice(a), rng.choice(b)], key=_order)
            add(derived, origin, ReuseKind.INSPIRATION)
    _meetings(seed, rng, rows, munis, procs)
    return rows


def _meetings(
    seed: int, rng: random.Random, rows: DemoRows, munis: list[Muni], procs: list[Proc]
) -> None:
    by_code: Mapping[str, list[Proc]] = defaultdict(list)
    for p in procs:
        if p.phase == Phase.OPERATION.value:
            by_code[p.code].append(p)
    latest = max((p.created_at for p in procs), default=None)
    if latest is None:
        return
    for country in ("DK", "NO"):
        codes = [m.code for m in munis if m.country == country]
        for i in range(MEETINGS_PER_COUNTRY):
            mid = demo_id("filler-meeting", f"{seed}:{country}:{i}")
            participants = rng.sample(codes, min(len(codes), rng.randint(3, 6)))
            host = participants[0]
            rows.meetings.append(
                complete(
                    TABLES["meetings"],
                    {
                        "id": mid,
                        "title": tpl.MEETING_TITLES[country][i % len(tpl.MEETING_TITLES[country])],
                        "held_on": (latest - timedelta(days=rng.randint(0, 700))).date(),
                        "host_code": host,
                        "topics": rng.sample(tpl.MEETING_TOPICS[country], rng.randint(2, 3)),
                        "external_participants": [],
                        "outcome": rng.choice(tpl.MEETING_OUTCOMES[country]),
                    },
                )
            )
            rows.meeting_participants += [
                {"meeting_id": mid, "municipality_code": c} for c in participants
            ]
            presenters = [c for c in participants[:2] if by_code.get(c)]
            for n, code in enumerate(presenters):
                presented = rng.choice(by_code[code])
                rows.meeting_presentations.append(
                    complete(
                        TABLES["meeting_presentations"],
                        {
                            "id": demo_id("filler-presentation", f"{mid}/{n}"),
                            "meeting_id": mid,
                            "presenter_code": code,
                            "title": presented.title,
                            "process_id": presented.id,
                        },
                    )
                )
                rows.meeting_processes.append({"meeting_id": mid, "process_id": presented.id})
            system = rng.choice(tpl.MUNICIPALITY_SYSTEMS[country])
            rows.meeting_it_systems.append({"meeting_id": mid, "it_system_code": system})
