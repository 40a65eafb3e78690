"""Trondheim's network meetings (project blog 2018-2022).

``held_on`` stays NULL where the blog gives no date (most posts say only "i dag", today).
Trondheim hosts the meetings the blog reports as its own (network meeting, union briefings,
workshops); the pilot "samling" and the meeting with the Tax Directorate have no host,
since the blog does not say who organised them. People are named by role, never by name.
"""

import uuid
from datetime import date
from typing import Any

from reusegraph.store.demo.facts import demo_id
from reusegraph.store.demo.facts_trondheim import (
    PAYROLL_SLUGS,
    TRONDHEIM,
    USER_ADMIN_SLUGS,
    WORKSHOP_SLUGS,
    pid,
)
from reusegraph.store.demo.rows import TABLES, DemoRows, complete


def _meeting(rows: DemoRows, key: str, participants: list[str], **values: Any) -> uuid.UUID:
    mid = demo_id("meeting", key)
    rows.meetings.append(complete(TABLES["meetings"], {"id": mid, **values}))
    rows.meeting_participants.extend(
        {"meeting_id": mid, "municipality_code": code} for code in participants
    )
    return mid


def add(rows: DemoRows) -> None:
    _meeting(
        rows,
        "rpa-nettverkssamling",
        [TRONDHEIM, "NO-0301", "NO-1103", "NO-1804"],
        title="RPA nettverkssamling",
        host_code=TRONDHEIM,
        topics=[
            "Dele RPA-erfaringer",
            "Hva den enkelte kommune har gjort",
            "Utfordringer",
            "Videre planer",
            "Bli kjent med hverandre",
        ],
        outcome="Lettere å ta kontakt med hverandre i hverdagen; ønske om flere samlinger.",
    )
    pilot = _meeting(
        rows,
        "samling-rpa-pilot",
        [TRONDHEIM, "NO-5030"],
        title="Samling: presentasjon av RPA-piloten i Trondheim/Klæbu",
        topics=["RPA-piloten i Trondheim og Klæbu"],
    )
    rows.meeting_presentations.append(
        complete(
            TABLES["meeting_presentations"],
            {
                "id": demo_id("presentation", "samling-rpa-pilot"),
                "meeting_id": pilot,
                "presenter_code": TRONDHEIM,
                "title": "Vår RPA-pilot (Trondheim/Klæbu)",
            },
        )
    )
    sofie = _meeting(
        rows,
        "skd-sofie-citrix",
        ["NO-4601", "NO-0301", TRONDHEIM],
        title="Møte med Skattedirektoratet om SOFIE på Citrix",
        topics=["RPA-tilgang til SOFIE som kjører på Citrix"],
        external_participants=["Skattedirektoratet (SKD)"],
        outcome="En løsning for RPA-tilgang til SOFIE ble funnet og testet hos Oslo kommune.",
    )
    rows.meeting_it_systems.append({"meeting_id": sofie, "it_system_code": "sofie"})
    rows.meeting_processes.append({"meeting_id": sofie, "process_id": pid("arkivering-sofie-esa")})
    _meeting(
        rows,
        "plasstillitsvalgte-2018-06-11",
        [TRONDHEIM],
        title="Informasjonsmøte med plasstillitsvalgte om robotiseringsprosjektet",
        held_on=date(2018, 6, 11),
        host_code=TRONDHEIM,
        topics=["Robotiseringsprosjektet", "Involvering av tillitsvalgte"],
        external_participants=[
            "Plasstillitsvalgte ved Kemneren",
            "Plasstillitsvalgte ved Byarkivet",
            "Plasstillitsvalgte ved Bystyresekretariatet",
        ],
        outcome="Positiv holdning. Ønske om eget møte med hovedtillitsvalgte og informasjonsmøter"
        " ute på enhetene.",
    )
    ten = _meeting(
        rows,
        "10er-gruppa",
        [TRONDHEIM],
        title="Orientering for 10'er gruppa om robotiseringsprosjektet",
        host_code=TRONDHEIM,
        topics=["Robotiseringsprosjektet"],
        external_participants=["10'er gruppa (arbeidstakerorganisasjonene)"],
        outcome="Positivt mottatt. Verneombud skal heretter involveres på samme måte som"
        " tillitsvalgte.",
    )
    rows.meeting_presentations.append(
        complete(
            TABLES["meeting_presentations"],
            {
                "id": demo_id("presentation", "10er-gruppa"),
                "meeting_id": ten,
                "presenter_code": TRONDHEIM,
                "title": "Robotiseringsprosjektet (IT-sjefen orienterer)",
            },
        )
    )
    workshop = _meeting(
        rows,
        "workshop-2018-05-16",
        [TRONDHEIM],
        title="Workshop: identifisering av prosesser for robotisering",
        held_on=date(2018, 5, 16),
        host_code=TRONDHEIM,
        topics=["Identifisere arbeidsprosesser som kan være aktuelle for robotisering"],
        external_participants=[],
        outcome="Kemneren, Byarkivet og Bystyresekretariatet identifiserte 16 prosesser. Etter"
        " scoring: Arkivering SOFIE til ESA, Restansekontroll i arkiv og Saksprotokoller.",
    )
    rows.meeting_processes.extend(
        {"meeting_id": workshop, "process_id": pid(slug)} for slug in WORKSHOP_SLUGS
    )
    mapping = _meeting(
        rows,
        "workshop-lonn-brukeradministrasjon",
        [TRONDHEIM],
        title="Kartlegging av prosesser for lønn og brukeradministrasjon",
        host_code=TRONDHEIM,
        topics=["Lønn", "Brukeradministrasjon"],
    )
    rows.meeting_processes.extend(
        {"meeting_id": mapping, "process_id": pid(slug)}
        for slug in [*USER_ADMIN_SLUGS, *PAYROLL_SLUGS]
    )
