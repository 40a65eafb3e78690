"""Writing network meetings: the host keeps the meeting, each municipality its attendance.

A meeting belongs to its host municipality: its editors (or an admin) create and change
it, and the host attends its own meeting from the start. Whether another municipality
attends is that municipality's to say, so attendance is set by its own editors and does
not touch the meeting's version (the host's edits never conflict with it).

Processes discussed must be readable by the editor who links them; links to processes
the editor cannot read (made non-public later) are left as they are by an update.
"""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store import audit
from reusegraph.store.audit import Call
from reusegraph.store.models import (
    ItSystem,
    NetworkMeeting,
    meeting_it_system,
    meeting_participant,
    meeting_process,
)
from reusegraph.store.references import (
    known_codes,
    known_municipalities,
    linked,
    readable_process_ids,
    replace_links,
)
from reusegraph.store.snapshots import snapshot
from reusegraph.store.write_errors import rejected
from reusegraph.store.write_rules import require_version, require_writer

N = cast(Table, NetworkMeeting.__table__)
_OWNER = "meeting_id"


async def create_meeting(
    session: AsyncSession,
    call: Call,
    values: Mapping[str, Any],
    it_systems: Sequence[str] = (),
    process_ids: Sequence[uuid.UUID] = (),
) -> uuid.UUID:
    host = values.get("host_code")
    hosts = {host} if host else set()
    require_writer(call, hosts, f"create a meeting hosted by {host or 'nobody'}")
    await known_municipalities(session, hosts, "host")
    it_systems = await known_codes(session, ItSystem, it_systems, "itSystems")
    process_ids = await readable_process_ids(session, call, process_ids, "processesDiscussed")
    meeting_id = uuid.uuid4()
    await session.execute(insert(N).values(id=meeting_id, **values))
    await replace_links(
        session, meeting_participant, _OWNER, meeting_id, "municipality_code", sorted(hosts)
    )
    await _set_topics(session, meeting_id, it_systems, process_ids)
    after = await _state(session, meeting_id)
    await audit.record(
        session, call, "networkMeetingCreate", "NetworkMeeting", str(meeting_id), None, after
    )
    return meeting_id


async def update_meeting(
    session: AsyncSession,
    call: Call,
    meeting_id: uuid.UUID,
    version: int,
    patch: Mapping[str, Any],
    it_systems: Sequence[str] | None = None,
    process_ids: Sequence[uuid.UUID] | None = None,
) -> uuid.UUID:
    row = await _meeting(session, meeting_id, "id", lock=True)
    host = row["host_code"]
    require_writer(call, {host} if host else set(), f"change a meeting hosted by {host}")
    if "host_code" in patch and patch["host_code"] != host:
        new_host = patch["host_code"]
        new_hosts = {new_host} if new_host else set()
        require_writer(call, new_hosts, f"hand a meeting over to {new_host or 'nobody'}")
        await known_municipalities(session, new_hosts, "patch", "host")
    require_version(row, version, "meeting")
    if it_systems is not None:
        it_systems = await known_codes(session, ItSystem, it_systems, "patch", "itSystems")
    if process_ids is not None:
        process_ids = await readable_process_ids(
            session, call, process_ids, "patch", "processesDiscussed"
        )
    before = await _state(session, meeting_id)
    await session.execute(
        update(N).where(N.c.id == meeting_id).values(**patch, version=N.c.version + 1)
    )
    await _set_topics(session, meeting_id, it_systems, process_ids)
    after = await _state(session, meeting_id)
    await audit.record(
        session, call, "networkMeetingUpdate", "NetworkMeeting", str(meeting_id), before, after
    )
    return meeting_id


async def set_attendance(
    session: AsyncSession,
    call: Call,
    meeting_id: uuid.UUID,
    municipality: str,
    attending: bool,
) -> uuid.UUID:
    await _meeting(session, meeting_id, "meetingId", lock=False)
    await known_municipalities(session, [municipality], "municipality")
    require_writer(call, {municipality}, f"set the attendance of {municipality}")
    MP = meeting_participant
    mine = (MP.c.meeting_id == meeting_id, MP.c.municipality_code == municipality)
    was = (await session.execute(select(MP.c.meeting_id).where(*mine))).first() is not None
    if attending:
        await session.execute(
            insert(MP)
            .values(meeting_id=meeting_id, municipality_code=municipality)
            .on_conflict_do_nothing()
        )
    else:
        await session.execute(delete(MP).where(*mine))
    await audit.record(
        session,
        call,
        "networkMeetingAttendanceSet",
        "NetworkMeeting",
        str(meeting_id),
        {"municipality": municipality, "attending": was},
        {"municipality": municipality, "attending": attending},
    )
    return meeting_id


async def _meeting(
    session: AsyncSession, meeting_id: uuid.UUID, field: str, *, lock: bool
) -> Mapping[str, Any]:
    statement = select(N).where(N.c.id == meeting_id)
    if lock:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    if row is None:
        raise rejected("NOT_FOUND", f"No network meeting {meeting_id}.", field)
    return dict(row)


async def _set_topics(
    session: AsyncSession,
    meeting_id: uuid.UUID,
    it_systems: Sequence[str] | None,
    process_ids: Sequence[uuid.UUID] | None,
) -> None:
    if it_systems is not None:
        await replace_links(
            session, meeting_it_system, _OWNER, meeting_id, "it_system_code", it_systems
        )
    if process_ids is not None:
        await replace_links(session, meeting_process, _OWNER, meeting_id, "process_id", process_ids)


async def _state(session: AsyncSession, meeting_id: uuid.UUID) -> dict[str, Any]:
    row = (await session.execute(select(N).where(N.c.id == meeting_id))).mappings().one()
    return {
        **snapshot(dict(row)),
        "participants": await linked(
            session, meeting_participant, _OWNER, meeting_id, "municipality_code"
        ),
        "it_systems": await linked(
            session, meeting_it_system, _OWNER, meeting_id, "it_system_code"
        ),
        "processes": [
            str(p) for p in await linked(session, meeting_process, _OWNER, meeting_id, "process_id")
        ],
    }
