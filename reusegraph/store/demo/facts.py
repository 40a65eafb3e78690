"""The real cases from the source documents (``shared/domain/facts.md``) as plain rows.

Ids are ``uuid5`` of a readable key under ``DEMO_NAMESPACE``, so a reload (or a second
database) gives every fact the same id, and tests and example queries can name them.

FTE hours per year are a setting per municipality because the sources convert hours to
FTE differently. Denmark: 1 924 h (37 h x 52 weeks, the usual Danish full-time norm).
Norway: 1 695 h, from Trondheim's own figure "1 100 hours a month = about 7.8 FTE"
(13 200 / 7.8 = 1 692 h, rounded to the common 1 695 h norm). The same source's "400 hours
a month = about 2.5 FTE" implies 1 920 h; we keep one value per municipality and accept
that this second figure comes back as ~2.8 FTE.
"""

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from reusegraph.store.demo import catalog
from reusegraph.store.demo.rows import DEMO_EPOCH, TABLES, DemoRows, Row, complete, process_row
from reusegraph.store.enums import (
    AgreementKind,
    Domain,
    Phase,
    ReuseKind,
    SourceKind,
    Status,
    Visibility,
)
from reusegraph.store.official_municipalities import official

DEMO_NAMESPACE = uuid.UUID("6f1d7c2e-5b7a-4c51-9a0e-2d8f3c4b9e10")
SOURCE_CODE = "demo"
FTE_HOURS = {"DK": Decimal("1924"), "NO": Decimal("1695")}
CURRENCY = {"DK": "DKK", "NO": "NOK"}


def demo_id(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, f"{kind}:{key}")


def process_id(code: str, slug: str) -> uuid.UUID:
    return demo_id("process", f"{code}/{slug}")


def at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=DEMO_EPOCH.tzinfo)


SOURCE: Row = complete(
    TABLES["sources"],
    {
        "code": SOURCE_CODE,
        "name": "reusegraph demo data (hosted)",
        "kind": SourceKind.HOSTED.value,
        "stale_after_seconds": 86400,
        "record_count": 0,
    },
)

# code, name, region, population band, org number (None: the official list's, if it has one),
# merged into, note
_MUNICIPALITIES: list[tuple[str, str, str, str, str | None, str | None, str | None]] = [
    ("DK-0746", "Skanderborg Kommune", "Region Midtjylland", "BELOW_100000", None, None, None),
    ("DK-0706", "Syddjurs Kommune", "Region Midtjylland", "BELOW_45000", None, None, None),
    ("DK-0730", "Randers Kommune", "Region Midtjylland", "BELOW_100000", None, None, None),
    ("NO-5001", "Trondheim kommune", "Trøndelag", "ABOVE_100000", "942110464", None, None),
    (
        "NO-5030",
        "Klæbu kommune",
        "Trøndelag",
        "BELOW_30000",
        None,
        "NO-5001",
        "Slått sammen med Trondheim kommune 1. januar 2020 (kommunereformen). Søkte midler"
        " til robotiseringsprosjektet sammen med Trondheim.",
    ),
    ("NO-0301", "Oslo kommune", "Oslo", "ABOVE_100000", "958935420", None, None),
    ("NO-4601", "Bergen kommune", "Vestland", "ABOVE_100000", "964338531", None, None),
    ("NO-1103", "Stavanger kommune", "Rogaland", "ABOVE_100000", "964965226", None, None),
    ("NO-1804", "Bodø kommune", "Nordland", "BELOW_60000", "972418013", None, None),
]

MUNICIPALITY_CODES = [m[0] for m in _MUNICIPALITIES]

_TECHNOLOGIES: dict[str, list[str]] = {
    "DK-0746": ["rpa"],
    "DK-0706": ["rpa"],
    "DK-0730": ["rpa"],
    "NO-5001": ["rpa", "webform"],
    "NO-5030": ["rpa"],
    "NO-0301": ["rpa"],
    "NO-4601": ["rpa"],
    "NO-1103": ["rpa"],
    "NO-1804": ["rpa"],
}

_IT_SYSTEMS: dict[str, list[str]] = {
    "DK-0746": ["okonomisystem", "esdh"],
    "DK-0706": ["okonomisystem", "esdh"],
    "DK-0730": ["okonomisystem", "esdh"],
    "NO-5001": [
        "sofie",
        "esa",
        "hspro",
        "systemx",
        "tk-arkiv",
        "tk-nett",
        "elevnett",
        "vaksinebooking",
        "lonnssystem",
    ],
    "NO-5030": ["esa"],
    "NO-0301": ["sofie"],
    "NO-4601": ["sofie"],
}

VENDOR_NAMES = [
    "Atea AS",
    "AVO Consulting AS",
    "Capgemini Norge AS",
    "Digital Workforce AS",
    "Ernst & Young AS",
    "Experis AS",
    "Infonett Røros AS",
    "KPMG AS",
]
AVO_ID = demo_id("vendor", "AVO Consulting AS")
FRAMEWORK_ID = demo_id("agreement", "NO-5001/rammeavtale-rpa-2019")
PILOT_ID = demo_id("agreement", "NO-5001/pilot-avo-2018")


def _official_org_number(code: str) -> str | None:
    """The CVR or organisasjonsnummer the shipped official list gives (store/reference)."""
    listed = official(code)
    return listed.org_number if listed is not None else None


def _municipalities(rows: DemoRows) -> None:
    for code, name, region, band, org, merged, note in _MUNICIPALITIES:
        country = code[:2]
        rows.municipalities.append(
            complete(
                TABLES["municipalities"],
                {
                    "code": code,
                    "name": name,
                    "country": country,
                    "org_number": org or _official_org_number(code),
                    "region": region,
                    "population_band": band,
                    "fte_hours_per_year": FTE_HOURS[country],
                    "currency": CURRENCY[country],
                    "source_code": SOURCE_CODE,
                    "note": note,
                    "merged_into_code": merged,
                    "created_at": DEMO_EPOCH,
                    "updated_at": DEMO_EPOCH,
                },
            )
        )
        rows.source_owners.append({"source_code": SOURCE_CODE, "municipality_code": code})
        rows.municipality_technologies.extend(
            {"municipality_code": code, "technology_code": t} for t in _TECHNOLOGIES[code]
        )
        rows.municipality_it_systems.extend(
            {"municipality_code": code, "it_system_code": s} for s in _IT_SYSTEMS.get(code, [])
        )


def _agreements(rows: DemoRows) -> None:
    for name in VENDOR_NAMES:
        rows.vendors.append(
            complete(
                TABLES["vendors"],
                {"id": demo_id("vendor", name), "name": name, "country": "NO"},
            )
        )
    rows.agreements.append(
        complete(
            TABLES["agreements"],
            {
                "id": FRAMEWORK_ID,
                "kind": AgreementKind.FRAMEWORK.value,
                "title": "Rammeavtale RPA-tjenester (robotisering)",
                "subject": "RPA-tjenester",
                "description": "Trondheim kommune ved IT-tjenesten har tildelt rammeavtale på"
                " RPA-tjenester (robotisering) gjeldende fra 01.04.2019 og i 2 år med opsjon"
                " på 1+1 år.",
                "start_date": date(2019, 4, 1),
                "initial_term_months": 24,
                "option_months": [12, 12],
                # The source does not say whether the options were exercised.
                "options_exercised": 0,
                # The source only says "signed in week 13" (2019-03-25..31); we pick the Friday.
                "signed_on": date(2019, 3, 29),
            },
        )
    )
    rows.agreement_parties.append({"agreement_id": FRAMEWORK_ID, "municipality_code": "NO-5001"})
    rows.agreement_vendors.extend(
        {"agreement_id": FRAMEWORK_ID, "vendor_id": demo_id("vendor", name)}
        for name in VENDOR_NAMES
    )
    for title, kind in [
        ("Konkurransegrunnlag", "tender_basis"),
        ("Kravspesifikasjon", "requirements_specification"),
    ]:
        rows.agreement_documents.append(
            complete(
                TABLES["agreement_documents"],
                {
                    "id": demo_id("agreement-document", f"{FRAMEWORK_ID}/{kind}"),
                    "agreement_id": FRAMEWORK_ID,
                    "title": title,
                    "kind": kind,
                },
            )
        )
    rows.agreements.append(
        complete(
            TABLES["agreements"],
            {
                "id": PILOT_ID,
                "kind": AgreementKind.CONTRACT.value,
                "title": "Avtale om RPA-pilot (robotiseringsprosjektet Trondheim og Klæbu)",
                "subject": "RPA-pilot",
                "description": "Avtalen med AVO Consulting ble underskrevet 4. mai 2018."
                " Prosjektperioden gikk fram til jul 2018.",
                "start_date": date(2018, 5, 4),
                # Not in the source: a plausible one-year term for a pilot.
                "initial_term_months": 12,
                "option_months": [],
                "options_exercised": 0,
                "signed_on": date(2018, 5, 4),
            },
        )
    )
    rows.agreement_parties.extend(
        {"agreement_id": PILOT_ID, "municipality_code": code} for code in ("NO-5001", "NO-5030")
    )
    rows.agreement_vendors.append({"agreement_id": PILOT_ID, "vendor_id": AVO_ID})


_DK_COMMON: dict[str, Any] = {
    "domains": [Domain.ECONOMY.value, Domain.EMPLOYMENT.value],
    # KLE: the source gives none; 27.24.00 is our plausible pick (not verified against KLE).
    "kle": "27.24.00",
    "phase": Phase.OPERATION.value,
    "status": Status.INPROGRESS.value,
    "visibility": Visibility.PUBLIC.value,
    "search_words": "lægeerklæringer, lægeregninger, fakturaer, fakturagodkendelse, RPA",
    "source_code": SOURCE_CODE,
}

_DK_PROCESSES: list[tuple[str, str, str, str, int, date]] = [
    (
        "DK-0746",
        "Godkendelse af fakturaer på lægeerklæringer",
        "RPA-robot der godkender fakturaer på lægeerklæringer.",
        "Skanderborg Kommune udviklede en RPA-robot til godkendelse af fakturaer på"
        " lægeerklæringer. Løsningen blev delt i OS2autoproces, hvor Syddjurs Kommune og"
        " derefter Randers Kommune genbrugte byggeklodser fra den.",
        320,
        date(2018, 9, 30),
    ),
    (
        "DK-0706",
        "Godkendelse af fakturaer på lægeerklæringer (genbrug fra Skanderborg)",
        "Betaling af lægeregninger: genbrug af byggeklodser fra Skanderborgs robot til"
        " godkendelse af fakturaer på lægeerklæringer.",
        "Syddjurs Kommune ventede med at digitalisere betalingen af lægeregninger, indtil"
        " OS2autoproces kom i drift. Kommunen genbrugte byggeklodser fra Skanderborgs robot til"
        " godkendelse af fakturaer på lægeerklæringer og byggede kun de trin, hvor processen"
        " adskilte sig. Procesanalysen krævede færre timer, end Skanderborg havde brugt.",
        190,
        date(2018, 11, 15),
    ),
    (
        "DK-0730",
        "Betaling af lægeregninger: fakturaer på lægeerklæringer",
        "Genbrug af velafprøvet kode til godkendelse af fakturaer på lægeerklæringer.",
        "Randers Kommune fandt byggeklodser i OS2autoproces, der passede ind som delelementer i"
        " den samlede proces for fakturaer på lægeerklæringer. Kommunen digitaliserede kun de"
        " aktiviteter, hvor den skilte sig ud, og genbrugte velafprøvet kode på resten.",
        170,
        date(2019, 1, 15),
    ),
]

DK_SLUG = "laegeerklaeringer"
SKANDERBORG_PROCESS_ID = process_id("DK-0746", DK_SLUG)
SYDDJURS_PROCESS_ID = process_id("DK-0706", DK_SLUG)
RANDERS_PROCESS_ID = process_id("DK-0730", DK_SLUG)


def _danish_processes(rows: DemoRows) -> None:
    for code, title, summary, description, dev_hours, created in _DK_PROCESSES:
        pid = process_id(code, DK_SLUG)
        rows.processes.append(
            process_row(
                id=pid,
                municipality_code=code,
                title=title,
                summary=summary,
                description=description,
                development_hours=Decimal(dev_hours),
                technical_implementation_notes="Udviklingstimer er illustrative (demodata).",
                contact_name="Digitaliseringsteamet",
                contact_email=f"digitalisering-{code.lower()}@example.org",
                source_id=f"fact:{code}/{DK_SLUG}",
                created_at=at(created),
                updated_at=at(date(2019, 3, 18)),
                extras={"demo": "fact", "source": "OS2 article 2019-03-18"},
                **_DK_COMMON,
            )
        )
        rows.process_technologies.append({"process_id": pid, "technology_code": "rpa"})
        rows.process_it_systems.extend(
            {"process_id": pid, "it_system_code": s} for s in ("okonomisystem", "esdh")
        )
    rows.reuse_links.append(
        reuse_link(
            SYDDJURS_PROCESS_ID,
            SKANDERBORG_PROCESS_ID,
            ReuseKind.BUILDING_BLOCKS,
            "Syddjurs genbrugte byggeklodser fra Skanderborgs robot og byggede kun de trin,"
            " hvor processen adskilte sig. Der blev brugt færre timer på procesanalysen, end"
            " Skanderborg havde brugt.",
            date(2018, 11, 15),
        )
    )
    rows.reuse_links.append(
        reuse_link(
            RANDERS_PROCESS_ID,
            SYDDJURS_PROCESS_ID,
            ReuseKind.BUILDING_BLOCKS,
            "Randers genbrugte dele af løsningen efter Syddjurs ('stjal' velafprøvet kode) og"
            " digitaliserede kun de aktiviteter, hvor Randers skilte sig ud.",
            date(2019, 1, 15),
        )
    )


def reuse_link(
    derived: uuid.UUID, origin: uuid.UUID, kind: ReuseKind, note: str, created: date
) -> Row:
    """``reused_on`` stays NULL: the sources give the order of reuse, never its date."""
    return complete(
        TABLES["reuse_links"],
        {
            "id": demo_id("reuse", f"{derived}->{origin}"),
            "derived_id": derived,
            "origin_id": origin,
            "kind": kind.value,
            "note": note,
            "created_at": at(created),
        },
    )


def build() -> DemoRows:
    """All facts, in insertion order. Trondheim's processes and meetings live next door."""
    from reusegraph.store.demo import facts_meetings, facts_trondheim

    rows = DemoRows()
    rows.sources.append(dict(SOURCE))
    rows.technologies.extend(catalog.TECHNOLOGIES)
    rows.it_systems.extend(catalog.IT_SYSTEMS)
    _municipalities(rows)
    _agreements(rows)
    _danish_processes(rows)
    facts_trondheim.add(rows)
    facts_meetings.add(rows)
    return rows
