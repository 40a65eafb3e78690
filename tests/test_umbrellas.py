"""Umbrellas in the API: a process's ``umbrella``/``umbrellas``, an umbrella's ``members``.

Trondheim has an own umbrella (PARENT) over two of its processes, one of them PERSONAL;
a shared umbrella (GLOBAL_PARENT, readable by everyone) groups processes of Trondheim and
Oslo. Each caller reads the members they may read, and nothing else.
"""

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from reusegraph.auth.principal import ANONYMOUS
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.viewers import member, run_as

A, B = "NO-5001", "NO-0301"


@dataclass
class Registry:
    db: Database
    ids: dict[str, uuid.UUID]

    def gid(self, name: str) -> str:
        return f"Process:{self.ids[name]}"


@pytest.fixture
async def registry(empty_db: Database) -> Registry:
    rows = {
        "own": b.process(A, title="Fakturaflyt (paraply)", type="PARENT", phase="IDEA"),
        "shared": b.process(
            A, title="Fælles: sygefravær", type="GLOBAL_PARENT", visibility="MUNICIPALITY"
        ),
        "invoices": b.process(A, title="Fakturaer"),
        "draft": b.process(A, title="Kladde", visibility="PERSONAL", reporter="kari"),
        "oslo": b.process(B, title="Sykefravær Oslo"),
        "alone": b.process(B, title="Alene"),
    }
    pairs = [("own", "invoices"), ("own", "draft"), ("shared", "invoices"), ("shared", "oslo")]
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality(A), b.municipality(B)],
        process=list(rows.values()),
        process_umbrella=[
            {"umbrella_id": rows[u]["id"], "child_id": rows[c]["id"]} for u, c in pairs
        ],
    )
    return Registry(empty_db, {name: row["id"] for name, row in rows.items()})


TREE = """query ($id: ID!) { process(id: $id) {
  title umbrella { title type } umbrellas { title } members { title municipality { code } }
} }"""


async def _tree(r: Registry, name: str, viewer: Any = ANONYMOUS) -> dict[str, Any]:
    data = (await run_as(r.db, TREE, {"id": r.gid(name)}, viewer)).ok()
    process: dict[str, Any] = data["process"]
    return process


async def test_a_member_of_two_umbrellas_names_its_own_first(registry: Registry) -> None:
    tree = await _tree(registry, "invoices", member(A))
    assert tree["umbrella"] == {"title": "Fakturaflyt (paraply)", "type": "PARENT"}
    assert tree["umbrellas"] == [
        {"title": "Fakturaflyt (paraply)"},
        {"title": "Fælles: sygefravær"},
    ]
    assert tree["members"] == []


async def test_a_shared_umbrella_lists_members_of_both_municipalities(registry: Registry) -> None:
    tree = await _tree(registry, "shared", member(B))
    assert tree["members"] == [
        {"title": "Fakturaer", "municipality": {"code": A}},
        {"title": "Sykefravær Oslo", "municipality": {"code": B}},
    ]
    oslo = await _tree(registry, "oslo", member(B))
    assert oslo["umbrella"] == {"title": "Fælles: sygefravær", "type": "GLOBAL_PARENT"}


async def test_members_are_only_those_the_caller_may_read(registry: Registry) -> None:
    owner = await _tree(registry, "own", member(A, subject="kari"))
    assert [m["title"] for m in owner["members"]] == ["Fakturaer", "Kladde"]
    colleague = await _tree(registry, "own", member(A))
    assert [m["title"] for m in colleague["members"]] == ["Fakturaer"]
    anonymous = await _tree(registry, "own")
    assert [m["title"] for m in anonymous["members"]] == ["Fakturaer"]


async def test_an_umbrella_the_caller_may_not_read_is_not_shown(registry: Registry) -> None:
    async with registry.db.session(None) as session:
        await session.execute(
            text("UPDATE process SET visibility = 'MUNICIPALITY' WHERE id = :id"),
            {"id": registry.ids["own"]},
        )
    outsider = await _tree(registry, "invoices", member(B))
    assert outsider["umbrella"] == {"title": "Fælles: sygefravær", "type": "GLOBAL_PARENT"}
    assert outsider["umbrellas"] == [{"title": "Fælles: sygefravær"}]


FILTERED = """query ($filter: ProcessFilter) {
  processes(filter: $filter, orderBy: {field: TITLE, direction: ASC}) { totalCount nodes { title } }
}"""


async def _titles(r: Registry, filter: dict[str, Any], viewer: Any = ANONYMOUS) -> list[str]:
    data = (await run_as(r.db, FILTERED, {"filter": filter}, viewer)).ok()
    titles = [node["title"] for node in data["processes"]["nodes"]]
    assert data["processes"]["totalCount"] == len(titles)
    return titles


async def test_processes_filter_by_umbrella(registry: Registry) -> None:
    shared = registry.gid("shared")
    assert await _titles(registry, {"umbrella": [shared]}) == ["Fakturaer", "Sykefravær Oslo"]
    both = [shared, registry.gid("own")]
    assert await _titles(registry, {"umbrella": both}, member(A, subject="kari")) == [
        "Fakturaer",
        "Kladde",
        "Sykefravær Oslo",
    ]
    combined = {"umbrella": [shared], "municipality": [B]}
    assert await _titles(registry, combined) == ["Sykefravær Oslo"]


async def test_processes_filter_umbrellas_in_or_out(registry: Registry) -> None:
    umbrellas = await _titles(registry, {"isUmbrella": True}, member(A))
    assert umbrellas == ["Fakturaflyt (paraply)", "Fælles: sygefravær"]
    others = await _titles(registry, {"isUmbrella": False}, member(A))
    assert others == ["Alene", "Fakturaer", "Sykefravær Oslo"]


async def test_a_bad_umbrella_id_is_the_callers_error(registry: Registry) -> None:
    error = (await run_as(registry.db, FILTERED, {"filter": {"umbrella": ["Vendor:1"]}})).error()
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
