"""Fictional organisations of the filler: municipalities, vendors and framework agreements.

Split from ``filler`` because processes need these rows inserted first (foreign keys) and
the per-municipality process chunks need to know which agreements a municipality is on.
"""

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple, TypeVar

from reusegraph.store.demo import catalog
from reusegraph.store.demo import filler_templates as tpl
from reusegraph.store.demo.facts import CURRENCY, FTE_HOURS, SOURCE, SOURCE_CODE, demo_id
from reusegraph.store.demo.rows import TABLES, DemoRows, complete
from reusegraph.store.enums import AgreementKind, PopulationBand

T = TypeVar("T")
MAX_PER_COUNTRY = 100
FIRST_NUMBER = {"DK": 900, "NO": 9900}  # DK-0900.., NO-9900..: no real municipality there
AgreementsOf = dict[str, list[tuple[uuid.UUID, list[uuid.UUID]]]]


class Muni(NamedTuple):
    code: str
    name: str
    country: str


def pick(rng: random.Random, weighted: list[tuple[T, int]]) -> T:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def stamp(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randint(7, 16), rng.randint(0, 59)), tzinfo=UTC)


def municipalities(seed: int, per_country: int) -> list[Muni]:
    if not 0 < per_country <= MAX_PER_COUNTRY:
        raise ValueError(f"municipalities_per_country must be 1..{MAX_PER_COUNTRY}")
    out: list[Muni] = []
    for country in ("DK", "NO"):
        rng = random.Random(f"{seed}:names:{country}")
        prefixes, suffixes = tpl.PLACE_PARTS[country]
        names = [p + s for p in prefixes for s in suffixes]
        rng.shuffle(names)
        word = "Kommune" if country == "DK" else "kommune"
        out += [
            Muni(
                f"{country}-{FIRST_NUMBER[country] + i:04d}", f"{names[i]} {word} (fiktiv)", country
            )
            for i in range(per_country)
        ]
    return out


def vendor_ids() -> dict[str, list[uuid.UUID]]:
    return {c: [demo_id("filler-vendor", n) for n in names] for c, names in tpl.VENDORS.items()}


def shared_rows(seed: int, munis: list[Muni]) -> tuple[DemoRows, AgreementsOf]:
    """Source, vocabularies, municipalities, vendors, agreements: everything processes need."""
    rows = DemoRows(
        sources=[dict(SOURCE)],
        technologies=list(catalog.TECHNOLOGIES),
        it_systems=list(catalog.IT_SYSTEMS),
    )
    rng = random.Random(f"{seed}:municipalities")
    registered = datetime(2022, 1, 3, tzinfo=UTC)
    for m in munis:
        rows.municipalities.append(
            complete(
                TABLES["municipalities"],
                {
                    "code": m.code,
                    "name": m.name,
                    "country": m.country,
                    "region": rng.choice(tpl.REGIONS[m.country]),
                    "population_band": rng.choice(list(PopulationBand)).value,
                    "fte_hours_per_year": FTE_HOURS[m.country],
                    "currency": CURRENCY[m.country],
                    "source_code": SOURCE_CODE,
                    "note": "Fiktiv kommune (demodata).",
                    "created_at": registered,
                    "updated_at": registered,
                },
            )
        )
        rows.source_owners.append({"source_code": SOURCE_CODE, "municipality_code": m.code})
        techs = ["rpa", *rng.sample(["api", "ocr", "ml", "chatbot", "webform", "lowcode"], 2)]
        rows.municipality_technologies += [
            {"municipality_code": m.code, "technology_code": t} for t in techs
        ]
        systems = tpl.MUNICIPALITY_SYSTEMS[m.country]
        rows.municipality_it_systems += [
            {"municipality_code": m.code, "it_system_code": s}
            for s in rng.sample(systems, rng.randint(2, 5))
        ]
    vendors = vendor_ids()
    for country, names in tpl.VENDORS.items():
        rows.vendors += [
            complete(TABLES["vendors"], {"id": vid, "name": name, "country": country})
            for vid, name in zip(vendors[country], names, strict=True)
        ]
    return rows, _agreements(seed, rows, rng, munis, vendors)


_TERMS = [  # start, initial term, options, options exercised
    (date(2022, 1, 1), 24, [12, 12], 1),
    (date(2023, 9, 1), 36, [12], 0),
    (date(2021, 6, 1), 24, [12, 12], 2),
    (date(2024, 1, 1), 24, [24], 0),
]


def _agreements(
    seed: int,
    rows: DemoRows,
    rng: random.Random,
    munis: list[Muni],
    vendors: dict[str, list[uuid.UUID]],
) -> AgreementsOf:
    agreements_of: AgreementsOf = {}
    terms = iter(_TERMS)
    for country in ("DK", "NO"):
        codes = [m.code for m in munis if m.country == country]
        for i, (title, subject) in enumerate(tpl.AGREEMENTS[country]):
            start, initial, options, exercised = next(terms)
            aid = demo_id("filler-agreement", f"{seed}:{country}:{i}")
            if i == 0:  # a big joint procurement: the first half of the country's municipalities
                parties = codes[: max(1, len(codes) // 2)]
            else:
                parties = rng.sample(codes, min(len(codes), rng.randint(4, 8)))
            chosen = rng.sample(vendors[country], 3 - i)
            rows.agreements.append(
                complete(
                    TABLES["agreements"],
                    {
                        "id": aid,
                        "kind": AgreementKind.FRAMEWORK.value,
                        "title": title,
                        "subject": subject,
                        "description": "Fiktiv rammeaftale/rammeavtale (demodata).",
                        "start_date": start,
                        "initial_term_months": initial,
                        "option_months": options,
                        "options_exercised": exercised,
                        "signed_on": start - timedelta(days=20),
                    },
                )
            )
            rows.agreement_parties += [
                {"agreement_id": aid, "municipality_code": c} for c in parties
            ]
            rows.agreement_vendors += [{"agreement_id": aid, "vendor_id": v} for v in chosen]
            rows.agreement_documents += [
                complete(
                    TABLES["agreement_documents"],
                    {
                        "id": demo_id("filler-agreement-document", f"{aid}/{kind}"),
                        "agreement_id": aid,
                        "title": doc,
                        "kind": kind,
                    },
                )
                for doc, kind in tpl.AGREEMENT_DOCUMENTS[country]
            ]
            for code in parties:
                agreements_of.setdefault(code, []).append((aid, chosen))
    return agreements_of
