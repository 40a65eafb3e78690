"""Registering and removing sources (admin), with the checks that keep a source usable.

A source stores where its secret is (``env:NAME`` or ``file:/path``), never the secret:
the database, its backups and every API answer stay free of credentials.
"""

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store import audit, municipality_register
from reusegraph.store.audit import Call
from reusegraph.store.enums import SourceKind
from reusegraph.store.models import Municipality, Source, source_owner
from reusegraph.store.models.sources import SourceAuth
from reusegraph.store.official_municipalities import official
from reusegraph.store.write_errors import FieldError, WriteForbidden, WriteRejected, rejected
from reusegraph.store.write_rules import registers_own_file_source, require_admin

S = cast(Table, Source.__table__)
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
SECRET_REF = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:/.+)$")
_SCHEDULE = re.compile(r"^(?:every\s+)?(\d+)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_INTERVAL = timedelta(seconds=10)
# kind -> the ways it may authenticate
AUTH_BY_KIND = {
    SourceKind.GRAPHQL: (SourceAuth.NONE, SourceAuth.BEARER, SourceAuth.OAUTH2),
    SourceKind.OS2AUTOPROCES: (SourceAuth.API_KEY,),
    SourceKind.HOSTED: (SourceAuth.NONE,),
    SourceKind.FILE: (SourceAuth.NONE,),
}

_SOURCES = "register and remove sources"


@dataclass(frozen=True)
class SourceSpec:
    code: str
    name: str
    kind: str
    owners: Sequence[str]
    endpoint: str | None = None
    auth: str = SourceAuth.NONE
    secret_ref: str | None = None
    token_url: str | None = None
    client_id: str | None = None
    scope: str | None = None
    schedule: str | None = None
    timeout_seconds: int = 30
    max_run_seconds: int = 900
    page_size: int = 500
    stale_after_seconds: int = 86400


def parse_schedule(schedule: str | None) -> timedelta | None:
    """``"every 15m"``, ``"1h"``, ``"30s"``, ``"1d"``; None or ``"manual"``: only on demand."""
    if schedule is None or schedule.strip().lower() in ("", "manual"):
        return None
    match = _SCHEDULE.match(schedule.strip().lower())
    if match is None:
        raise ValueError(schedule)
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def problems(spec: SourceSpec) -> list[FieldError]:
    """Everything wrong with a spec at once, each naming the input field."""
    found: list[FieldError] = []

    def bad(field: str, message: str, code: str = "INVALID") -> None:
        found.append(FieldError(code, message, (field,)))

    if not CODE.match(spec.code):
        bad("code", f"code {spec.code!r} must be 1-63 of a-z, 0-9 and '-', e.g. 'oslo-registry'.")
    if not spec.name.strip() or len(spec.name) > 255:
        bad("name", "name must be 1-255 characters.")
    if not spec.owners:
        bad("owners", "A source needs at least one owner municipality.", "REQUIRED")
    mirrored = spec.kind in (SourceKind.GRAPHQL, SourceKind.OS2AUTOPROCES)
    if mirrored and not spec.endpoint:
        bad("endpoint", f"A {spec.kind} source needs its endpoint URL.", "REQUIRED")
    if spec.endpoint is not None and not re.match(r"^https?://[^\s/]+", spec.endpoint):
        bad("endpoint", f"endpoint {spec.endpoint!r} must be an http:// or https:// URL.")
    allowed = AUTH_BY_KIND.get(SourceKind(spec.kind), ())
    if spec.auth not in allowed:
        names = ", ".join(a.upper() for a in allowed)
        bad("auth", f"A {spec.kind} source authenticates with {names}, not {spec.auth.upper()}.")
    if spec.auth != SourceAuth.NONE and spec.secret_ref is None:
        bad(
            "secretRef",
            f"auth {spec.auth.upper()} needs secretRef: env:VARIABLE or file:/path/to/secret"
            " (where the gateway reads the secret; never the secret itself).",
            "REQUIRED",
        )
    if spec.secret_ref is not None and not SECRET_REF.match(spec.secret_ref):
        bad(
            "secretRef",
            "secretRef must be env:VARIABLE_NAME or file:/absolute/path; put the secret itself"
            " in that variable or file, never here.",
        )
    if spec.auth == SourceAuth.OAUTH2:
        for field, value in (("tokenUrl", spec.token_url), ("clientId", spec.client_id)):
            if not value:
                bad(field, f"auth OAUTH2 needs {field} (client credentials).", "REQUIRED")
    try:
        interval = parse_schedule(spec.schedule)
        if interval is not None and interval < MIN_INTERVAL:
            bad("schedule", "schedule must be at least every 10s.", "OUT_OF_RANGE")
    except ValueError:
        bad("schedule", f"schedule {spec.schedule!r} must look like 'every 15m', '1h' or 'manual'.")
    limits: tuple[tuple[str, int, int, int], ...] = (
        ("timeoutSeconds", spec.timeout_seconds, 1, 600),
        ("maxRunSeconds", spec.max_run_seconds, 10, 86400),
        ("pageSize", spec.page_size, 1, 10000),
        ("staleAfterSeconds", spec.stale_after_seconds, 60, 365 * 86400),
    )
    for name, number, low, high in limits:
        if not low <= number <= high:
            bad(name, f"{name} must be {low}-{high}; got {number}.", "OUT_OF_RANGE")
    return found


async def register_source(session: AsyncSession, call: Call, spec: SourceSpec) -> str:
    """Creates the source, or changes a registered one's settings.

    Its sync state stays, except that a new endpoint starts from the beginning: a cursor
    means something only to the remote that handed it out.
    """
    own_file_source = registers_own_file_source(call, spec.kind, spec.owners)
    if not own_file_source:
        require_admin(call, _SOURCES)
    found = problems(spec)
    if found:
        raise WriteRejected(*found)
    known = set(
        (
            await session.execute(
                select(Municipality.code).where(Municipality.code.in_(spec.owners))
            )
        ).scalars()
    )
    unknown = sorted(set(spec.owners) - known)
    if not own_file_source:  # an admin naming an official municipality means that one
        for code in [code for code in unknown if official(code) is not None]:
            await municipality_register.register_official(session, call, code)
            unknown.remove(code)
    if unknown:
        raise rejected(
            "NOT_FOUND",
            f"Unknown municipality: {', '.join(unknown)}; it is in no official list, so an"
            " admin registers it first (municipalityRegister, or `reusegraph municipality"
            " add CODE --name NAME`).",
            "owners",
        )
    await _refuse_owned_elsewhere(session, spec)
    values = {k: v for k, v in asdict(spec).items() if k != "owners"}
    before = (
        (await session.execute(select(S).where(S.c.code == spec.code).with_for_update()))
        .mappings()
        .first()
    )
    if before is not None and own_file_source:
        await _refuse_others_source(session, call, spec.code)
    if before is None:
        await session.execute(insert(S).values(**values, record_count=0))
    else:
        if before["kind"] != spec.kind:
            raise rejected(
                "INVALID",
                f"Source {spec.code!r} is of kind {before['kind']}; a kind cannot change."
                " Remove the source and register it again.",
                "kind",
            )
        if before["endpoint"] != spec.endpoint:
            values["cursor"] = None  # a cursor only means something to the remote that gave it
        await session.execute(update(S).where(S.c.code == spec.code).values(**values))
    await session.execute(delete(source_owner).where(source_owner.c.source_code == spec.code))
    await session.execute(
        insert(source_owner),
        [{"source_code": spec.code, "municipality_code": m} for m in sorted(set(spec.owners))],
    )
    after = {**values, "owners": sorted(set(spec.owners))}
    await audit.record(
        session,
        call,
        "sourceRegister",
        "Source",
        spec.code,
        _public(dict(before)) if before else None,
        _public(after),
    )
    return spec.code


async def _refuse_others_source(session: AsyncSession, call: Call, code: str) -> None:
    owners = set(
        (
            await session.execute(
                select(source_owner.c.municipality_code).where(source_owner.c.source_code == code)
            )
        ).scalars()
    )
    if owners != {call.viewer.municipality}:
        raise WriteForbidden(
            f"Source {code!r} is not {call.viewer.municipality}'s alone; changing it needs"
            " the admin role."
        )


async def _refuse_owned_elsewhere(session: AsyncSession, spec: SourceSpec) -> None:
    """A municipality's processes come from one source: a second owner would mirror them
    twice. (The unique index on ``source_owner.municipality_code`` backs this up.)"""
    owned = (
        await session.execute(
            select(source_owner.c.municipality_code, S.c.code, S.c.kind)
            .join(S, S.c.code == source_owner.c.source_code)
            .where(
                source_owner.c.municipality_code.in_(spec.owners),
                source_owner.c.source_code != spec.code,
            )
            .order_by(source_owner.c.municipality_code)
        )
    ).all()
    if not owned:
        return
    taken = "; ".join(f"{m} by source {code!r} ({kind})" for m, code, kind in owned)
    first = owned[0]
    raise rejected(
        "DUPLICATE",
        f"A municipality has exactly one owning source, and these are owned already: {taken}."
        f" Register {first.code!r} again without {first.municipality_code} first (or remove"
        " it), so that its processes are not mirrored twice.",
        "owners",
    )


async def remove_source(session: AsyncSession, call: Call, code: str) -> None:
    """Removes the source; refused while any process still names it.

    The check is PostgreSQL's foreign key, which sees every row past row-level security:
    an admin cannot count another municipality's private processes, but they block too.
    A mirror's copies are purged first by the system (``sync_writes.purge_mirror``).
    """
    require_admin(call, _SOURCES)
    before = (
        (await session.execute(select(S).where(S.c.code == code).with_for_update()))
        .mappings()
        .first()
    )
    if before is None:
        raise rejected("NOT_FOUND", f"No source {code!r}; see the sources query.", "code")
    try:
        async with session.begin_nested():
            await session.execute(delete(S).where(S.c.code == code))
    except IntegrityError:
        raise rejected(
            "INVALID",
            f"Source {code!r} ({before['kind']}) still holds processes; a hosted source must"
            " be emptied first, so no municipality's own data is lost.",
            "code",
        ) from None
    await audit.record(session, call, "sourceRemove", "Source", code, _public(dict(before)), None)


def _public(values: dict[str, Any]) -> dict[str, Any]:
    """What the audit log keeps: settings, not run state (the secret is never here anyway)."""
    keep = set(SourceSpec.__dataclass_fields__) | {"owners"}
    return {k: v for k, v in values.items() if k in keep}
