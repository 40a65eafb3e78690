"""Shared vocabularies (technologies, IT systems) used by both the facts and the filler.

Systems named in the sources keep their real names (SOFIE, ESA, HsPro, SystemX, TK-Arkiv,
TK-nett, elevnett); every other entry is deliberately generic ("Økonomisystem (ERP)") so the
demo never claims that a municipality runs a particular commercial product.
"""

from reusegraph.store.demo.rows import TABLES, Row, complete

TECHNOLOGIES: list[Row] = [
    complete(TABLES["technologies"], {"code": code, "name": name})
    for code, name in [
        ("rpa", "RPA"),
        ("api", "API-integration"),
        ("ocr", "OCR (tekstgenkendelse)"),
        ("ml", "Maskinlæring"),
        ("chatbot", "Chatbot"),
        ("webform", "Webformular / webskjema"),
        ("lowcode", "Low-code"),
    ]
]

_SYSTEMS: list[tuple[str, str, str | None, str | None]] = [
    # Named in the Trondheim/Klæbu project blog.
    (
        "sofie",
        "SOFIE",
        "Skattedirektoratet",
        "Skattedirektoratets system for skattesaker. Kjører på Citrix, noe som gjør det"
        " vanskelig for RPA-programvare å få tilgang.",
    ),
    ("esa", "ESA", None, "Sak- og arkivløsningen som brukes i Trondheim og Klæbu kommuner."),
    ("hspro", "HsPro", None, "Fagsystem for helse; her ligger smittevernjournalen."),
    (
        "systemx",
        "SystemX",
        None,
        "Fagsystem der regningskort opprettes slik at kommunen får refusjon fra HELFO.",
    ),
    ("tk-arkiv", "TK-Arkiv", None, "Arkivsystem i Trondheim kommune."),
    ("tk-nett", "TK-nett", None, "Trondheim kommunes nett og brukerkontoer for ansatte."),
    ("elevnett", "elevnett", None, "Nett og brukerkontoer for elever."),
    ("vaksinebooking", "Bookingløsning (vaksine)", None, "Timebestilling til vaksinering."),
    # Generic Danish systems.
    ("okonomisystem", "Økonomisystem (ERP)", None, "Generisk: kommunens økonomisystem."),
    ("esdh", "ESDH (sags- og dokumenthåndtering)", None, "Generisk: sags- og dokumentsystem."),
    ("lonsystem", "Lønsystem", None, "Generisk: dansk lønsystem."),
    ("digital-post", "Digital Post", None, "Generisk: digital post til borgere og virksomheder."),
    ("ydelsessystem", "Ydelsessystem", None, "Generisk: udbetaling af sociale ydelser."),
    ("jobcentersystem", "Fagsystem (jobcenter)", None, "Generisk: sagsbehandling i jobcentret."),
    ("omsorgssystem", "Omsorgssystem (EOJ)", None, "Generisk: elektronisk omsorgsjournal."),
    # Generic Norwegian systems.
    ("lonnssystem", "Lønnssystem", None, "Generisk: norsk lønnssystem."),
    ("sak-arkiv", "Sak- og arkivsystem", None, "Generisk: sak- og arkivsystem (Noark)."),
    ("folkeregisteret", "Folkeregisteret", None, "Nasjonalt register over innbyggere."),
    ("helse-fagsystem", "Fagsystem (helse og omsorg)", None, "Generisk: pasientjournal."),
    ("skolesystem", "Skoleadministrativt system", None, "Generisk: skoleadministrasjon."),
    ("barnehagesystem", "Barnehagesystem", None, "Generisk: opptak og betaling i barnehage."),
    ("hr-system", "HR-system", None, "Generisk: personal- og tilgangsforvaltning."),
]

IT_SYSTEMS: list[Row] = [
    complete(
        TABLES["it_systems"],
        {"code": code, "name": name, "supplier": supplier, "description": description},
    )
    for code, name, supplier, description in _SYSTEMS
]
