"""``municipalities(filter:)``: the store's filters (``store.municipalities``), bound per
request, after the executor's own checks of the values.

Codes of technologies and IT systems must be registered: a guard in the statement, so an
unknown one sends the request to the executor, which names it in its error.
"""

from typing import Any

from sqlalchemy import ARRAY, String, Text, bindparam

from reusegraph.compiler.errors import NotCompilable
from reusegraph.compiler.selection import Scope
from reusegraph.compiler.sql import Args, Source
from reusegraph.schema.filters import check_municipality_code
from reusegraph.store.municipalities import M, MunicipalityQuery, contains_pattern
from reusegraph.store.municipalities import municipality_filters as store_filters

_REGISTRY = {"usesTechnology": "technology", "usesItSystem": "it_system"}
_KNOWN = {"code", "country", "nameContains", "usesTechnology", "usesItSystem"}
_ATTRIBUTES = {"usesTechnology": "uses_technologies", "usesItSystem": "uses_it_systems"}


def _filter(site: int, name: str, args: Args) -> Any:
    return args[site]["filter"][name]


def _codes(site: int) -> Source:
    def codes(args: Args) -> list[str]:
        values = [str(code) for code in _filter(site, "code", args)]
        for code in values:
            check_municipality_code(code, "filter.code")
        return values

    return codes


def _registered(site: int, name: str) -> Source:
    return lambda args: [str(code) for code in _filter(site, name, args)]


def municipality_filters(scope: Scope, site: int, now: dict[str, Any]) -> list[str]:
    """The conditions over ``municipality`` for this site's ``filter``."""
    given = {k: v for k, v in (now.get("filter") or {}).items() if v is not None and v != []}
    unknown = set(given) - _KNOWN
    if unknown:
        raise NotCompilable(f"municipalities filter {', '.join(sorted(unknown))}")
    readers: dict[str, Source] = {}
    fields: dict[str, Any] = {}
    if "code" in given:
        readers["m_code"] = _codes(site)
        fields["codes"] = bindparam("m_code", type_=ARRAY(String))
    if "country" in given:
        readers["m_country"] = lambda args: [str(c.value) for c in _filter(site, "country", args)]
        fields["countries"] = bindparam("m_country", type_=ARRAY(String))
    if "nameContains" in given:
        if not str(given["nameContains"]).strip():
            raise NotCompilable("a blank nameContains (the executor tells '' from ' ')")
        readers["m_name"] = lambda args: contains_pattern(_filter(site, "nameContains", args))
        fields["name_contains"] = bindparam("m_name", type_=Text)
    for name, attribute in _ATTRIBUTES.items():
        if name in given:
            codes = _registered(site, name)
            readers[f"m_{name}"] = codes
            fields[attribute] = bindparam(f"m_{name}", type_=ARRAY(String))
            listed = scope.params.add(codes, "text[]")
            scope.guards.append(
                f"NOT EXISTS (SELECT 1 FROM unnest({listed}) AS given(code)"
                f" WHERE given.code NOT IN (SELECT code FROM {_REGISTRY[name]}))"
            )
    query = MunicipalityQuery(**fields)
    return [scope.params.embed(c, M, readers) for c in store_filters(query)]
