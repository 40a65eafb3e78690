"""Shared problems: municipalities that met about the same IT system or the same topic.

A meeting's IT systems are coded (``meeting_it_system``); its topics are free text, so
two topics are "the same" when they match after trimming and lower-casing. A meeting's
municipalities are its participants and its host. Meetings carry no visibility of their
own; the processes discussed are read through the visibility-checked process loader.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, String, and_, func, literal, select, true, union, union_all
from sqlalchemy.engine import Row

from reusegraph.store.engine import Reader
from reusegraph.store.models import (
    NetworkMeeting,
    meeting_it_system,
    meeting_participant,
    municipality_it_system,
)

N = NetworkMeeting.__table__
MS = meeting_it_system
MP = meeting_participant
MS_USE = municipality_it_system


class SharedProblemKind(StrEnum):
    IT_SYSTEM = "IT_SYSTEM"
    TOPIC = "TOPIC"


@dataclass(frozen=True)
class SharedProblemQuery:
    kinds: Sequence[str] | None = None
    it_systems: Sequence[str] | None = None
    municipalities: Sequence[str] | None = None
    """Problems that any of these municipalities shared."""
    held_from: date | None = None
    held_to: date | None = None
    min_municipalities: int = 2


async def shared_problems(
    reader: Reader, query: SharedProblemQuery, *, first: int
) -> list[Row[Any]]:
    """One statement; most municipalities first, then the most recent meeting."""
    kinds = set(query.kinds or SharedProblemKind)
    subjects = []
    if SharedProblemKind.IT_SYSTEM in kinds:
        subjects.append(
            select(
                literal(SharedProblemKind.IT_SYSTEM.value, String).label("kind"),
                MS.c.it_system_code.label("subject"),
                MS.c.it_system_code.label("label"),
                MS.c.meeting_id,
            )
        )
    if SharedProblemKind.TOPIC in kinds:
        topic = func.unnest(N.c.topics).table_valued("value").render_derived("t")
        subjects.append(
            select(
                literal(SharedProblemKind.TOPIC.value, String).label("kind"),
                func.lower(func.btrim(topic.c.value)).label("subject"),
                func.btrim(topic.c.value).label("label"),
                N.c.id.label("meeting_id"),
            ).select_from(N.join(topic, true()))
        )
    if not subjects:
        return []
    subject = union_all(*subjects).subquery("s")
    members = union(
        select(MP.c.meeting_id, MP.c.municipality_code),
        select(N.c.id, N.c.host_code).where(N.c.host_code.is_not(None)),
    ).subquery("m")
    where: list[ColumnElement[bool]] = []
    if query.it_systems:
        where.append(
            and_(
                subject.c.kind == SharedProblemKind.IT_SYSTEM.value,
                subject.c.subject.in_(query.it_systems),
            )
        )
    if query.held_from is not None:
        where.append(N.c.held_on >= query.held_from)
    if query.held_to is not None:
        where.append(N.c.held_on <= query.held_to)
    municipalities = func.array_agg(members.c.municipality_code.distinct())
    statement = (
        select(
            subject.c.kind,
            subject.c.subject,
            func.min(subject.c.label).label("label"),
            municipalities.label("municipalities"),
            func.array_agg(subject.c.meeting_id.distinct()).label("meetings"),
            func.min(N.c.held_on).label("first_held_on"),
            func.max(N.c.held_on).label("last_held_on"),
        )
        .select_from(
            subject.join(members, members.c.meeting_id == subject.c.meeting_id).join(
                N, N.c.id == subject.c.meeting_id
            )
        )
        .where(*where)
        .group_by(subject.c.kind, subject.c.subject)
        .having(func.count(members.c.municipality_code.distinct()) >= query.min_municipalities)
        .order_by(
            func.count(members.c.municipality_code.distinct()).desc(),
            func.max(N.c.held_on).desc().nulls_last(),
            subject.c.kind,
            subject.c.subject,
        )
        .limit(first)
    )
    if query.municipalities:
        statement = statement.having(
            func.bool_or(members.c.municipality_code.in_(query.municipalities))
        )
    return list((await reader.execute(statement)).all())


async def municipalities_by_it_system(reader: Reader, codes: Sequence[str]) -> dict[str, list[str]]:
    """Who uses each IT system, by the municipalities' own settings."""
    statement = (
        select(MS_USE.c.it_system_code, MS_USE.c.municipality_code)
        .where(MS_USE.c.it_system_code.in_(codes))
        .order_by(MS_USE.c.municipality_code)
    )
    grouped: dict[str, list[str]] = defaultdict(list)
    for system, municipality in (await reader.execute(statement)).all():
        grouped[system].append(municipality)
    return grouped
