"""Network meetings: the host's editors keep the meeting, each municipality its attendance."""

from typing import Any

import pytest

from tests.support.payloads import payload, refusal, user_error, written
from tests.support.tenants import A, B, Tenants

pytest_plugins = ("tests.support.identity_fixtures",)

ERRORS = "userErrors { code message field } clientMutationId"
MEETING = (
    "networkMeeting { id title heldOn topics host { code } participants { code }"
    " itSystems { code } processesDiscussed { title } }"
)
CREATE = f"""
mutation ($input: NetworkMeetingCreateInput!) {{
  networkMeetingCreate(input: $input) {{ {MEETING} {ERRORS} }}
}}
"""
UPDATE = f"""
mutation ($input: NetworkMeetingUpdateInput!) {{
  networkMeetingUpdate(input: $input) {{ {MEETING} {ERRORS} }}
}}
"""
ATTENDANCE = f"""
mutation ($input: NetworkMeetingAttendanceSetInput!) {{
  networkMeetingAttendanceSet(input: $input) {{ {MEETING} {ERRORS} }}
}}
"""


def process_id(t: Tenants, municipality: str, visibility: str = "PUBLIC") -> str:
    return f"Process:{t.processes[(municipality, visibility)]}"


async def meeting_version(t: Tenants, meeting: str) -> int:
    found = await t.scalar(
        "SELECT version FROM network_meeting WHERE id = :id", id=meeting.split(":", 1)[1]
    )
    return int(found)


async def create_meeting(t: Tenants, **values: Any) -> dict[str, Any]:
    body = await t.call(
        t.token(A, "editor"),
        CREATE,
        {"input": {"title": "KS RPA-nettverk", "heldOn": "2026-03-12", **values}},
    )
    return written(body, "networkMeetingCreate", "networkMeeting")


async def test_the_host_registers_a_meeting_and_attends_it(t: Tenants) -> None:
    before = await t.audit_count()
    meeting = await create_meeting(
        t,
        topics=["Robot i sykepenger", " "],
        itSystems=["sofie"],
        processesDiscussed=[process_id(t, A, "MUNICIPALITY"), process_id(t, B)],
    )
    assert meeting["host"] == {"code": A}
    assert meeting["participants"] == [{"code": A}]
    assert meeting["topics"] == ["Robot i sykepenger"]
    assert meeting["itSystems"] == [{"code": "sofie"}]
    assert {p["title"] for p in meeting["processesDiscussed"]} == {
        f"Municipality process of {A}",
        f"Public process of {B}",
    }
    assert await t.audit_count() == before + 1


async def test_an_editor_cannot_register_a_meeting_for_another_host(t: Tenants) -> None:
    body = await t.call(t.token(A, "editor"), CREATE, {"input": {"title": "x", "host": B}})
    error = refusal(body)
    assert error["code"] == "FORBIDDEN"
    assert B in error["message"]
    assert await t.scalar("SELECT count(*) FROM network_meeting") == 0


@pytest.mark.parametrize(
    ("values", "code", "field", "says"),
    [
        ({"processesDiscussed": ["B-MUNICIPALITY"]}, "NOT_FOUND", "processesDiscussed", "see"),
        ({"itSystems": ["nope"]}, "NOT_FOUND", "itSystems", "nope"),
        ({"title": ""}, "REQUIRED", "title", "must not be empty"),
        ({"host": "Trondheim"}, "INVALID", "host", "NO-5001"),
    ],
)
async def test_bad_meetings_are_refused_by_field(
    t: Tenants, values: dict[str, Any], code: str, field: str, says: str
) -> None:
    if values.get("processesDiscussed"):
        values = {"processesDiscussed": [process_id(t, B, "MUNICIPALITY")]}
    body = await t.call(t.token(A, "editor"), CREATE, {"input": {"title": "Møte", **values}})
    error = user_error(body, "networkMeetingCreate", "networkMeeting")
    assert (error["code"], error["field"]) == (code, [field])
    assert says in error["message"]
    assert await t.scalar("SELECT count(*) FROM network_meeting") == 0


async def test_the_host_updates_its_meeting_from_the_current_version_only(t: Tenants) -> None:
    meeting = await create_meeting(t, itSystems=["sofie"])
    change = {
        "id": meeting["id"],
        "version": 1,
        "patch": {"title": "KS RPA-nettverk, vår", "itSystems": [], "topics": ["ESA"]},
    }
    outsider = await t.call(t.token(B, "editor"), UPDATE, {"input": change})
    assert refusal(outsider)["code"] == "FORBIDDEN"
    body = await t.call(t.token(A, "editor"), UPDATE, {"input": change})
    updated = written(body, "networkMeetingUpdate", "networkMeeting")
    assert (updated["title"], updated["itSystems"], updated["topics"]) == (
        "KS RPA-nettverk, vår",
        [],
        ["ESA"],
    )
    stale = await t.call(t.token(A, "editor"), UPDATE, {"input": change})
    error = user_error(stale, "networkMeetingUpdate", "networkMeeting")
    assert (error["code"], error["field"]) == ("VERSION_CONFLICT", ["version"])
    assert await meeting_version(t, meeting["id"]) == 2


async def test_handing_a_meeting_to_another_host_needs_an_admin(t: Tenants) -> None:
    meeting = await create_meeting(t)
    change = {"id": meeting["id"], "version": 1, "patch": {"host": B}}
    assert refusal(await t.call(t.token(A, "editor"), UPDATE, {"input": change}))["code"] == (
        "FORBIDDEN"
    )
    body = await t.call(t.token(A, "admin"), UPDATE, {"input": change})
    assert written(body, "networkMeetingUpdate", "networkMeeting")["host"] == {"code": B}


async def test_a_municipality_sets_its_own_attendance_without_touching_the_version(
    t: Tenants,
) -> None:
    meeting = await create_meeting(t)
    token = t.token(B, "editor")
    attends: list[list[str]] = []
    for attending in (True, True, False):
        body = await t.call(
            token,
            ATTENDANCE,
            {"input": {"meetingId": meeting["id"], "municipality": B, "attending": attending}},
        )
        found = written(body, "networkMeetingAttendanceSet", "networkMeeting")
        attends.append(sorted(p["code"] for p in found["participants"]))
    assert attends == [sorted([A, B]), sorted([A, B]), [A]]
    assert await meeting_version(t, meeting["id"]) == 1
    audited = "SELECT count(*) FROM audit_entry WHERE action = 'networkMeetingAttendanceSet'"
    assert await t.scalar(audited) == 3


async def test_nobody_sets_another_municipality_s_attendance(t: Tenants) -> None:
    meeting = await create_meeting(t)
    body = await t.call(
        t.token(B, "editor"),
        ATTENDANCE,
        {"input": {"meetingId": meeting["id"], "municipality": A, "attending": False}},
    )
    error = refusal(body)
    assert error["code"] == "FORBIDDEN"
    assert A in error["message"]
    assert await t.scalar("SELECT count(*) FROM meeting_participant") == 1


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [
        ({"municipality": "Oslo"}, "INVALID", "municipality"),
        ({"municipality": "NO-9999"}, "NOT_FOUND", "municipality"),
        (
            {"meetingId": "NetworkMeeting:00000000-0000-0000-0000-000000000000"},
            "NOT_FOUND",
            "meetingId",
        ),
    ],
)
async def test_bad_attendance_is_refused_by_field(
    t: Tenants, values: dict[str, Any], code: str, field: str
) -> None:
    meeting = await create_meeting(t)
    variables = {"meetingId": meeting["id"], "municipality": B, "attending": True, **values}
    body = await t.call(t.token(B, "editor"), ATTENDANCE, {"input": variables})
    error = user_error(body, "networkMeetingAttendanceSet", "networkMeeting")
    assert (error["code"], error["field"]) == (code, [field])
    assert await t.scalar("SELECT count(*) FROM meeting_participant") == 1


async def test_a_retried_meeting_create_is_applied_once(t: Tenants) -> None:
    variables = {"input": {"title": "Once", "clientMutationId": "meeting-1"}}
    ids = set()
    for _ in range(2):
        body = await t.call(t.token(A, "editor"), CREATE, variables)
        ids.add(written(body, "networkMeetingCreate", "networkMeeting")["id"])
        assert payload(body, "networkMeetingCreate")["clientMutationId"] == "meeting-1"
    assert len(ids) == 1
    assert await t.scalar("SELECT count(*) FROM network_meeting") == 1
