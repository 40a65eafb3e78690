"""The watches' statements: agreements entering a window, sources going stale, as events.

These are not row changes, so no trigger sees them: a periodic scan does, as the system.
One replica scans per period: the one that claims ``webhook_scan``'s row (``FOR UPDATE
SKIP LOCKED``, and only once the period is over), holding it until its transaction ends,
so scans never overlap. What was announced is kept in the same transaction as the event:
an agreement once per window and end date, a source once per stale episode. A restart
or another replica finds it there and says nothing again.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Integer,
    Table,
    Text,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store.agreements import AgreementQuery, agreement_filters, term_end
from reusegraph.store.enums import SourceKind
from reusegraph.store.models import (
    FrameworkAgreement,
    Source,
    WebhookAgreementNotice,
    WebhookEvent,
    WebhookScan,
    WebhookSourceEpisode,
    WebhookSubscription,
    agreement_party,
    source_owner,
)
from reusegraph.store.sources import is_stale_sql

AGREEMENT_EXPIRING = "agreement.expiring"
SOURCE_STALE = "source.stale"
SCAN = "watches"

W = cast(Table, WebhookScan.__table__)
N = cast(Table, WebhookAgreementNotice.__table__)
EP = cast(Table, WebhookSourceEpisode.__table__)
E = cast(Table, WebhookEvent.__table__)
S = cast(Table, WebhookSubscription.__table__)
FA = cast(Table, FrameworkAgreement.__table__)
SRC = cast(Table, Source.__table__)
AP = agreement_party
SO = source_owner


@dataclass(frozen=True)
class Announced:
    agreements: int = 0
    """Events written: one per agreement and window it entered."""
    sources: int = 0
    """Events written: one per source that went stale (a new episode)."""


def _xid() -> ColumnElement[int]:
    return sql_cast(sql_cast(func.pg_current_xact_id(), Text), BigInteger)


async def claim(session: AsyncSession, period_seconds: float) -> bool:
    """This transaction's turn to scan: no other holds the row, and the period is over."""
    free = select(W.c.name).where(W.c.name == SCAN).with_for_update(skip_locked=True)
    due = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, literal(float(period_seconds)))
    statement = (
        update(W)
        .where(W.c.name.in_(free.scalar_subquery()), W.c.scanned_at <= due)
        .values(scanned_at=func.now())
        .returning(W.c.name)
    )
    return (await session.execute(statement)).first() is not None


async def _listening(session: AsyncSession, kind: str) -> bool:
    statement = select(
        select(S.c.id).where(S.c.status == "ACTIVE", literal(kind) == func.any(S.c.events)).exists()
    )
    return bool((await session.execute(statement)).scalar())


async def _windows(session: AsyncSession) -> list[int]:
    """The ``expiringWithinDays`` of the active subscriptions that listen for agreements."""
    days = S.c.filter["expiring_within_days"].astext.cast(Integer)
    statement = (
        select(days)
        .distinct()
        .where(
            S.c.status == "ACTIVE",
            literal(AGREEMENT_EXPIRING) == func.any(S.c.events),
            S.c.filter.has_key("expiring_within_days"),
        )
        .order_by(days)
    )
    return [int(d) for d in (await session.execute(statement)).scalars()]


async def announce_expiring(session: AsyncSession) -> int:
    """Agreements in force today and no longer in force ``N`` days from now, for each
    window ``N`` a subscriber asked for: each agreement and end date once per window."""
    today: date = (await session.execute(select(func.current_date()))).scalar_one()
    written = 0
    for days in await _windows(session):
        query = AgreementQuery(active_on=today, expiring_by=today + timedelta(days=days))
        first_day_out = sql_cast(func.least(term_end(FA), FA.c.terminated_on), Date)
        due = select(FA.c.id, first_day_out.label("out")).where(*agreement_filters(query))
        rows = (await session.execute(due.order_by(FA.c.id))).all()
        if not rows:
            continue
        noticed = await session.execute(
            pg_insert(N)
            .values(
                [
                    {"agreement_id": r.id, "within_days": days, "ends_on": r.out - timedelta(1)}
                    for r in rows
                ]
            )
            .on_conflict_do_nothing()
            .returning(N.c.agreement_id, N.c.ends_on)
        )
        fresh = sorted(noticed.all())
        if not fresh:
            continue
        parties = await _parties(session, [agreement for agreement, _ in fresh])
        await session.execute(
            insert(E).values(
                [
                    {
                        "xid": _xid(),
                        "agreement_id": agreement,
                        "kind": AGREEMENT_EXPIRING,
                        "within_days": days,
                        "parties": parties.get(agreement, []),
                        "facts": {"withinDays": days, "endsOn": ends_on.isoformat()},
                        "was_public": True,
                    }
                    for agreement, ends_on in fresh
                ]
            )
        )
        written += len(fresh)
    return written


async def _parties(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    statement = select(AP.c.agreement_id, AP.c.municipality_code).where(AP.c.agreement_id.in_(ids))
    grouped: dict[uuid.UUID, list[str]] = defaultdict(list)
    for agreement, code in (await session.execute(statement)).all():
        grouped[agreement].append(code)
    return {agreement: sorted(codes) for agreement, codes in grouped.items()}


async def _owners(session: AsyncSession, codes: list[str]) -> dict[str, list[str]]:
    statement = select(SO.c.source_code, SO.c.municipality_code).where(SO.c.source_code.in_(codes))
    grouped: dict[str, list[str]] = defaultdict(list)
    for source, municipality in (await session.execute(statement)).all():
        grouped[source].append(municipality)
    return {source: sorted(found) for source, found in grouped.items()}


async def announce_stale(session: AsyncSession) -> int:
    """Close the episodes of the sources that recovered; open one for each mirror that is
    stale now and had none open, and announce it. While nobody listens no episode opens,
    so the first subscriber hears of the sources that are stale when it comes."""
    statement = (
        select(SRC.c.code, is_stale_sql().label("stale"), EP.c.stale_since)
        .outerjoin(EP, EP.c.source_code == SRC.c.code)
        .where(SRC.c.kind != SourceKind.HOSTED.value)
        .order_by(SRC.c.code)
    )
    rows = (await session.execute(statement)).all()
    went_stale = [r for r in rows if r.stale and r.stale_since is None]
    recovered = [r.code for r in rows if not r.stale and r.stale_since is not None]
    if recovered:
        await session.execute(
            update(EP)
            .where(EP.c.source_code.in_(recovered))
            .values(stale_since=None, recovered_at=func.now())
        )
    if not went_stale or not await _listening(session, SOURCE_STALE):
        return 0  # as the process trigger: no listener, no event (and no episode either)
    opened = await session.execute(
        pg_insert(EP)
        .values(
            [{"source_code": r.code, "episode": 1, "stale_since": func.now()} for r in went_stale]
        )
        .on_conflict_do_update(
            index_elements=[EP.c.source_code],
            set_={"episode": EP.c.episode + 1, "stale_since": func.now()},
        )
        .returning(EP.c.source_code, EP.c.episode, EP.c.stale_since)
    )
    episodes = {code: (episode, since) for code, episode, since in opened.all()}
    owners = await _owners(session, [r.code for r in went_stale])
    await session.execute(
        insert(E).values(
            [
                {
                    "xid": _xid(),
                    "source_code": r.code,
                    "kind": SOURCE_STALE,
                    "parties": owners.get(r.code, []),
                    "facts": _episode(*episodes[r.code]),
                    "was_public": True,
                }
                for r in went_stale
            ]
        )
    )
    return len(went_stale)


def _episode(episode: int, since: datetime) -> dict[str, Any]:
    return {"episode": episode, "staleSince": since.isoformat()}
