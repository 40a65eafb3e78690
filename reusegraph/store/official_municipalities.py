"""The official municipality lists (``store/reference/*.csv``), read once per process.

Imports and syncs use them to register an owner they have not seen before from the
official record (code, name, CVR or organisasjonsnummer, region, merger) instead of
refusing the record; an owner in no list is reported, never guessed.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

_FILES = {
    "dk_municipalities.csv": "DK",
    "dk_regions.csv": "DK",
    "no_municipalities.csv": "NO",
}


@dataclass(frozen=True)
class OfficialMunicipality:
    code: str
    """Ours: ``<country>-<national number>``, e.g. DK-0746."""
    name: str
    country: str
    region: str | None
    org_number: str | None
    """CVR (DK) or organisasjonsnummer (NO); None where the list has none verified."""
    valid_to: date | None
    merged_into: str | None
    """Our code of the municipality it was merged into (or renumbered as)."""


@cache
def official_municipalities() -> tuple[OfficialMunicipality, ...]:
    found: list[OfficialMunicipality] = []
    folder = resources.files("reusegraph.store.reference")
    for name, country in _FILES.items():
        text = (folder / name).read_text(encoding="utf-8")
        lines = [line for line in io.StringIO(text) if not line.startswith("#")]
        for row in csv.DictReader(lines):
            found.append(
                OfficialMunicipality(
                    code=f"{country}-{row['code']}",
                    name=row["name"],
                    country=country,
                    region=row["region"] or None,
                    org_number=row["org_number"] or None,
                    valid_to=date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
                    merged_into=f"{country}-{row['merged_into']}" if row["merged_into"] else None,
                )
            )
    return tuple(found)


def official(code: str) -> OfficialMunicipality | None:
    return _by_code().get(code.strip().upper())


def official_name(code: str) -> str:
    found = official(code)
    return found.name if found else code


def official_by_org_number(org_number: str) -> OfficialMunicipality | None:
    return _by_org_number().get(org_number.strip())


def official_by_name(name: str, country: str | None = None) -> OfficialMunicipality | None:
    """The current municipality of that name (merged ones share names with their
    successor); None when two have it (Herøy, Våler in Norway): a code must say which."""
    key = name_key(name)
    found = [
        m
        for m in official_municipalities()
        if m.valid_to is None
        and name_key(m.name) == key
        and (country is None or m.country == country)
    ]
    return found[0] if len(found) == 1 else None


def name_key(name: str) -> str:
    """``"Klæbu kommune"``, ``"Klæbu Kommune"`` and ``"klæbu"`` are one key."""
    key = " ".join(name.casefold().split())
    for suffix in (" regionskommune", " kommune", " herad"):
        key = key.removesuffix(suffix)
    return key


@cache
def _by_code() -> dict[str, OfficialMunicipality]:
    return {m.code: m for m in official_municipalities()}


@cache
def _by_org_number() -> dict[str, OfficialMunicipality]:
    """A current municipality before an ended one with the same number."""
    ordered = sorted(official_municipalities(), key=lambda m: m.valid_to is None)
    return {m.org_number: m for m in ordered if m.org_number}
