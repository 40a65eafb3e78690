"""Nobody sees what they should not, on any read path: a property over random worlds.

Each example is a random world (2-3 municipalities; processes of random visibility, type,
reporter and co-editors; reuse links, benefit records, meetings) and three callers, one of
them an insider of a municipality that owns processes. Every read path is asked over real
HTTP with real tokens and compared with an oracle that applies the documented rules in
Python. Every answer is also searched as text for the marks of hidden processes (id, and
the tag in their title, notes and links) and of internal fields, so a leak is caught
wherever it surfaces, including paths added later that return processes.

One app serves all examples; each example truncates the world's tables and inserts its
own, because a database per example would be far too slow.
"""

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, cast

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import FromClause, Table, insert, text

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store import models
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.http import serving
from tests.support.issuer import LocalIssuer
from tests.support.postgres import url_of

CODES = ("NO-5001", "NO-0301", "DK-0746")
SUBJECTS = ("alice", "bob", "carol")
ROLES = (None, "reader", "member", "editor", "admin")
INSIDERS = ("member", "editor", "admin")
WORDS = ("Faktura", "Sygedagpenge", "Byggesag")
DOMAINS = ("ECONOMY", "HR", "SOCIAL")
SYSTEMS = ("sofie", "esa")
TECHS = ("rpa", "ocr")
PHASES = ("OPERATION", "IMPLEMENTATION", "IDEA")
VENDORS = (uuid.UUID(int=1), uuid.UUID(int=2))
USES = {"NO-5001": (["sofie", "esa"], ["rpa"]), "NO-0301": (["sofie"], ["rpa", "ocr"])}
INTERNAL = ("internalNotes", "caseReference", "reporter", "owner", "coEditors")


@dataclass(frozen=True)
class Proc:
    id: uuid.UUID
    municipality: str
    word: str
    visibility: str
    type: str
    phase: str
    reporter: str | None
    co_editors: tuple[str, ...]
    domains: tuple[str, ...]
    technologies: tuple[str, ...]
    it_systems: tuple[str, ...]
    vendor: uuid.UUID | None

    @property
    def tag(self) -> str:
        """In the title, notes, links and files: never a substring of the dashed id."""
        return self.id.hex[:12]

    @property
    def gid(self) -> str:
        return f"Process:{self.id}"

    @property
    def secrets(self) -> tuple[str, ...]:
        t = self.tag
        return (f"note-{t}", f"esdh-{t}", f"owner-{t}", f"internal.example/{t}", f"private-{t}")


@dataclass(frozen=True)
class Link:
    origin: Proc
    derived: Proc
    kind: str
    reused_on: date


@dataclass(frozen=True)
class Benefit:
    process: Proc
    period: date
    kind: str
    hours: Decimal


@dataclass(frozen=True)
class Meeting:
    id: uuid.UUID
    participants: tuple[str, ...]
    it_system: str
    discussed: tuple[Proc, ...]
    presented: tuple[Proc, ...]


@dataclass(frozen=True)
class World:
    processes: tuple[Proc, ...]
    links: tuple[Link, ...]
    benefits: tuple[Benefit, ...]
    meetings: tuple[Meeting, ...]


@dataclass(frozen=True)
class Viewer:
    role: str | None
    municipality: str
    subject: str

    def insider_of(self, code: str) -> bool:
        return self.role in INSIDERS and self.municipality == code

    def sees(self, p: Proc) -> bool:
        """The documented rule, written independently of the product's SQL."""
        if p.visibility == "PUBLIC" or p.type == "GLOBAL_PARENT":
            return True
        if not self.insider_of(p.municipality):
            return False
        return p.visibility == "MUNICIPALITY" or self.subject in (p.reporter, *p.co_editors)

    def __str__(self) -> str:
        who = "anonymous" if self.role is None else f"{self.role} {self.subject}"
        return f"{who}@{self.municipality}" if self.role else who


@dataclass(frozen=True)
class Plan:
    """The arguments of this example's queries."""

    filter: tuple[str, Any]
    search: str | None
    order: str
    group_by: tuple[str, ...]
    benefit_filter: tuple[str, Any]
    target: int
    municipality: str
    domain: str


def subsets(values: Iterable[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(st.sampled_from(tuple(values)), unique=True).map(tuple)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    codes = CODES[: draw(st.integers(2, 3))]
    ids = draw(st.lists(st.uuids(version=4), min_size=1, max_size=8, unique=True))
    procs = tuple(
        Proc(
            id=i,
            municipality=draw(st.sampled_from(codes)),
            word=draw(st.sampled_from(WORDS)),
            visibility=draw(st.sampled_from(("PUBLIC", "MUNICIPALITY", "PERSONAL"))),
            type=draw(st.sampled_from(("CHILD", "GLOBAL_PARENT"))),
            phase=draw(st.sampled_from(PHASES)),
            reporter=draw(st.none() | st.sampled_from(SUBJECTS)),
            co_editors=draw(subsets(SUBJECTS)),
            domains=draw(subsets(DOMAINS)),
            technologies=draw(subsets(TECHS)),
            it_systems=draw(subsets(SYSTEMS)),
            vendor=draw(st.sampled_from((None, *VENDORS))),
        )
        for i in ids
    )
    n = len(procs)
    index = st.integers(0, n - 1)
    drawn = draw(st.lists(st.tuples(index, index, st.dates(date(2024, 1, 1), date(2024, 12, 31)))))
    # Origin before derived, so reuse forms a DAG as it does in time; one link per pair.
    ends = {(min(i, j), max(i, j)): day for i, j, day in drawn[:10] if i != j}
    links = tuple(
        Link(procs[i], procs[j], draw(st.sampled_from(("WHOLE_SOLUTION", "INSPIRATION"))), day)
        for (i, j), day in sorted(ends.items())
    )
    keys = draw(
        st.lists(
            st.tuples(index, st.integers(1, 4), st.sampled_from(("MEASURED", "ESTIMATED"))),
            unique=True,
            max_size=12,
        )
    )
    benefits = tuple(
        Benefit(procs[i], date(2025, m, 1), kind, Decimal(draw(st.integers(1, 4000))) / 4)
        for i, m, kind in keys
    )
    meetings = tuple(
        Meeting(
            id=draw(st.uuids(version=4)),
            participants=draw(st.lists(st.sampled_from(codes), unique=True, min_size=1).map(tuple)),
            it_system=draw(st.sampled_from(SYSTEMS)),
            discussed=tuple(procs[i] for i in draw(subsets(range(n)))),
            presented=tuple(procs[i] for i in draw(subsets(range(n)))),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    return World(procs, links, benefits, meetings)


viewers = st.builds(
    Viewer, st.sampled_from(ROLES), st.sampled_from(CODES), st.sampled_from((*SUBJECTS, "dave"))
)


@st.composite
def insiders(draw: st.DrawFn, world: World) -> Viewer:
    """A member of an owning municipality, often a reporter or co-editor of a PERSONAL process."""
    personal = [p for p in world.processes if p.visibility == "PERSONAL"]
    p = draw(st.sampled_from(personal or world.processes))
    subject = draw(st.sampled_from(sorted({p.reporter or "dave", *p.co_editors, "dave"})))
    return Viewer(draw(st.sampled_from(INSIDERS)), p.municipality, subject)


@st.composite
def plans(draw: st.DrawFn, world: World) -> Plan:
    n = len(world.processes)
    filters = st.one_of(
        st.tuples(st.just("municipality"), st.sampled_from(CODES)),
        st.tuples(st.just("country"), st.sampled_from(("NO", "DK"))),
        st.tuples(st.just("phase"), st.sampled_from(PHASES)),
        st.tuples(st.just("domain"), st.sampled_from(DOMAINS)),
        st.tuples(st.just("technology"), st.sampled_from(TECHS)),
        st.tuples(st.just("itSystem"), st.sampled_from(SYSTEMS)),
        st.tuples(st.just("vendor"), st.sampled_from(VENDORS)),
        st.tuples(st.just("hasReuse"), st.booleans()),
    )
    dimensions: tuple[str, ...] = (
        "MUNICIPALITY",
        "COUNTRY",
        "DOMAIN",
        "TECHNOLOGY",
        "VENDOR",
        "YEAR",
        "MONTH",
    )
    dimensions += ("KIND", "PROCESS")
    benefit_filters = st.one_of(
        st.just(("none", None)),
        st.tuples(st.just("municipality"), st.sampled_from(CODES)),
        st.tuples(st.just("process"), st.lists(st.sampled_from(range(n)), unique=True, min_size=1)),
    )
    search = st.none() | st.sampled_from(WORDS) | st.sampled_from([p.tag for p in world.processes])
    return Plan(
        filter=draw(filters),
        search=draw(search),
        order=draw(st.sampled_from(("TITLE", "UPDATED_AT", "SCORE", "EXPECTED_HOURS_PER_YEAR"))),
        group_by=draw(
            st.lists(st.sampled_from(dimensions), min_size=1, max_size=2, unique=True).map(tuple)
        ),
        benefit_filter=draw(benefit_filters),
        target=draw(st.integers(0, n - 1)),
        municipality=draw(st.sampled_from(CODES)),
        domain=draw(st.sampled_from(DOMAINS)),
    )


class View:
    """What the oracle says ``viewer`` may see of ``world``."""

    def __init__(self, world: World, viewer: Viewer) -> None:
        self.world, self.viewer = world, viewer
        self.visible = [p for p in world.processes if viewer.sees(p)]
        self.ids = {p.gid for p in self.visible}
        self.hidden = [p for p in world.processes if p.gid not in self.ids]
        self.links = [x for x in world.links if {x.origin.gid, x.derived.gid} <= self.ids]
        self.benefits = [x for x in world.benefits if x.process.gid in self.ids]
        self.by_gid = {p.gid: p for p in world.processes}

    def hours(self, processes: Iterable[Proc], kind: str = "MEASURED") -> float:
        gids = {p.gid for p in processes}
        return float(
            sum(x.hours for x in self.benefits if x.process.gid in gids and x.kind == kind)
        )

    def closure(self, p: Proc, up: bool) -> set[tuple[str, str]]:
        """Visible links reached from ``p`` towards its origins (up) or descendants."""
        reached, frontier, found = {p.gid}, [p.gid], set()
        while frontier:
            here = frontier.pop()
            for x in self.links:
                near, far = (x.derived, x.origin) if up else (x.origin, x.derived)
                if near.gid == here:
                    found.add((x.origin.gid, x.derived.gid))
                    if far.gid not in reached:
                        reached.add(far.gid)
                        frontier.append(far.gid)
        return found


@dataclass
class Harness:
    db: Database
    issuer: LocalIssuer
    http: httpx.AsyncClient

    async def load(self, world: World) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(text("TRUNCATE process, process_change, network_meeting CASCADE"))
        procs, meetings = world.processes, world.meetings
        await b.insert_rows(
            self.db,
            process=[_process_row(p) for p in procs],
            process_it_system=rows(
                "process_id it_system_code", *[(p.id, s) for p in procs for s in p.it_systems]
            ),
            process_technology=rows(
                "process_id technology_code", *[(p.id, t) for p in procs for t in p.technologies]
            ),
            reuse_link=[
                {
                    **b.reuse(x.derived.id, x.origin.id, x.kind),
                    "reused_on": x.reused_on,
                    "note": f"link-{x.origin.tag}-{x.derived.tag}",
                }
                for x in world.links
            ],
            benefit_record=[
                b.benefit(
                    x.process.id, x.period, float(x.hours), kind=x.kind, note=f"b-{x.process.tag}"
                )
                for x in world.benefits
            ],
        )
        await insert_as_system(
            self.db,
            (
                models.ProcessLink.__table__,
                rows(
                    "process_id url internal",
                    *[
                        (p.id, f"https://{where}.example/{p.tag}", where == "internal")
                        for p in procs
                        for where in ("public", "internal")
                    ],
                ),
            ),
            (
                models.ProcessAttachment.__table__,
                rows(
                    "process_id file_name url shared",
                    *[
                        (
                            p.id,
                            f"{kind}-{p.tag}.pdf",
                            f"https://files.example/{kind}-{p.tag}",
                            kind == "shared",
                        )
                        for p in procs
                        for kind in ("shared", "private")
                    ],
                ),
            ),
            (
                models.NetworkMeeting.__table__,
                rows(
                    "id title topics external_participants",
                    *[(m.id, f"meeting {k}", [], []) for k, m in enumerate(meetings)],
                ),
            ),
            (
                models.meeting_participant,
                rows(
                    "meeting_id municipality_code",
                    *[(m.id, c) for m in meetings for c in m.participants],
                ),
            ),
            (
                models.meeting_it_system,
                rows("meeting_id it_system_code", *[(m.id, m.it_system) for m in meetings]),
            ),
            (
                models.meeting_process,
                rows(
                    "meeting_id process_id", *[(m.id, p.id) for m in meetings for p in m.discussed]
                ),
            ),
            (
                models.MeetingPresentation.__table__,
                rows(
                    "meeting_id title process_id",
                    *[
                        (m.id, f"talk-{k}", p.id)
                        for m in meetings
                        for k, p in enumerate(m.presented)
                    ],
                ),
            ),
        )

    def headers(self, viewer: Viewer) -> dict[str, str]:
        if viewer.role is None:
            return {}
        token = self.issuer.token(
            viewer.subject, municipality=viewer.municipality, roles=[viewer.role]
        )
        return {"Authorization": f"Bearer {token}"}


def _process_row(p: Proc) -> dict[str, Any]:
    t = p.tag
    return b.process(
        p.municipality,
        id=p.id,
        title=f"{p.word} {t}",
        visibility=p.visibility,
        type=p.type,
        phase=p.phase,
        reporter=p.reporter,
        co_editors=list(p.co_editors),
        domains=list(p.domains),
        vendor_id=p.vendor,
        internal_notes=f"note-{t}",
        esdh_reference=f"esdh-{t}",
        owner=f"owner-{t}",
        contact_name=f"contact-{t}",
        runs_per_year=100,
        minutes_per_run=10,
        automation_percentage=80,
    )


def rows(columns: str, *values: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [dict(zip(columns.split(), row, strict=True)) for row in values]


async def insert_as_system(db: Database, *tables: tuple[FromClause, list[dict[str, Any]]]) -> None:
    """As the system, as the demo loader and sync write; ``insert_rows`` lacks these tables."""
    async with db.session(None) as session:
        for table, values in tables:
            if values:
                await session.execute(insert(cast(Table, table)), values)


@pytest.fixture
async def harness(empty_db: Database) -> AsyncIterator[Harness]:
    """Municipalities, vocabularies and vendors stay; processes and meetings change."""
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality(code) for code in CODES],
        it_system=[{"code": code, "name": code.upper()} for code in SYSTEMS],
        technology=[{"code": code, "name": code.upper()} for code in TECHS],
        vendor=[{"id": v, "name": f"Vendor {v.int}", "country": "NO"} for v in VENDORS],
    )
    await insert_as_system(
        empty_db,
        (
            models.municipality_it_system,
            rows(
                "municipality_code it_system_code",
                *[(c, s) for c, (systems, _) in USES.items() for s in systems],
            ),
        ),
        (
            models.municipality_technology,
            rows(
                "municipality_code technology_code",
                *[(c, t) for c, (_, techs) in USES.items() for t in techs],
            ),
        ),
    )
    with LocalIssuer() as issuer:
        trusted = {
            "name": "broker",
            "issuer": issuer.issuer,
            "audience": issuer.audience,
            "municipalities": list(CODES),
            "allowed_roles": ["reader", "member", "editor", "admin"],
        }
        app = create_app(
            # What it asks is as big as it must be; the limits are tested elsewhere.
            Settings(issuers=json.dumps([trusted]), max_cost=0, rate_limit=0),
            url_of(empty_db),
        )
        async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
            yield Harness(empty_db, issuer, http)


FRAGMENT = """
fragment P on Process {
  id title visibility internalNotes caseReference reporter owner coEditors
  contact { name } municipality { code }
}
"""


def walk(value: Any) -> Iterable[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


@dataclass
class Probe:
    """One caller asking one world: every answer passes the leak checks first."""

    harness: Harness
    view: View
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def viewer(self) -> Viewer:
        return self.view.viewer

    async def ask(self, label: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        result = await self.post(label, query, variables)
        assert not result.get("errors"), f"{label} as {self.viewer}: {result['errors']}"
        return result["data"]

    async def post(
        self,
        label: str,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        scan: bool = True,
    ) -> dict[str, Any]:
        """The whole result; errors (which may quote the ids asked for) are not scanned."""
        body = {"query": query + FRAGMENT if "...P" in query else query, "variables": variables}
        response = await self.harness.http.post("/graphql", json=body, headers=self.headers)
        assert response.status_code == 200, f"{label} as {self.viewer}: {response.text}"
        result: dict[str, Any] = response.json()
        if scan:
            self.scan(label, result.get("data"), insider_fields=True)
        return result

    def scan(self, label: str, data: Any, *, insider_fields: bool) -> None:
        where = f"{label} as {self.viewer}"
        dumped = json.dumps(data, ensure_ascii=False)
        for p in self.view.hidden:
            assert str(p.id) not in dumped, f"LEAK: {where} returned hidden {p}"
            assert p.tag not in dumped, f"LEAK: {where} returned hidden {p}"
        for p in self.view.visible:
            if not self.viewer.insider_of(p.municipality):
                for secret in p.secrets:
                    assert secret not in dumped, f"LEAK: {where} returned {secret!r} of {p}"
        for item in walk(data):
            found = self.view.by_gid.get(str(item.get("id")))
            if found is not None:
                self.check_fields(where, found, item, insider_fields)

    def check_fields(self, where: str, p: Proc, item: dict[str, Any], positive: bool) -> None:
        if not self.viewer.insider_of(p.municipality):
            shown = {name: item[name] for name in INTERNAL if item.get(name) not in (None, [])}
            assert not shown, f"LEAK: {where} showed internal {shown} of {p}"
        elif positive and "internalNotes" in item:
            t = p.tag
            assert (item["internalNotes"], item["caseReference"], item["owner"]) == (
                f"note-{t}",
                f"esdh-{t}",
                f"owner-{t}",
            ), where
            assert item["reporter"] == p.reporter, where
            assert sorted(item["coEditors"]) == sorted(p.co_editors), where
        if "contact" in item:
            assert item["contact"]["name"] == f"contact-{p.tag}", f"{where}: published contact"


def gids(items: Iterable[dict[str, Any] | None]) -> set[str]:
    return {item["id"] for item in items if item is not None}


def pairs(links: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(x["origin"]["id"], x["derived"]["id"]) for x in links}


def link_pairs(links: Iterable[Link]) -> set[tuple[str, str]]:
    return {(x.origin.gid, x.derived.gid) for x in links}


def matches(view: View, p: Proc, plan: Plan) -> bool:
    name, value = plan.filter
    chosen = {
        "municipality": p.municipality == value,
        "country": p.municipality[:2] == value,
        "phase": p.phase == value,
        "domain": value in p.domains,
        "technology": value in p.technologies,
        "itSystem": value in p.it_systems,
        "vendor": p.vendor == value,
        "hasReuse": any(p.gid in (x.origin.gid, x.derived.gid) for x in view.links) == value,
    }[name]
    searched = plan.search is None or plan.search in (p.word, p.tag)
    return chosen and searched


def graphql_filter(plan: Plan) -> dict[str, Any]:
    name, value = plan.filter
    if name == "hasReuse":
        return {name: value}
    return {name: [f"Vendor:{value}" if name == "vendor" else value]}


async def check_process_lists(probe: Probe, plan: Plan) -> None:
    view = probe.view
    data = await probe.ask("processes", "{ processes(first: 500) { totalCount nodes { ...P } } }")
    assert gids(data["processes"]["nodes"]) == view.ids, f"processes as {probe.viewer}"
    assert data["processes"]["totalCount"] == len(view.ids)

    page_query = """query ($after: String, $order: ProcessOrder) {
      processes(first: 3, after: $after, orderBy: $order) {
        totalCount pageInfo { hasNextPage endCursor } nodes { ...P } } }"""
    seen: list[str] = []
    after = None
    while True:
        order = {"field": plan.order, "direction": "ASC"}
        page = await probe.ask("processes pages", page_query, {"after": after, "order": order})
        seen += [node["id"] for node in page["processes"]["nodes"]]
        info = page["processes"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert sorted(seen) == sorted(view.ids), f"pages ordered by {plan.order}"

    query = """query ($filter: ProcessFilter, $search: String) {
      processes(filter: $filter, search: $search, first: 500) { totalCount nodes { ...P } } }"""
    variables = {"filter": graphql_filter(plan), "search": plan.search}
    data = await probe.ask(f"processes {variables}", query, variables)
    expected = {p.gid for p in view.visible if matches(view, p, plan)}
    assert gids(data["processes"]["nodes"]) == expected, f"processes {variables}"
    assert data["processes"]["totalCount"] == len(expected)


async def check_lookups(probe: Probe, plan: Plan) -> None:
    view = probe.view
    procs = view.world.processes
    fields = "\n".join(
        f'p{i}: process(id: "{p.gid}") {{ ...P }} n{i}: node(id: "{p.gid}") {{ ...P }}'
        for i, p in enumerate(procs)
    )
    query = f"""query ($reps: [_Any!]!) {{ {fields}
      entities: _entities(representations: $reps) {{ ...P }} }}"""
    reps = [{"__typename": "Process", "id": p.gid} for p in procs]
    data = await probe.ask("process/node/_entities", query, {"reps": reps})
    for i, p in enumerate(procs):
        want = p.gid if p.gid in view.ids else None
        for got in (data[f"p{i}"], data[f"n{i}"], data["entities"][i]):
            assert (got or {}).get("id") == want, f"lookup of {p} as {probe.viewer}"


async def check_municipalities(probe: Probe, plan: Plan) -> None:
    view = probe.view
    tally = "{ links processes municipalities { code } }"
    query = f"""query ($code: String!) {{
      municipalities(first: 50) {{ nodes {{ code processCount
        reuseGiven {tally} reuseTaken {tally} }} }}
      one: municipality(code: $code) {{ code processCount }} }}"""
    data = await probe.ask("municipalities", query, {"code": plan.municipality})
    for m in [*data["municipalities"]["nodes"], data["one"]]:
        code = m["code"]
        assert m["processCount"] == sum(p.municipality == code for p in view.visible), code
        if "reuseGiven" not in m:
            continue
        for name, own, other in (
            ("reuseGiven", "origin", "derived"),
            ("reuseTaken", "derived", "origin"),
        ):
            mine = [
                x
                for x in view.links
                if getattr(x, own).municipality == code != getattr(x, other).municipality
            ]
            assert m[name]["links"] == len(mine), f"{name} of {code} as {probe.viewer}"
            assert m[name]["processes"] == len({getattr(x, own).gid for x in mine})
            partners = {c["code"] for c in m[name]["municipalities"]}
            assert partners == {getattr(x, other).municipality for x in mine}


async def check_nested(probe: Probe, plan: Plan) -> None:
    view = probe.view
    ends = "origin { ...P } derived { ...P }"
    query = f"""{{ processes(first: 500) {{ nodes {{ id
      reusedBy {{ note {ends} }} reusedFrom {{ note {ends} }}
      lineage {{ ancestors {{ {ends} }} descendants {{ {ends} }} }}
      benefits {{ period kind hoursSaved note }} totalHoursSaved
      score {{ total }} }} }} }}"""
    data = await probe.ask("nested edges", query)
    for node in data["processes"]["nodes"]:
        p = view.by_gid[node["id"]]
        where = f"{p} as {probe.viewer}"
        assert pairs(node["reusedBy"]) == link_pairs(x for x in view.links if x.origin == p), where
        assert pairs(node["reusedFrom"]) == link_pairs(x for x in view.links if x.derived == p)
        assert pairs(node["lineage"]["ancestors"]) == view.closure(p, up=True), where
        assert pairs(node["lineage"]["descendants"]) == view.closure(p, up=False), where
        mine = [x for x in view.benefits if x.process == p]
        assert len(node["benefits"]) == len(mine), where
        assert node["totalHoursSaved"] == pytest.approx(view.hours([p]))


def _key_values(dimension: str, x: Benefit) -> list[Any]:
    p = x.process
    values: dict[str, list[Any]] = {
        "MUNICIPALITY": [p.municipality],
        "COUNTRY": [p.municipality[:2]],
        "DOMAIN": list(p.domains),
        "TECHNOLOGY": list(p.technologies) or [None],
        "VENDOR": [f"Vendor:{p.vendor}" if p.vendor else None],
        "YEAR": [x.period.year],
        "MONTH": [x.period.strftime("%Y-%m")],
        "KIND": [x.kind],
        "PROCESS": [p.gid],
    }
    return values[dimension]


KEY_FIELDS = {"MUNICIPALITY": "municipalityCode", "COUNTRY": "country", "DOMAIN": "domain"}
KEY_FIELDS |= {"TECHNOLOGY": "technologyCode", "YEAR": "year", "MONTH": "month", "KIND": "kind"}


def _key_of(dimension: str, key: dict[str, Any]) -> Any:
    if dimension in KEY_FIELDS:
        return key[KEY_FIELDS[dimension]]
    found = key[dimension.lower()]
    return None if found is None else found["id"]


async def check_benefit_summary(probe: Probe, plan: Plan) -> None:
    view = probe.view
    name, value = plan.benefit_filter
    records = view.benefits
    filter_: dict[str, Any] | None = None
    if name == "municipality":
        filter_ = {"municipality": [value]}
        records = [x for x in records if x.process.municipality == value]
    elif name == "process":
        asked = {view.world.processes[i].gid for i in value}
        filter_ = {"process": sorted(asked)}
        records = [x for x in records if x.process.gid in asked]
    totals = "{ hoursSaved recordCount processCount }"
    query = f"""query ($groupBy: [BenefitDimension!]!, $filter: BenefitFilter) {{
      benefitSummary(groupBy: $groupBy, filter: $filter) {{
        key {{ municipalityCode country domain technologyCode year month kind
              vendor {{ id }} process {{ ...P }} }}
        realised {totals} estimated {totals} }} }}"""
    variables = {"groupBy": list(plan.group_by), "filter": filter_}
    data = await probe.ask(f"benefitSummary {variables}", query, variables)
    expected: dict[tuple[Any, ...], dict[str, list[Benefit]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for x in records:
        keys: list[tuple[Any, ...]] = [()]
        for dimension in plan.group_by:
            keys = [(*k, v) for k in keys for v in _key_values(dimension, x)]
        for k in keys:
            expected[k][x.kind].append(x)
    got = {tuple(_key_of(d, g["key"]) for d in plan.group_by): g for g in data["benefitSummary"]}
    where = f"benefitSummary {variables} as {probe.viewer}"
    assert set(got) == set(expected), where
    for k, group in got.items():
        for kind, part in (("MEASURED", "realised"), ("ESTIMATED", "estimated")):
            want = expected[k][kind]
            assert group[part]["hoursSaved"] == pytest.approx(float(sum(x.hours for x in want))), (
                where
            )
            assert group[part]["recordCount"] == len(want), where
            assert group[part]["processCount"] == len({x.process.gid for x in want}), where


async def check_vendors(probe: Probe, plan: Plan) -> None:
    view = probe.view
    query = """query ($domain: Domain!, $code: String!) {
      vendors(first: 50) { nodes { id
        processesDelivered(first: 500) { totalCount realisedHoursSaved nodes { ...P } }
        municipalitiesServed { processCount municipality { code } } } }
      byDomain: vendors(filter: {deliveredInDomain: [$domain]}) { nodes { id } }
      serving: vendors(filter: {servesMunicipality: [$code]}) { nodes { id } } }"""
    variables = {"domain": plan.domain, "code": plan.municipality}
    data = await probe.ask(f"vendors {variables}", query, variables)
    where = f"vendors {variables} as {probe.viewer}"
    for vendor in data["vendors"]["nodes"]:
        delivered = [p for p in view.visible if f"Vendor:{p.vendor}" == vendor["id"]]
        got = vendor["processesDelivered"]
        assert gids(got["nodes"]) == {p.gid for p in delivered}, where
        assert got["totalCount"] == len(delivered), where
        assert got["realisedHoursSaved"] == pytest.approx(view.hours(delivered)), where
        served = {
            s["municipality"]["code"]: s["processCount"] for s in vendor["municipalitiesServed"]
        }
        assert served == Counter(p.municipality for p in delivered), where
    for alias, test in (
        ("byDomain", lambda p: plan.domain in p.domains),
        ("serving", lambda p: p.municipality == plan.municipality),
    ):
        want = {f"Vendor:{p.vendor}" for p in view.visible if p.vendor and test(p)}
        assert gids(data[alias]["nodes"]) == want, f"{alias}: {where}"


async def check_meetings(probe: Probe, plan: Plan) -> None:
    view = probe.view
    query = """{ networkMeetings(first: 50) { nodes { id
        processesDiscussed { ...P } presentations { title process { ...P } } } }
      sharedProblems(filter: {minMunicipalities: 1}) { kind subject processesDiscussed { ...P } } }"""
    data = await probe.ask("meetings", query)
    where = f"meetings as {probe.viewer}"
    meetings = {f"NetworkMeeting:{m.id}": m for m in view.world.meetings}
    for node in data["networkMeetings"]["nodes"]:
        m = meetings[node["id"]]
        assert gids(node["processesDiscussed"]) == {p.gid for p in m.discussed} & view.ids, where
        shown = {t["title"]: (t["process"] or {}).get("id") for t in node["presentations"]}
        assert shown == {
            f"talk-{k}": p.gid if p.gid in view.ids else None for k, p in enumerate(m.presented)
        }, where
    for problem in data["sharedProblems"]:
        if problem["kind"] != "IT_SYSTEM":
            continue
        about = [m for m in view.world.meetings if m.it_system == problem["subject"]]
        want = {p.gid for m in about for p in m.discussed} & view.ids
        assert gids(problem["processesDiscussed"]) == want, where


async def check_discovery(probe: Probe, plan: Plan) -> None:
    """reuseCandidates and similarProcesses: only readable processes, counted as readable."""
    view = probe.view
    target = view.world.processes[plan.target]
    query = """query ($code: String!) { reuseCandidates(municipality: $code, first: 100) {
        process { ...P phase } reuseCount realisedHours contact { name } } }"""
    data = await probe.ask(
        f"reuseCandidates {plan.municipality}", query, {"code": plan.municipality}
    )
    where = f"reuseCandidates {plan.municipality} as {probe.viewer}"
    for candidate in data["reuseCandidates"]:
        p = view.by_gid[candidate["process"]["id"]]
        assert p.municipality != plan.municipality, where
        assert p.phase != "IDEA", where
        reusers = {x.derived.municipality for x in view.links if x.origin == p}
        assert candidate["reuseCount"] == len(reusers - {p.municipality}), where
        assert candidate["realisedHours"] == pytest.approx(view.hours([p])), where

    query = """query ($id: ID!) { similarProcesses(id: $id, first: 50) { process { ...P } } }"""
    result = await probe.post(f"similarProcesses {target}", query, {"id": target.gid})
    where = f"similarProcesses {target} as {probe.viewer}"
    if target.gid in view.ids:
        assert not result.get("errors"), where
        assert target.gid not in gids(s["process"] for s in result["data"]["similarProcesses"])
        return
    # A hidden process answers exactly as one that does not exist.
    absent = f"Process:{uuid.UUID(int=target.id.int ^ 1)}"
    missing = await probe.post("similarProcesses absent", query, {"id": absent})
    assert [e["message"].replace(absent, "?") for e in missing["errors"]] == [
        e["message"].replace(target.gid, "?") for e in result["errors"]
    ], where


async def check_network(probe: Probe, plan: Plan) -> None:
    view = probe.view
    ends = "origin { ...P } derived { ...P }"
    per_pair = "municipalityLinks { links origin { code } derived { code } }"
    query = f"""query ($codes: [String!]) {{
      reuseLeaderboard(first: 100) {{
        process {{ ...P }} municipalityCount linkCount reusedBy {{ code }} }}
      reuseGraph(first: 500) {{ truncated links {{ note {ends} }} processes {{ ...P }} {per_pair} }}
      some: reuseGraph(municipalities: $codes) {{ links {{ {ends} }} {per_pair} }} }}"""
    variables = {"codes": [plan.municipality]}
    data = await probe.ask("reuse network", query, variables)
    where = f"reuse network as {probe.viewer}"
    board = {
        e["process"]["id"]: (
            e["municipalityCount"],
            e["linkCount"],
            {c["code"] for c in e["reusedBy"]},
        )
        for e in data["reuseLeaderboard"]
    }
    crossing = [x for x in view.links if x.origin.municipality != x.derived.municipality]
    want: dict[str, tuple[int, int, set[str]]] = {}
    for p in {x.origin for x in crossing}:
        mine = [x for x in crossing if x.origin == p]
        codes = {x.derived.municipality for x in mine}
        want[p.gid] = (len(codes), len(mine), codes)
    assert board == want, where
    for graph, links in (
        (data["reuseGraph"], view.links),
        (
            data["some"],
            [
                x
                for x in view.links
                if plan.municipality in (x.origin.municipality, x.derived.municipality)
            ],
        ),
    ):
        assert pairs(graph["links"]) == link_pairs(links), where
        summed = Counter(
            {
                (e["origin"]["code"], e["derived"]["code"]): e["links"]
                for e in graph["municipalityLinks"]
            }
        )
        assert summed == Counter((x.origin.municipality, x.derived.municipality) for x in links), (
            where
        )
    ends_seen = {g for x in view.links for g in (x.origin.gid, x.derived.gid)}
    assert gids(data["reuseGraph"]["processes"]) == ends_seen, where


async def check_exports(probe: Probe, plan: Plan) -> None:
    """The files carry the same rows and blanks as the API, links and attachments too."""
    view = probe.view
    for format in ("json", "csv"):
        url = f"/export/processes.{format}"
        response = await probe.harness.http.get(url, headers=probe.headers)
        assert response.status_code == 200, response.text
        probe.scan(f"export.{format}", response.text, insider_fields=False)
        if format == "csv":
            continue
        rows = {f"Process:{row['id']}": row for row in response.json()}
        assert set(rows) == view.ids, f"{url} as {probe.viewer}"
        for gid, row in rows.items():
            probe.check_fields(url, view.by_gid[gid], row, positive=True)
        for p in view.visible:
            if probe.viewer.insider_of(p.municipality):
                assert f"private-{p.tag}" in response.text, f"{url}: own unshared attachment"
                assert f"internal.example/{p.tag}" in response.text, f"{url}: own internal link"


async def check_change_feed(probe: Probe, plan: Plan) -> None:
    """The source contract mirrors what the caller may read, internal fields as in the API.

    Tombstones are left to ``test_the_change_feed_names_no_process_the_caller_never_could_read``.
    """
    view = probe.view
    query = """{ changes(first: 1000) {
      upserts { id municipality title contactName internalNotes esdhReference reporter owner
        coEditors links { url internal } reusedFrom { originId } benefits { note } }
      tombstones { id } } }"""
    result = await probe.post("changes", query, scan=False)
    assert not result.get("errors"), result["errors"]
    feed = result["data"]["changes"]
    probe.scan("changes.upserts", feed["upserts"], insider_fields=False)
    by_id = {str(p.id): p for p in view.world.processes}
    assert {f"Process:{u['id']}" for u in feed["upserts"]} == view.ids, f"changes as {probe.viewer}"
    assert {t["id"] for t in feed["tombstones"]} <= {str(p.id) for p in view.hidden}
    for upsert in feed["upserts"]:
        p = by_id[upsert["id"]]
        internal = [upsert[name] for name in ("internalNotes", "esdhReference", "owner")]
        if probe.viewer.insider_of(p.municipality):
            assert internal == [f"note-{p.tag}", f"esdh-{p.tag}", f"owner-{p.tag}"], p
            assert upsert["reporter"] == p.reporter
        else:
            assert internal == [None, None, None], f"LEAK: changes as {probe.viewer}: {upsert}"
            assert upsert["reporter"] is None, f"LEAK: changes as {probe.viewer}: {upsert}"
            assert not upsert["coEditors"], f"LEAK: changes as {probe.viewer}: {upsert}"
            assert not any(link["internal"] for link in upsert["links"]), upsert


CHECKS = (
    check_process_lists,
    check_lookups,
    check_municipalities,
    check_nested,
    check_benefit_summary,
    check_vendors,
    check_meetings,
    check_discovery,
    check_network,
    check_exports,
    check_change_feed,
)


# Shrinking a failure over HTTP can take minutes; the failing draws are printed whole.
@settings(
    max_examples=30,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
async def test_no_read_path_shows_what_its_caller_may_not_see(
    harness: Harness, data: st.DataObject
) -> None:
    world = data.draw(worlds(), label="world")
    callers = [data.draw(viewers), data.draw(viewers), data.draw(insiders(world))]
    plan = data.draw(plans(world), label="plan")
    await harness.load(world)
    for viewer in callers:
        probe = Probe(harness, View(world, viewer), harness.headers(viewer))
        for check in CHECKS:
            await check(probe, plan)


async def test_the_change_feed_names_no_process_the_caller_never_could_read(
    harness: Harness,
) -> None:
    """A mirror needs a tombstone for what it held; a caller that never could read a
    process must not learn its id, owner and last change from the feed."""
    public = Proc(
        uuid.uuid4(),
        CODES[0],
        "Faktura",
        "PUBLIC",
        "CHILD",
        "OPERATION",
        "alice",
        (),
        (),
        (),
        (),
        None,
    )
    personal = replace(public, id=uuid.uuid4(), visibility="PERSONAL")
    municipal = replace(public, id=uuid.uuid4(), visibility="MUNICIPALITY")
    await harness.load(World((public, personal, municipal), (), (), ()))
    query = "{ changes { upserts { id } tombstones { id municipality deletedAt } } }"
    for viewer in (Viewer(None, CODES[0], "bob"), Viewer("member", CODES[1], "alice")):
        body = {"query": query}
        response = await harness.http.post("/graphql", json=body, headers=harness.headers(viewer))
        feed = response.json()["data"]["changes"]
        assert [u["id"] for u in feed["upserts"]] == [str(public.id)]
        assert feed["tombstones"] == [], f"LEAK: changes as {viewer}"
