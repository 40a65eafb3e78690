"""sharedProblems: municipalities that met about the same IT system or topic."""

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Table, insert

from reusegraph.auth.principal import ANONYMOUS, Principal, Role
from reusegraph.store.engine import Database
from reusegraph.store.models import (
    NetworkMeeting,
    meeting_it_system,
    meeting_participant,
    meeting_process,
    municipality_it_system,
)
from tests.support import builders as b
from tests.support.http import GraphQLClient
from tests.support.viewers import data_as

A, B, C, D, E = "NO-0101", "NO-0102", "NO-0103", "NO-0104", "NO-0105"
M1, M2, M3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

PROBLEMS = """
query ($f: SharedProblemFilter) {
  sharedProblems(filter: $f) {
    kind subject municipalityCount firstMetOn lastMetOn
    municipalities { code } itSystem { name } alsoUsedBy { code }
    meetings { title } topics processesDiscussed { title }
  }
}
"""


def _meeting(meeting_id: uuid.UUID, title: str, **values: Any) -> dict[str, Any]:
    return {
        "id": meeting_id,
        "title": title,
        "held_on": None,
        "host_code": None,
        "topics": [],
        "external_participants": [],
        **values,
    }


@pytest.fixture
async def seeded(empty_db: Database) -> Database:
    """Two meetings about the same system (A+B, and C hosted by D); a third on a topic only."""
    public = b.process(A, title="Archive robot")
    internal = b.process(B, title="Internal archive robot", visibility="MUNICIPALITY")
    await b.insert_rows(
        empty_db,
        it_system=[{"code": "sofie", "name": "SOFIE"}, {"code": "esa", "name": "ESA"}],
        municipality=[b.municipality(code) for code in (A, B, C, D, E)],
        process=[public, internal],
    )
    rows: dict[Table, list[dict[str, Any]]] = {
        NetworkMeeting.__table__: [  # type: ignore[dict-item]
            _meeting(M1, "SOFIE meeting", held_on=date(2021, 3, 1), topics=[" Citrix access "]),
            _meeting(
                M2,
                "SOFIE follow-up",
                held_on=date(2021, 9, 1),
                host_code=D,
                topics=["citrix ACCESS"],
            ),
            _meeting(M3, "ESA users", topics=["Archive backlog"]),
        ],
        meeting_participant: [
            {"meeting_id": M1, "municipality_code": A},
            {"meeting_id": M1, "municipality_code": B},
            {"meeting_id": M2, "municipality_code": C},
            {"meeting_id": M3, "municipality_code": A},
        ],
        meeting_it_system: [
            {"meeting_id": M1, "it_system_code": "sofie"},
            {"meeting_id": M2, "it_system_code": "sofie"},
            {"meeting_id": M3, "it_system_code": "esa"},
        ],
        meeting_process: [
            {"meeting_id": M1, "process_id": public["id"]},
            {"meeting_id": M1, "process_id": internal["id"]},
        ],
        municipality_it_system: [
            {"municipality_code": A, "it_system_code": "sofie"},
            {"municipality_code": E, "it_system_code": "sofie"},
        ],
    }
    async with empty_db.session(None) as session:
        for table, values in rows.items():
            await session.execute(insert(table), values)
    return empty_db


async def test_municipalities_that_met_about_the_same_system_form_one_group(
    seeded: Database,
) -> None:
    data = await data_as(seeded, ANONYMOUS, PROBLEMS, {"f": {"kind": ["IT_SYSTEM"]}})
    problems = data["sharedProblems"]
    assert [p["subject"] for p in problems] == ["sofie"], "ESA had one municipality only"
    sofie = problems[0]
    assert [m["code"] for m in sofie["municipalities"]] == [A, B, C, D], "hosts count too"
    assert sofie["municipalityCount"] == 4
    assert sofie["itSystem"] == {"name": "SOFIE"}
    assert sofie["meetings"] == [{"title": "SOFIE follow-up"}, {"title": "SOFIE meeting"}]
    assert (sofie["firstMetOn"], sofie["lastMetOn"]) == ("2021-03-01", "2021-09-01")
    assert sofie["topics"] == ["Citrix access"]
    assert sofie["alsoUsedBy"] == [{"code": E}], "uses SOFIE but was not at the meetings"


async def test_topics_match_regardless_of_case_and_spaces(seeded: Database) -> None:
    data = await data_as(seeded, ANONYMOUS, PROBLEMS, {"f": {"kind": ["TOPIC"]}})
    topics = {p["subject"].lower(): p for p in data["sharedProblems"]}
    assert set(topics) == {"citrix access"}
    assert topics["citrix access"]["municipalityCount"] == 4
    assert topics["citrix access"]["itSystem"] is None


async def test_filters_narrow_the_groups(seeded: Database) -> None:
    only_e = await data_as(seeded, ANONYMOUS, PROBLEMS, {"f": {"municipality": [E]}})
    assert only_e["sharedProblems"] == []
    one = await data_as(seeded, ANONYMOUS, PROBLEMS, {"f": {"minMunicipalities": 1}})
    assert {p["subject"] for p in one["sharedProblems"]} >= {"sofie", "esa", "Archive backlog"}
    later = await data_as(
        seeded, ANONYMOUS, PROBLEMS, {"f": {"itSystem": ["sofie"], "heldFrom": "2021-06-01"}}
    )
    assert [m["code"] for m in later["sharedProblems"][0]["municipalities"]] == [C, D]


async def test_readers_see_only_public_processes_discussed(seeded: Database) -> None:
    reader = Principal(issuer="t", subject="portal", roles=frozenset({Role.READER}))
    member = Principal(issuer="t", subject="bo", municipality=B, roles=frozenset({Role.MEMBER}))
    variables = {"f": {"itSystem": ["sofie"]}}
    for viewer in (ANONYMOUS, reader):
        data = await data_as(seeded, viewer, PROBLEMS, variables)
        assert data["sharedProblems"][0]["processesDiscussed"] == [{"title": "Archive robot"}]
    data = await data_as(seeded, member, PROBLEMS, variables)
    titles = {p["title"] for p in data["sharedProblems"][0]["processesDiscussed"]}
    assert titles == {"Archive robot", "Internal archive robot"}


async def test_bad_filters_say_what_is_allowed(seeded: Database, api: GraphQLClient) -> None:
    error = await api.error('{ sharedProblems(filter: {itSystem: ["citrix"]}) { subject } }')
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "citrix" in error["message"]
    error = await api.error("{ sharedProblems(filter: {minMunicipalities: 0}) { subject } }")
    assert "between 1 and" in error["message"]
    error = await api.error("{ sharedProblems(first: 1000) { subject } }")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_sofie_on_citrix_is_shared_by_oslo_bergen_and_trondheim(
    demo_api: GraphQLClient,
) -> None:
    data = await demo_api.data(
        '{ sharedProblems(filter: {itSystem: ["sofie"]}) { subject municipalities { name }'
        " topics processesDiscussed { title } } }"
    )
    sofie = data["sharedProblems"][0]
    assert {m["name"] for m in sofie["municipalities"]} == {
        "Oslo kommune",
        "Bergen kommune",
        "Trondheim kommune",
    }
    assert any("Citrix" in topic for topic in sofie["topics"])
    assert "Arkivering SOFIE til ESA" in {p["title"] for p in sofie["processesDiscussed"]}
