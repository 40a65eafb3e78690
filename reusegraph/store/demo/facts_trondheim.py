"""Trondheim/Klæbu's RPA programme (project blog 2018-2022): processes and their reuse.

Where the blog is silent (production dates of the archive processes, the nine processes of
2022), rows are marked ``extras.demo = "illustrative"`` or say "antatt" (assumed), so
nobody mistakes a demo choice for a sourced fact.
"""

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from reusegraph.store.demo import facts_benefits
from reusegraph.store.demo.facts import (
    AVO_ID,
    FRAMEWORK_ID,
    PILOT_ID,
    SOURCE_CODE,
    at,
    process_id,
    reuse_link,
)
from reusegraph.store.demo.rows import DemoRows, Row, process_row
from reusegraph.store.enums import Domain, Phase, ReuseKind, Status, Visibility

TRONDHEIM = "NO-5001"
_OPERATION = {"phase": Phase.OPERATION.value, "status": Status.INPROGRESS.value}

# slug, title, department, domains, it systems, technologies, extra columns
_Spec = tuple[str, str, str | None, list[Domain], list[str], list[str], dict[str, Any]]

_PRODUCTION: list[_Spec] = [
    (
        "kontrollrapport-lonn",
        "Kontrollrapport lønn",
        "Lønn",
        [Domain.HR, Domain.ECONOMY],
        ["lonnssystem"],
        ["rpa"],
        {
            "summary": "Roboten Roger lager kontrollrapporten etter hver lønnskjøring.",
            "description": "Prosessen Kontrollrapport lønn er satt i produksjon. Roboten Roger"
            " fikk sine første saker etter lønnskjøringen 6. desember 2018.",
            "put_into_operation": date(2018, 12, 6),
            "vendor_id": AVO_ID,
            "agreement_id": PILOT_ID,
        },
    ),
    (
        "arkivering-sofie-esa",
        "Arkivering SOFIE til ESA",
        "Kemneren",
        [Domain.ECONOMY, Domain.ADMINISTRATION],
        ["sofie", "esa"],
        ["rpa"],
        {
            "summary": "Arkiverer saker fra SOFIE (Skattedirektoratets system) i ESA.",
            "description": "SOFIE er Skattedirektoratets system for skattesaker og kjører på"
            " Citrix, som gjør det utfordrende for RPA-programvaren å få tilgang. Bergen, Oslo og"
            " Trondheim gikk sammen i møte med Skattedirektoratet; en løsning ble testet hos Oslo"
            " kommune. ESA-delen ble bygget først og deler funksjonalitet med Restansekontroll"
            " i arkiv hos Byarkivet.",
            "process_challenges": "SOFIE kjører på Citrix; RPA-programvaren når den vanskelig.",
            "rating_comment": "Høyest score etter workshop 16. mai 2018 (Kemneren).",
            # Planned "right after the summer holiday"; the actual date is not in the source.
            "put_into_operation": date(2019, 5, 6),
            "status_text": "Produksjonsdato antatt (demodata).",
            "vendor_id": AVO_ID,
            "agreement_id": FRAMEWORK_ID,
        },
    ),
    (
        "restansekontroll-arkiv",
        "Restansekontroll i arkiv",
        "Byarkivet",
        [Domain.ADMINISTRATION],
        ["esa"],
        ["rpa"],
        {
            "summary": "Kontroll av restanser i arkivet (ESA), valgt ut for robotisering.",
            "description": "Valgt for robotisering etter scoring. Gjenbruker ESA-funksjonalitet"
            " fra Arkivering SOFIE til ESA hos Kemneren.",
            "put_into_operation": date(2019, 3, 4),
            "status_text": "Produksjonsdato antatt (demodata).",
            "vendor_id": AVO_ID,
            "agreement_id": PILOT_ID,
        },
    ),
]

_COVID_COMMON: dict[str, Any] = {
    "put_into_operation": date(2021, 4, 1),  # built in Q1 2021; April is our assumption
    "agreement_id": FRAMEWORK_ID,
    "automation_percentage": 100,
    "targets_citizens": True,
    "organizational_implementation_notes": "Utviklet av IT-tjenesten i 1. kvartal 2021.",
}

_COVID: list[_Spec] = [
    (
        "covid19-test",
        "Covid-19 test: opprette smittevernjournal i HsPro",
        "Helse",
        [Domain.HEALTH],
        ["hspro"],
        ["rpa"],
        {
            "summary": "Roboten sjekker om innbyggere som har tatt covid-19-test har"
            " smittevernjournal i HsPro, og oppretter den hvis den mangler.",
            "description": "1 000 til 1 500 tester pr. dag. Tidligere jobbet i snitt 5 personer"
            " på fulltid pluss overtid med dette. Besparelse ca. 1 100 timer pr. måned,"
            " ca. 7,8 årsverk.",
            "runs_per_year": 456250,
            "minutes_per_run": Decimal("1.8"),
            "employees_doing_process": 5,
            **_COVID_COMMON,
        },
    ),
    (
        "covid19-vaksine",
        "Covid-19 vaksine: smittevernjournal og vaksineregistrering i HsPro",
        "Helse",
        [Domain.HEALTH],
        ["hspro", "vaksinebooking"],
        ["rpa", "webform"],
        {
            "summary": "Gjenbruker covid-19-testprosessen: journal opprettes fra bookingen før"
            " timen, og et webskjema lar helsearbeideren registrere vaksinen som roboten legger"
            " inn i HsPro.",
            "description": "Todelt prosess. Del 1 gjenbruker RPA-prosessen for covid-19 test:"
            " roboten får input fra bookingløsningen og oppretter smittevernjournal før"
            " innbyggeren møter. Del 2: helsearbeideren registrerer vaksinasjonen i et enkelt"
            " webskjema, og roboten registrerer alt i HsPro.",
            "runs_per_year": 216000,
            "minutes_per_run": Decimal("1.0"),
            **_COVID_COMMON,
        },
    ),
    (
        "covid19-refusjon",
        "Covid-19 refusjon: regningskort i SystemX (HELFO)",
        "Helse",
        [Domain.HEALTH, Domain.ECONOMY],
        ["systemx"],
        ["rpa"],
        {
            "summary": "Oppretter et regningskort pr. testet innbygger i SystemX, slik at"
            " kommunen får refusjon fra HELFO.",
            "description": "Tidligere skrev ansatte i Helse inn informasjonen manuelt. Besparelse"
            " ca. 400 arbeidstimer pr. måned, ca. 2,5 årsverk.",
            "runs_per_year": 456250,
            "minutes_per_run": Decimal("0.65"),
            **_COVID_COMMON,
        },
    ),
]

# Candidates: (slug, title, department, domains, it systems, phase). Mapped ones are
# PREANALYSIS (kartlagt), workshop ones IDEA (identifisert).
_CANDIDATES: list[tuple[str, str, str, list[Domain], list[str], Phase]] = [
    ("tilgang-program", "Tilgang til program - ny/endre/slette", "Brukeradministrasjon",
     [Domain.IT], ["hr-system"], Phase.PREANALYSIS),
    ("tilgang-tk-nett-elevnett", "Tilgang til TK-nett og elevnett", "Brukeradministrasjon",
     [Domain.IT, Domain.EDUCATION], ["tk-nett", "elevnett"], Phase.PREANALYSIS),
    ("slette-bruker", "Slette bruker fra enheten eller TK-nett", "Brukeradministrasjon",
     [Domain.IT], ["tk-nett"], Phase.PREANALYSIS),
    ("autorisert-bestiller", "Autorisert bestiller brukeradministrasjon - ny/slette",
     "Brukeradministrasjon", [Domain.IT], [], Phase.PREANALYSIS),
    ("timer-ytelse-oppdrag", "Timer ytelse på oppdrag", "Lønn", [Domain.HR],
     ["lonnssystem"], Phase.PREANALYSIS),
    ("aktivering-skjema-lonn", "Aktivering skjema lønn", "Lønn", [Domain.HR],
     ["lonnssystem"], Phase.PREANALYSIS),
    ("kontroll-stillingsprosent", "Kontroll total stillingsprosent", "Lønn", [Domain.HR],
     ["lonnssystem"], Phase.PREANALYSIS),
    ("telefoninkasso", "Telefoninkasso", "Kemneren", [Domain.ECONOMY], [], Phase.IDEA),
    ("nye-foretak", "Nye foretak", "Kemneren", [Domain.ECONOMY], [], Phase.IDEA),
    ("kontonummer", "Kontonummer", "Kemneren", [Domain.ECONOMY], [], Phase.IDEA),
    ("sms-varsling", "SMS-varsling", "Kemneren", [Domain.ECONOMY], [], Phase.IDEA),
    ("oppgjorslister", "Oppgjørslister", "Kemneren", [Domain.ECONOMY], [], Phase.IDEA),
    ("arkivering-fagsystem", "Arkivering fra fagsystem", "Byarkivet", [Domain.ADMINISTRATION],
     ["esa"], Phase.IDEA),
    ("kvalitetskontroll-esa", "Kvalitetskontroll av registreringer i ESA", "Byarkivet",
     [Domain.ADMINISTRATION], ["esa"], Phase.IDEA),
    ("sortering-epost-arkiv", "Sortering og forhåndsregistrering av e-post til arkiv (ESA)",
     "Byarkivet", [Domain.ADMINISTRATION], ["esa"], Phase.IDEA),
    ("avslutting-sak", "Avslutting av sak", "Byarkivet", [Domain.ADMINISTRATION], ["esa"],
     Phase.IDEA),
    ("kontroll-tk-arkiv", "Kontroll av data i fagsystem og TK-Arkiv", "Byarkivet",
     [Domain.ADMINISTRATION], ["tk-arkiv"], Phase.IDEA),
    ("publisering-postliste", "Publisering til postliste", "Byarkivet",
     [Domain.ADMINISTRATION, Domain.DEMOCRACY], ["esa"], Phase.IDEA),
    ("utbetaling-godtgjoring", "Utbetaling av godtgjøring", "Bystyresekretariatet",
     [Domain.DEMOCRACY, Domain.ECONOMY], [], Phase.IDEA),
    ("registrering-politikere", "Registrering av nye politikere", "Bystyresekretariatet",
     [Domain.DEMOCRACY], [], Phase.IDEA),
]  # fmt: skip

USER_ADMIN_SLUGS = [c[0] for c in _CANDIDATES if c[2] == "Brukeradministrasjon"]
PAYROLL_SLUGS = ["kontrollrapport-lonn", *(c[0] for c in _CANDIDATES if c[2] == "Lønn")]
# The 16 processes identified at the workshop of 16 May 2018 (three were later chosen).
WORKSHOP_SLUGS = [
    "arkivering-sofie-esa",
    "restansekontroll-arkiv",
    "saksprotokoller",
    *(c[0] for c in _CANDIDATES if c[5] is Phase.IDEA),
]

# The nine processes of 2022: the blog gives the count, not the titles. Illustrative.
NEW_IN_2022: list[tuple[str, str, str, date]] = [
    ("sykefravaer-registrering", "Registrering av sykefravær i lønnssystemet", "Lønn",
     date(2022, 3, 7)),
    ("adresseoppdatering", "Oppdatering av adresser fra Folkeregisteret i fagsystem",
     "Helse og velferd", date(2022, 6, 13)),
    ("sfo-vedtaksbrev", "Utsending av vedtaksbrev om SFO-plass", "Oppvekst", date(2022, 8, 15)),
    ("bankavstemming", "Avstemming av bankkonto mot regnskap", "Økonomi", date(2022, 8, 29)),
    ("brukere-nyansatte", "Opprettelse av brukere for nyansatte", "IT-tjenesten",
     date(2022, 9, 12)),
    ("byggesak-arkivering", "Arkivering av byggesaker i ESA", "Byggesak", date(2022, 9, 26)),
    ("barnehage-flyttemeldinger", "Behandling av flyttemeldinger i barnehage", "Oppvekst",
     date(2022, 10, 17)),
    ("fakturamottak", "Registrering av inngående fakturaer", "Økonomi", date(2022, 11, 7)),
    ("politiattest-kontroll", "Kontroll av politiattest for nyansatte", "HR",
     date(2022, 11, 21)),
]  # fmt: skip


_DOMAIN_BY_DEPARTMENT = {
    "Lønn": Domain.HR,
    "HR": Domain.HR,
    "Helse og velferd": Domain.HEALTH,
    "Oppvekst": Domain.EDUCATION,
    "Økonomi": Domain.ECONOMY,
    "IT-tjenesten": Domain.IT,
    "Byggesak": Domain.TECHNIQUE,
}


def pid(slug: str) -> uuid.UUID:
    return process_id(TRONDHEIM, slug)


def _process(spec: _Spec, **overrides: Any) -> tuple[Row, list[str], list[str]]:
    slug, title, department, domains, systems, techs, extra = spec
    values: dict[str, Any] = {
        "id": pid(slug),
        "municipality_code": TRONDHEIM,
        "title": title,
        "department": department,
        "domains": [d.value for d in domains],
        "visibility": Visibility.PUBLIC.value,
        "source_code": SOURCE_CODE,
        "source_id": f"fact:{TRONDHEIM}/{slug}",
        "contact_name": "RPA-teamet, IT-tjenesten",
        "contact_email": "rpa-team-trondheim@example.org",
        "created_at": at(date(2018, 6, 1)),
        "updated_at": at(date(2022, 12, 31)),
        "extras": {"demo": "fact", "robot": "Roger"},
        **_OPERATION,
        **extra,
        **overrides,
    }
    return process_row(**values), systems, techs


def _all_processes() -> list[tuple[Row, list[str], list[str]]]:
    out = [_process(spec) for spec in _PRODUCTION]
    out += [_process(spec, created_at=at(date(2021, 1, 11))) for spec in _COVID]
    out.append(
        _process(
            ("saksprotokoller", "Saksprotokoller", "Bystyresekretariatet",
             [Domain.DEMOCRACY], ["esa"], ["rpa"], {}),
            phase=Phase.PREANALYSIS.value,
            status=Status.PENDING.value,
            rating_comment="Scoret som nummer tre etter workshop 16. mai 2018. Trenger ny"
            " gjennomgang for å forstå omfang og kompleksitet.",
        )
    )  # fmt: skip
    for slug, title, dept, domains, systems, phase in _CANDIDATES:
        out.append(
            _process(
                (slug, title, dept, domains, systems, ["rpa"], {}),
                phase=phase.value,
                status=Status.NOT_RATED.value,
                status_text="Identifisert i workshop 16. mai 2018."
                if phase is Phase.IDEA
                else "Kartlagt i robotiseringsprosjektet 2018.",
            )
        )
    for slug, title, dept, put in NEW_IN_2022:
        out.append(
            _process(
                (slug, title, dept, [_DOMAIN_BY_DEPARTMENT[dept]], [], ["rpa"], {}),
                put_into_operation=put,
                agreement_id=FRAMEWORK_ID,
                created_at=at(date(2022, 1, 10)),
                extras={"demo": "illustrative", "robot": "Roger"},
            )
        )
    return out


def _internal_fields(rows: list[Row]) -> None:
    """Fictional internal fields, so hiding them from other municipalities can be tested."""
    for row in rows:
        if row["id"] == pid("covid19-test"):
            row.update(
                internal_notes="Internt notat (fiktivt): volum følges opp ukentlig.",
                esdh_reference="2021/00042 (fiktiv)",
                reporter="Kari Eksempel (fiktiv)",
                owner="Ola Prøve (fiktiv)",
                co_editors=["Per Demo (fiktiv)"],
            )


def add(rows: DemoRows) -> None:
    built = _all_processes()
    _internal_fields([row for row, _, _ in built])
    for row, systems, techs in built:
        rows.processes.append(row)
        rows.process_it_systems.extend(
            {"process_id": row["id"], "it_system_code": s} for s in systems
        )
        rows.process_technologies.extend(
            {"process_id": row["id"], "technology_code": t} for t in techs
        )
    rows.reuse_links.append(
        reuse_link(
            pid("covid19-vaksine"),
            pid("covid19-test"),
            ReuseKind.BUILDING_BLOCKS,
            "Vaksineprosessen gjenbruker RPA-prosessen for covid-19 test til å opprette"
            " smittevernjournal i HsPro.",
            date(2021, 3, 1),
        )
    )
    rows.reuse_links.append(
        reuse_link(
            pid("restansekontroll-arkiv"),
            pid("arkivering-sofie-esa"),
            ReuseKind.BUILDING_BLOCKS,
            "ESA-delen av Arkivering SOFIE til ESA ble bygget først; funksjonaliteten gjenbrukes"
            " i Restansekontroll i arkiv.",
            date(2018, 10, 1),
        )
    )
    rows.benefit_records.extend(facts_benefits.trondheim_records())
