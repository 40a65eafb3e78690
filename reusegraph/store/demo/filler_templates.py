"""Vocabulary of the fictional filler: process templates, names, vendors, meeting topics.

Titles and texts are realistic on purpose (full-text search, similarity and reuse queries
need plausible words); everything that names an organisation or a person is visibly
fictional ("(fiktiv)", surnames like "Eksempelsen"). KLE codes and K-koder here only have
the right format: they are not checked against the official code lists.
"""

from typing import NamedTuple


class Template(NamedTuple):
    key: str
    title: str
    summary: str
    domains: tuple[str, ...]
    code: str  # KLE (DK) or K-kode (NO)
    systems: tuple[str, ...]
    technologies: tuple[str, ...]
    department: str


LAEGEERKLAERINGER = "laegeerklaeringer"

DK_TEMPLATES = [
    Template(LAEGEERKLAERINGER, "Godkendelse af fakturaer på lægeerklæringer",
             "Robotten kontrollerer fakturaer på lægeerklæringer mod sagen og godkender dem"
             " til betaling.", ("ECONOMY", "EMPLOYMENT"), "27.24.00",
             ("okonomisystem", "jobcentersystem"), ("rpa",), "Jobcenter"),
    Template("sygedagpenge-refusion", "Sygedagpenge refusion til arbejdsgivere",
             "Beregning og udbetaling af refusion af sygedagpenge til arbejdsgivere.",
             ("EMPLOYMENT", "ECONOMY"), "15.00.00", ("ydelsessystem",), ("rpa",), "Jobcenter"),
    Template("leverandoerfakturaer", "Godkendelse af leverandørfakturaer",
             "Matcher fakturaer med indkøbsordrer og sender afvigelser til manuel behandling.",
             ("ECONOMY",), "00.30.00", ("okonomisystem",), ("rpa", "ocr"), "Økonomi"),
    Template("loenkontrol", "Kontrol af lønudbetalinger før lønkørsel",
             "Sammenholder lønudbetalinger med ansættelsesdata før lønkørslen.", ("HR",),
             "81.00.00", ("lonsystem",), ("rpa",), "Løn og personale"),
    Template("brugeroprettelse", "Oprettelse af brugere ved nyansættelser",
             "Opretter brugere og rettigheder i fagsystemer, når en medarbejder starter.",
             ("IT", "HR"), "81.03.00", ("lonsystem", "esdh"), ("rpa", "api"), "IT"),
    Template("brugernedlaeggelse", "Nedlæggelse af brugere ved fratrædelse",
             "Lukker brugere og fjerner adgange, når en medarbejder fratræder.", ("IT",),
             "81.03.00", ("lonsystem",), ("rpa",), "IT"),
    Template("journalisering", "Journalisering af indgående post i ESDH",
             "Sorterer og journaliserer indgående post på de rigtige sager.",
             ("ADMINISTRATION",), "00.05.00", ("esdh",), ("rpa", "ml"), "Sekretariat"),
    Template("borgerbreve", "Udsendelse af breve til borgere via Digital Post",
             "Danner og sender standardbreve til borgere.", ("ADMINISTRATION",), "00.06.00",
             ("digital-post", "esdh"), ("rpa",), "Borgerservice"),
    Template("boligstoette", "Behandling af ændringer i boligstøttesager",
             "Registrerer indberettede ændringer og genberegner boligstøtte.", ("SOCIAL",),
             "03.22.00", ("ydelsessystem",), ("rpa",), "Borgerservice"),
    Template("pladsanvisning", "Pladsanvisning i dagtilbud",
             "Tildeler pladser i dagtilbud efter venteliste og sender besked til forældre.",
             ("FAMILY", "EDUCATION"), "28.09.00", ("digital-post",), ("rpa",), "Dagtilbud"),
    Template("fripladstilskud", "Behandling af ansøgninger om fripladstilskud",
             "Beregner økonomisk fripladstilskud ud fra indkomstoplysninger.",
             ("FAMILY", "ECONOMY"), "28.09.16", ("okonomisystem",), ("rpa",), "Dagtilbud"),
    Template("kontanthjaelp", "Kontrol af kontanthjælpsudbetalinger",
             "Kontrollerer udbetalinger mod oplysninger i indkomstregistret.",
             ("EMPLOYMENT", "SOCIAL"), "32.21.00", ("ydelsessystem",), ("rpa",), "Jobcenter"),
    Template("flyttemeddelelser", "Behandling af flyttemeddelelser",
             "Registrerer flytninger og orienterer relevante fagområder.", ("ADMINISTRATION",),
             "16.02.00", ("esdh",), ("rpa",), "Borgerservice"),
    Template("byggesager", "Registrering af byggeansøgninger",
             "Opretter sager og tjekker ansøgningers bilag for fuldstændighed.",
             ("TECHNIQUE",), "02.00.00", ("esdh",), ("rpa", "ocr"), "Teknik og miljø"),
    Template("affaldsgebyrer", "Opkrævning af affaldsgebyrer",
             "Danner opkrævninger af affaldsgebyrer og afstemmer indbetalinger.",
             ("ENVIRONMENT", "ECONOMY"), "07.18.00", ("okonomisystem",), ("rpa",),
             "Teknik og miljø"),
    Template("visitation", "Opdatering af visitationer i omsorgssystemet",
             "Opdaterer visiterede ydelser efter afgørelser.", ("HEALTH", "SOCIAL"),
             "27.36.00", ("omsorgssystem",), ("rpa",), "Sundhed og omsorg"),
    Template("hjaelpemidler", "Bestilling af hjælpemidler",
             "Bestiller bevilgede hjælpemidler hos leverandøren.", ("HEALTH",), "27.27.00",
             ("omsorgssystem", "okonomisystem"), ("rpa",), "Sundhed og omsorg"),
    Template("skoleindskrivning", "Indskrivning til skole",
             "Behandler indskrivninger til skole og sender bekræftelser.", ("EDUCATION",),
             "17.02.00", ("digital-post",), ("rpa",), "Skole"),
    Template("sygefravaer", "Registrering af sygefravær", "Overfører sygefravær til lønsystemet.",
             ("HR",), "81.08.00", ("lonsystem",), ("rpa",), "Løn og personale"),
    Template("bankafstemning", "Bankafstemning i økonomisystemet",
             "Afstemmer bankposteringer mod bogføringen dagligt.", ("ECONOMY",), "00.32.00",
             ("okonomisystem",), ("rpa",), "Økonomi"),
    Template("restancer", "Rykkere og inddrivelse af restancer",
             "Sender rykkere og overdrager restancer til inddrivelse.", ("ECONOMY",),
             "00.32.10", ("okonomisystem", "digital-post"), ("rpa",), "Økonomi"),
    Template("aktindsigt", "Forberedelse af aktindsigtssager",
             "Samler dokumenter til aktindsigt og markerer fortrolige oplysninger.",
             ("DEMOCRACY", "ADMINISTRATION"), "00.01.10", ("esdh",), ("rpa", "ml"),
             "Sekretariat"),
    Template("chatbot-borgerservice", "Chatbot til spørgsmål i Borgerservice",
             "Besvarer ofte stillede spørgsmål og sender resten videre.", ("ADMINISTRATION",),
             "00.06.00", (), ("chatbot",), "Borgerservice"),
    Template("koerselsgodtgoerelse", "Kontrol af kørselsgodtgørelse",
             "Kontrollerer kørselsregnskaber mod regler og satser.", ("HR", "ECONOMY"),
             "81.12.00", ("lonsystem",), ("rpa",), "Løn og personale"),
    Template("fleksjob-refusion", "Refusion for fleksjob",
             "Hjemtager refusion for fleksjob og afstemmer udbetalinger.",
             ("EMPLOYMENT", "ECONOMY"), "15.20.00", ("ydelsessystem",), ("rpa",), "Jobcenter"),
    Template("miljoetilsyn", "Planlægning af miljøtilsyn",
             "Udvælger virksomheder til tilsyn og sender varslingsbreve.", ("ENVIRONMENT",),
             "09.00.00", ("esdh",), ("rpa", "lowcode"), "Teknik og miljø"),
]  # fmt: skip

NO_TEMPLATES = [
    Template("fakturamottak", "Registrering av inngående fakturaer",
             "Leser inngående fakturaer, konterer dem og sender dem til attestasjon.",
             ("ECONOMY",), "210", ("okonomisystem",), ("rpa", "ocr"), "Økonomi"),
    Template("lonnskontroll", "Kontroll av lønnsutbetalinger",
             "Kontrollerer lønnsutbetalinger mot ansettelsesdata før lønnskjøring.", ("HR",),
             "400", ("lonnssystem",), ("rpa",), "Lønn"),
    Template("sykepengerefusjon", "Refusjon av sykepenger fra NAV",
             "Følger opp og avstemmer refusjonskrav for sykepenger.", ("HR", "ECONOMY"), "411",
             ("lonnssystem",), ("rpa",), "Lønn"),
    Template("brukeropprettelse", "Opprettelse av brukere for nyansatte",
             "Oppretter brukere og tilganger når en ny medarbeider starter.", ("IT", "HR"),
             "033", ("hr-system",), ("rpa", "api"), "IT-tjenesten"),
    Template("brukersletting", "Sletting av brukere ved fratredelse",
             "Sletter brukere og fjerner tilganger ved fratredelse.", ("IT",), "033",
             ("hr-system",), ("rpa",), "IT-tjenesten"),
    Template("arkivering", "Arkivering av dokumenter fra fagsystem",
             "Overfører dokumenter fra fagsystem til sak- og arkivsystemet.",
             ("ADMINISTRATION",), "060", ("sak-arkiv",), ("rpa",), "Arkiv"),
    Template("postliste", "Publisering av offentlig postliste",
             "Kontrollerer skjerming og publiserer postlisten.", ("ADMINISTRATION", "DEMOCRACY"),
             "060", ("sak-arkiv",), ("rpa",), "Arkiv"),
    Template("innbyggerbrev", "Utsending av brev til innbyggere",
             "Lager og sender standardbrev til innbyggere digitalt.", ("ADMINISTRATION",), "070",
             ("sak-arkiv",), ("rpa",), "Servicetorg"),
    Template("barnehageopptak", "Behandling av søknader om barnehageplass",
             "Tildeler plasser etter opptakskriterier og sender svar.", ("FAMILY", "EDUCATION"),
             "A10", ("barnehagesystem",), ("rpa",), "Oppvekst"),
    Template("sfo", "Endring av SFO-plass", "Registrerer endringer i SFO-plass og betaling.",
             ("EDUCATION", "ECONOMY"), "A20", ("skolesystem",), ("rpa",), "Oppvekst"),
    Template("byggesoknader", "Registrering av byggesøknader",
             "Oppretter byggesaker og sjekker at vedlegg er komplette.", ("TECHNIQUE",), "L42",
             ("sak-arkiv",), ("rpa", "ocr"), "Byggesak"),
    Template("eiendomsskatt", "Utsending av eiendomsskatteseddel",
             "Beregner og sender skattesedler for eiendomsskatt.", ("ECONOMY",), "232",
             ("okonomisystem",), ("rpa",), "Kemner"),
    Template("kommunale-avgifter", "Fakturering av kommunale avgifter",
             "Fakturerer vann, avløp og renovasjon og avstemmer innbetalinger.",
             ("ECONOMY", "ENVIRONMENT"), "231", ("okonomisystem",), ("rpa",), "Økonomi"),
    Template("adresser", "Oppdatering av adresser fra Folkeregisteret",
             "Oppdaterer adresser i fagsystemer med endringer fra Folkeregisteret.",
             ("ADMINISTRATION",), "X31", ("folkeregisteret",), ("rpa", "api"), "Servicetorg"),
    Template("helsejournal", "Opprettelse av journal i fagsystem for helse",
             "Sjekker om innbyggeren har journal og oppretter den ved behov.", ("HEALTH",),
             "G10", ("helse-fagsystem",), ("rpa",), "Helse og velferd"),
    Template("vaksinasjon", "Registrering av vaksinasjoner",
             "Registrerer vaksinasjoner fra webskjema i journalsystemet.", ("HEALTH",), "G10",
             ("helse-fagsystem",), ("rpa", "webform"), "Helse og velferd"),
    Template("bostotte", "Behandling av søknader om startlån",
             "Henter opplysninger og forbereder vedtak om startlån.", ("SOCIAL", "ECONOMY"),
             "F41", ("sak-arkiv",), ("rpa",), "Helse og velferd"),
    Template("sosialhjelp", "Kontroll av utbetalinger av økonomisk sosialhjelp",
             "Kontrollerer utbetalinger mot vedtak.", ("SOCIAL",), "F40", ("okonomisystem",),
             ("rpa",), "NAV-kontor"),
    Template("politiattest", "Kontroll av politiattest for nyansatte",
             "Følger opp at politiattest foreligger før tiltredelse.", ("HR",), "400",
             ("hr-system",), ("rpa",), "HR"),
    Template("fravaer", "Registrering av sykefravær i lønnssystemet",
             "Overfører egenmeldinger og sykmeldinger til lønnssystemet.", ("HR",), "400",
             ("lonnssystem",), ("rpa",), "Lønn"),
    Template("bankavstemming", "Avstemming av bankkonto mot regnskap",
             "Avstemmer bankkonto mot regnskapet daglig.", ("ECONOMY",), "210",
             ("okonomisystem",), ("rpa",), "Økonomi"),
    Template("purring", "Purring og inkasso av restanser",
             "Sender purringer og oversender restanser til inkasso.", ("ECONOMY",), "232",
             ("okonomisystem",), ("rpa",), "Kemner"),
    Template("innsyn", "Behandling av innsynskrav",
             "Finner dokumenter og forbereder svar på innsynskrav.",
             ("DEMOCRACY", "ADMINISTRATION"), "060", ("sak-arkiv",), ("rpa", "ml"), "Arkiv"),
    Template("kulturtilskudd", "Utbetaling av kulturtilskudd",
             "Kontrollerer søknader og utbetaler tilskudd til lag og foreninger.", ("CULTURE",),
             "C00", ("okonomisystem",), ("rpa",), "Kultur"),
    Template("chatbot", "Chatbot for innbyggerspørsmål",
             "Svarer på vanlige spørsmål og sender resten videre.", ("ADMINISTRATION",), "070",
             (), ("chatbot",), "Servicetorg"),
    Template("skoleskyss", "Bestilling av skoleskyss",
             "Bestiller skyss for elever med rett til det.",
             ("EDUCATION",), "N12", ("skolesystem",), ("rpa",), "Oppvekst"),
    Template("reiseregning", "Kontroll av reiseregninger",
             "Kontrollerer reiseregninger mot satser og regelverk.", ("HR", "ECONOMY"), "400",
             ("lonnssystem",), ("rpa",), "Lønn"),
    Template("helfo-refusjon", "Refusjon fra HELFO",
             "Oppretter refusjonskrav mot HELFO for utførte tjenester.", ("HEALTH", "ECONOMY"),
             "G12", ("helse-fagsystem",), ("rpa",), "Helse og velferd"),
]  # fmt: skip

QUALIFIERS = {
    "DK": ["Nord", "Syd", "Øst", "Vest", "ældreområdet", "skoleområdet", "dagtilbud",
           "administrationen", "jobcentret", "borgerservice"],
    "NO": ["nord", "sør", "øst", "vest", "helse og velferd", "oppvekst", "sentraladministrasjonen",
           "bydelene", "servicetorget", "teknisk drift"],
}  # fmt: skip

PLACE_PARTS = {
    "DK": (
        ["Eksempel", "Prøve", "Demo", "Fiktiv", "Mønster", "Skitse", "Udkast", "Forsøgs",
         "Model", "Kladde"],
        ["by", "rup", "sted", "lev", "holm", "bjerg", "købing", "løse", "ved", "strup"],
    ),
    "NO": (
        ["Prøve", "Eksempel", "Demo", "Tenkt", "Modell", "Utkast", "Skisse", "Forsøks",
         "Øvings", "Mønster"],
        ["vik", "nes", "dal", "øy", "berg", "stad", "vær", "fjord", "haug", "mo"],
    ),
}  # fmt: skip

REGIONS = {
    "DK": ["Region Hovedstaden", "Region Sjælland", "Region Syddanmark", "Region Midtjylland",
           "Region Nordjylland"],
    "NO": ["Trøndelag", "Vestland", "Rogaland", "Nordland", "Innlandet", "Agder", "Akershus",
           "Møre og Romsdal", "Troms", "Vestfold"],
}  # fmt: skip

FIRST_NAMES = {
    "DK": ["Anne", "Mette", "Lars", "Søren", "Camilla", "Jens", "Louise", "Mikkel", "Hanne",
           "Rasmus"],
    "NO": ["Kari", "Ola", "Ingrid", "Lars", "Nora", "Henrik", "Silje", "Magnus", "Marit",
           "Jonas"],
}  # fmt: skip
SURNAMES = {
    "DK": ["Eksempelsen", "Prøvesen", "Demosen", "Testrup", "Fiktivsen"],
    "NO": ["Eksempelsen", "Prøvesen", "Demoberg", "Testvik", "Fiktivsen"],
}

VENDORS = {
    "DK": ["Robotværkstedet (fiktiv) A/S", "Procesfabrikken (fiktiv) A/S",
           "Automatik & Co (fiktiv) A/S", "Digitalhuset Nord (fiktiv) A/S",
           "Bitbyg (fiktiv) A/S"],
    "NO": ["Robotverkstedet (fiktiv) AS", "Prosessfabrikken (fiktiv) AS",
           "Automasjonshuset (fiktiv) AS", "Fjordkode (fiktiv) AS", "Nordlys Digital (fiktiv) AS"],
}  # fmt: skip

AGREEMENTS = {
    "DK": [("Fælles rammeaftale om RPA-konsulentydelser (fiktiv)", "RPA-konsulentydelser"),
           ("Rammeaftale om automatisering og integrationer (fiktiv)", "Automatisering")],
    "NO": [("Felles rammeavtale om RPA-tjenester (fiktiv)", "RPA-tjenester"),
           ("Rammeavtale om automatisering og integrasjon (fiktiv)", "Automatisering")],
}  # fmt: skip
AGREEMENT_DOCUMENTS = {
    "DK": [("Udbudsbetingelser", "tender_basis"), ("Kravspecifikation",
                                                   "requirements_specification")],
    "NO": [("Konkurransegrunnlag", "tender_basis"), ("Kravspesifikasjon",
                                                     "requirements_specification")],
}  # fmt: skip

MEETING_TITLES = {
    "DK": ["Netværksmøde om RPA (fiktivt)", "Erfadag: genbrug af robotter (fiktiv)",
           "Temadag om automatisering i økonomi (fiktiv)", "Netværk for digitalisering (fiktivt)",
           "Workshop om procesudvælgelse (fiktiv)"],
    "NO": ["Nettverkssamling RPA (fiktiv)", "Erfaringsdag: gjenbruk av roboter (fiktiv)",
           "Fagdag om automatisering i helse (fiktiv)", "Nettverk for digitalisering (fiktivt)",
           "Workshop om utvelgelse av prosesser (fiktiv)"],
}  # fmt: skip
MEETING_TOPICS = {
    "DK": ["Erfaringer med drift af robotter", "Genbrug af byggeklodser", "Procesudvælgelse",
           "Gevinstrealisering", "Fælles udfordringer med fagsystemer", "Governance og drift"],
    "NO": ["Erfaringer med drift av roboter", "Gjenbruk av byggeklosser", "Utvelgelse av prosesser",
           "Gevinstrealisering", "Felles utfordringer med fagsystemer", "Styring og forvaltning"],
}  # fmt: skip

INTERNAL_NOTES = {
    "DK": ["afventer svar fra leverandøren om licenser.",
           "robotten fejler ved månedsskifte; undersøges.",
           "budget til videreudvikling er ikke afklaret.", "venter på adgang til testmiljø."],
    "NO": ["venter på svar fra leverandøren om lisenser.",
           "roboten feiler ved månedsskifte; undersøkes.",
           "budsjett for videreutvikling er ikke avklart.", "venter på tilgang til testmiljø."],
}  # fmt: skip

MUNICIPALITY_SYSTEMS = {
    "DK": ["okonomisystem", "esdh", "lonsystem", "digital-post", "ydelsessystem",
           "jobcentersystem", "omsorgssystem"],
    "NO": ["okonomisystem", "sak-arkiv", "lonnssystem", "folkeregisteret", "helse-fagsystem",
           "skolesystem", "barnehagesystem", "hr-system"],
}  # fmt: skip

MEETING_OUTCOMES = {
    "DK": ["Aftale om at dele dokumentation og kode i OS2autoproces.",
           "To kommuner vil genbruge en løsning, når den er afprøvet.",
           "Fælles henvendelse til leverandøren om adgang for robotter."],
    "NO": ["Avtale om å dele dokumentasjon og kode.",
           "To kommuner vil gjenbruke en løsning når den er utprøvd.",
           "Felles henvendelse til leverandøren om tilgang for roboter."],
}  # fmt: skip
