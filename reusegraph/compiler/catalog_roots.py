"""Root connections ``vendors``, ``frameworkAgreements`` and ``networkMeetings``, and
``node`` for their types.

Their filters are the store's (``vendor_filters``, ``agreement_filters``,
``meeting_filters``) with parameters bound per request and checked by the executor's own
checks; codes that must exist are guarded as ``processes`` guards them, so an unknown one
sends the request to the executor, which names it. Both directions page: ``first``/``after``
and ``last``/``before``.
"""

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from graphql import FieldNode
from sqlalchemy import ARRAY, Date, FromClause, String, Text, Uuid, bindparam, true

from reusegraph.compiler.errors import NotCompilable
from reusegraph.compiler.objects import object_json
from reusegraph.compiler.roots import NODES, ROOTS, _connection, _known_arguments
from reusegraph.compiler.selection import Scope
from reusegraph.compiler.sql import Args, Source, base64url
from reusegraph.schema.core.ids import parse_uuid_id
from reusegraph.schema.core.pagination import checked_window
from reusegraph.schema.filters import check_municipality_code, expiry_day
from reusegraph.store import agreements, meetings, vendors
from reusegraph.store.agreements import AgreementQuery, agreement_filters
from reusegraph.store.meetings import MeetingQuery, meeting_filters
from reusegraph.store.pagination import decode_cursor
from reusegraph.store.vendors import VendorQuery, vendor_filters

_ARGUMENTS = {"filter", "first", "after", "last", "before"}


class _Filter:
    """One filter input's fields as a store query's fields, read per request."""

    def __init__(self, scope: Scope, site: int, now: dict[str, Any], known: set[str]) -> None:
        self.scope, self.site = scope, site
        self.given = {
            k: v for k, v in (now.get("filter") or {}).items() if v is not None and v != []
        }
        unknown = set(self.given) - known
        if unknown:
            raise NotCompilable(f"filter {', '.join(sorted(unknown))}")
        self.readers: dict[str, Source] = {}
        self.fields: dict[str, Any] = {}

    def value(self, name: str) -> Callable[[Args], Any]:
        return lambda args: args[self.site]["filter"][name]

    def bind(self, name: str, attribute: str, kind: Any, source: Source) -> None:
        self.readers[f"f_{name}"] = source
        self.fields[attribute] = bindparam(f"f_{name}", type_=kind)

    def enums(self, name: str, attribute: str) -> None:
        if name in self.given:
            value = self.value(name)
            self.bind(name, attribute, ARRAY(String), lambda a: [str(v.value) for v in value(a)])

    def ids(self, name: str, attribute: str, type_name: str) -> None:
        if name in self.given:
            value = self.value(name)
            self.bind(
                name,
                attribute,
                ARRAY(Uuid),
                lambda a: [parse_uuid_id(str(v), type_name, f"filter.{name}") for v in value(a)],
            )

    def codes(self, name: str, attribute: str, table: str) -> None:
        """Codes that must exist in ``table``: guarded, so an unknown one goes to the
        executor (which names it); a malformed municipality code is refused at once."""
        if name not in self.given:
            return
        value = self.value(name)

        def codes(args: Args) -> list[str]:
            found = [str(v) for v in value(args)]
            if table == "municipality":
                for code in found:
                    check_municipality_code(code, f"filter.{name}")
            return found

        self.bind(name, attribute, ARRAY(String), codes)
        listed = self.scope.params.add(codes, "text[]")
        self.scope.guards.append(
            f"NOT EXISTS (SELECT 1 FROM unnest({listed}) AS given(code)"
            f" WHERE given.code NOT IN (SELECT code FROM {table}))"
        )

    def day(self, name: str, attribute: str) -> None:
        if name in self.given:
            self.bind(name, attribute, Date, self.value(name))


def _today_or(filter_: _Filter, name: str) -> Source:
    def day(args: Args) -> date:
        chosen = (args[filter_.site]["filter"] or {}).get(name)
        return chosen if chosen is not None else date.today()

    return day


def _expiring(filter_: _Filter, name: str, attribute: str, day: Source) -> None:
    if name in filter_.given:
        months = filter_.value(name)
        filter_.bind(
            name, attribute, Date, lambda a: expiry_day(day(a), months(a), f"filter.{name}")
        )


def _listing(
    scope: Scope,
    nodes: list[FieldNode],
    site: int,
    now: dict[str, Any],
    *,
    type_name: str,
    table: FromClause,
    order: str,
    sort: str,
    sort_type: str,
    descending: bool,
    conditions: list[str],
) -> str:
    """A keyset page in the store's order with its cursors, both ways, as ``fetch_page``
    reads it: ``last`` reads the order reversed, and the connection turns the page round."""
    name = table.name  # type: ignore[attr-defined]
    backward = now.get("last") is not None

    def size(args: Args) -> int:
        given = args[site]
        window = checked_window(given["first"], given["after"], given["last"], given["before"])
        return window.last if window.last is not None else int(window.first or 0)

    first = scope.params.add(size, "int")
    where = " WHERE " + " AND ".join(f"({c})" for c in conditions) if conditions else ""
    page = list(conditions)
    for argument, ahead in (("after", descending), ("before", not descending)):
        if now.get(argument) is not None:
            value, key = _cursor(scope, site, argument, order, sort_type)
            page.append(f"({sort}, {name}.id) {'<' if ahead else '>'} ({value}, {key})")
    page_where = " WHERE " + " AND ".join(f"({c})" for c in page) if page else ""
    direction = "DESC" if descending != backward else "ASC"
    if sort_type == "date":
        sort_json = f"'{{\"d\":\"' || to_char({sort}, 'YYYY-MM-DD') || '\"}}'"
    else:
        sort_json = f"to_json({sort})::text"
    return _connection(
        scope,
        nodes,
        f"{type_name}Connection",
        table=name,
        page=f"SELECT {name}.* FROM {name}{page_where}"
        f" ORDER BY {sort} {direction}, {name}.id {direction} LIMIT {first} + 1",
        row_order=f"{sort} {direction}, {name}.id {direction}",
        cursor=base64url(f"'[\"{order}\",' || {sort_json} || ',\"' || {name}.id || '\"]'"),
        node=lambda field_nodes: object_json(scope, type_name, field_nodes, name),
        count=f"(SELECT count(*) FROM {name}{where})",
        first=first,
        after_given=now.get("after") is not None,
        backward=backward,
        before_given=now.get("before") is not None,
    )


def _cursor(scope: Scope, site: int, argument: str, order: str, sort_type: str) -> tuple[str, str]:
    """The sort value and id a cursor carries, as two parameters; one of another order or
    type is refused, and the executor names it."""

    def cursor(args: Args) -> tuple[Any, uuid.UUID]:
        value, key = decode_cursor(args[site][argument], order, argument)
        if sort_type == "date":
            if not isinstance(value, date) or isinstance(value, datetime):
                raise ValueError("cursor value is not a day")
        elif not isinstance(value, str):
            raise ValueError("cursor value is not a text")
        return value, uuid.UUID(key)

    if sort_type == "date":  # as text: asyncpg would send date.min (UNDATED) as -infinity
        value = scope.params.add(lambda args: cursor(args)[0].isoformat(), "text") + "::date"
    else:
        value = scope.params.add(lambda args: cursor(args)[0], sort_type)
    return value, scope.params.add(lambda args: cursor(args)[1], "uuid")


def vendors_root(scope: Scope, nodes: list[FieldNode]) -> str:
    site, now = scope.arguments("Query", nodes[0])
    _known_arguments(now, _ARGUMENTS, "vendors")
    f = _Filter(
        scope,
        site,
        now,
        {
            "country",
            "nameContains",
            "agreement",
            "onActiveAgreement",
            "agreementExpiringWithinMonths",
            "activeOn",
            "deliveredInDomain",
            "servesMunicipality",
        },
    )
    f.enums("country", "countries")
    if "nameContains" in f.given:
        needle = f.value("nameContains")
        f.bind("nameContains", "name_contains", Text, lambda a: str(needle(a)).lower())
    f.ids("agreement", "agreements", "FrameworkAgreement")
    if "onActiveAgreement" in f.given:
        f.fields["on_active_agreement"] = bool(f.given["onActiveAgreement"])
    today = _today_or(f, "activeOn")
    f.bind("today", "today", Date, today)
    _expiring(f, "agreementExpiringWithinMonths", "agreement_expiring_by", today)
    f.enums("deliveredInDomain", "delivered_in_domains")
    f.codes("servesMunicipality", "serves_municipalities", "municipality")
    query = VendorQuery(**f.fields)
    conditions = [
        scope.params.embed(c, vendors.V, f.readers) for c in vendor_filters(query, true())
    ]
    return _listing(
        scope,
        nodes,
        site,
        now,
        type_name="Vendor",
        table=vendors.V,
        order=vendors.ORDER,
        sort="vendor.name",
        sort_type="text",
        descending=False,
        conditions=conditions,
    )


def framework_agreements(scope: Scope, nodes: list[FieldNode]) -> str:
    site, now = scope.arguments("Query", nodes[0])
    _known_arguments(now, _ARGUMENTS, "frameworkAgreements")
    f = _Filter(
        scope,
        site,
        now,
        {"municipality", "vendor", "kind", "activeOn", "expiringWithinMonths", "hasOptionsLeft"},
    )
    f.codes("municipality", "municipalities", "municipality")
    f.ids("vendor", "vendors", "Vendor")
    f.enums("kind", "kinds")
    day = _today_or(f, "activeOn")
    if "activeOn" in f.given or "expiringWithinMonths" in f.given:
        f.bind("activeOn", "active_on", Date, day)
    _expiring(f, "expiringWithinMonths", "expiring_by", day)
    if "hasOptionsLeft" in f.given:
        f.fields["with_options_left"] = bool(f.given["hasOptionsLeft"])
    query = AgreementQuery(**f.fields)
    table = agreements.A
    conditions = [scope.params.embed(c, table, f.readers) for c in agreement_filters(query)]
    return _listing(
        scope,
        nodes,
        site,
        now,
        type_name="FrameworkAgreement",
        table=table,
        order=agreements.ORDER,
        sort="framework_agreement.start_date",
        sort_type="date",
        descending=True,
        conditions=conditions,
    )


def network_meetings(scope: Scope, nodes: list[FieldNode]) -> str:
    site, now = scope.arguments("Query", nodes[0])
    _known_arguments(now, _ARGUMENTS, "networkMeetings")
    f = _Filter(scope, site, now, {"municipality", "itSystem", "heldFrom", "heldTo"})
    f.codes("municipality", "municipalities", "municipality")
    f.codes("itSystem", "it_systems", "it_system")
    f.day("heldFrom", "held_from")
    f.day("heldTo", "held_to")
    query = MeetingQuery(**f.fields)
    table = meetings.N
    conditions = [scope.params.embed(c, table, f.readers) for c in meeting_filters(query)]
    return _listing(
        scope,
        nodes,
        site,
        now,
        type_name="NetworkMeeting",
        table=table,
        order=meetings.ORDER,
        sort=f"coalesce(network_meeting.held_on, DATE '{meetings.UNDATED.isoformat()}')",
        sort_type="date",
        descending=True,
        conditions=conditions,
    )


NODES.update(
    {
        "Vendor": ("vendor", "uuid"),
        "FrameworkAgreement": ("framework_agreement", "uuid"),
        "NetworkMeeting": ("network_meeting", "uuid"),
    }
)
ROOTS.update(
    {
        "vendors": vendors_root,
        "frameworkAgreements": framework_agreements,
        "networkMeetings": network_meetings,
    }
)
