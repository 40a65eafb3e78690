"""The export's columns: OS2autoproces's 62 columns in its order, with its defects fixed.

The first 62 columns have OS2autoproces's Excel headers and order, so a sheet made for one
reads the other. What we do differently (shared/notes/os2autoproces-formats.md, §1.5):

- columns 45 and 46 hold the answer their header asks for (OS2autoproces swaps them), and
  header 46 has no trailing space;
- numbers are numbers (integers stay integers), dates and times are dates, yes/no are
  booleans, and unknown stays empty (development time is not written as 0);
- column 31 and 32 are hours with two decimals, not truncated to whole hours;
- lists are one item per line, since IT-system names contain commas;
- other municipalities' internal fields (reporter, owner, co-editors, case reference,
  internal notes, internal links, unshared attachments) are blank, as in the API.

After them come the columns OS2autoproces lacks: municipality code, country, organisation
number, process type, FORM, K-koder, realised hours, and the record's source.
"""

from dataclasses import dataclass
from enum import StrEnum

from reusegraph.store.enums import Domain, Level, Phase, RunPeriod, Status, Visibility


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    LIST = "list"


@dataclass(frozen=True)
class Column:
    key: str
    """The JSON field name (camelCase, as in the GraphQL API) and the SQL label."""
    header: str
    """The CSV/XLSX header."""
    kind: Kind = Kind.TEXT
    labels: dict[str, str] | None = None
    """Danish labels for an enum's keys in CSV/XLSX (JSON keeps the keys)."""


PHASES: dict[str, str] = {
    Phase.IDEA: "Idé",
    Phase.PREANALYSIS: "Foranalyse",
    Phase.SPECIFICATION: "Specifikation",
    Phase.DEVELOPMENT: "Udvikling",
    Phase.IMPLEMENTATION: "Implementering",
    Phase.OPERATION: "Drift",
    Phase.DECOMMISSIONED: "Taget ud af drift",
    Phase.RAPID: "Hurtig deling",
}
STATUSES: dict[str, str] = {
    Status.REJECTED: "Afvist",
    Status.FAILED: "Mislykket",
    Status.PENDING: "Afventer",
    Status.INPROGRESS: "I gang",
    Status.NOT_RATED: "Ikke vurderet",
    Status.NOT_RELEVANT: "Ikke relevant mere",
}
VISIBILITIES: dict[str, str] = {
    Visibility.PERSONAL: "Personlig",
    Visibility.MUNICIPALITY: "Myndighed",
    Visibility.PUBLIC: "Offentlig",
}
LEVELS: dict[str, str] = {
    Level.VERY_HIGH: "I høj grad",
    Level.HIGH: "I nogen grad",
    Level.LOW: "I mindre grad",
    Level.VERY_LOW: "Slet ikke",
    Level.UNKNOWN: "Ved ikke",
    Level.NOT_SET: "Ikke forholdt sig",
}
RUN_PERIODS: dict[str, str] = {
    RunPeriod.NOT_CHOSEN_YET: "",
    RunPeriod.ONDEMAND: "Efter behov",
    RunPeriod.ONCE: "Enkeltkørsel",
    RunPeriod.DAILY: "Dagligt",
    RunPeriod.WEEKLY: "Ugentligt",
    RunPeriod.MONTHLY: "Månedligt",
    RunPeriod.QUATERLY: "Kvartalsvis",
    RunPeriod.YEARLY: "Årligt",
}
DOMAINS: dict[str, str] = {
    Domain.ADMINISTRATION: "Administration",
    Domain.EMPLOYMENT: "Beskæftigelse",
    Domain.PROFESSION: "Erhverv",
    Domain.FAMILY: "Familie",
    Domain.EDUCATION: "Uddannelse",
    Domain.DEMOCRACY: "Demokrati",
    Domain.ENVIRONMENT: "Miljø",
    Domain.TECHNIQUE: "Teknik",
    Domain.SOCIAL: "Social",
    Domain.HEALTH: "Sundhed",
    Domain.SUSTAINABILITY: "Bæredygtighed",
    Domain.HR: "HR",
    Domain.IT: "IT",
    Domain.CULTURE: "Kultur",
    Domain.ECONOMY: "Økonomi",
}


def _level(key: str, header: str) -> Column:
    return Column(key, header, labels=dict(LEVELS))


COLUMNS: tuple[Column, ...] = (
    Column("id", "ID"),
    Column("title", "Titel"),
    Column("summary", "Resumé"),
    Column("phase", "Fase", labels=dict(PHASES)),
    Column("status", "Status", labels=dict(STATUSES)),
    Column("statusText", "Statustekst"),
    Column("reporter", "Indberetter"),
    Column("owner", "Faglig kontaktperson"),
    Column("contactName", "Kontaktperson"),
    Column("contactEmail", "Mail"),
    Column("otherContactEmail", "Anden kontakt information"),
    Column("coEditors", "Tilknyttede personer", Kind.LIST),
    Column("visibility", "Synlighed", labels=dict(VISIBILITIES)),
    Column("domains", "Fagområder", Kind.LIST, labels=dict(DOMAINS)),
    Column("department", "Afdelinger"),
    Column("municipalityName", "Myndighed"),
    Column("vendor", "Leverandør"),
    Column("legalClause", "Lovparagraf"),
    Column("kle", "KLE-nr"),
    Column("klId", "KL ID"),
    Column("kla", "KL's Arbejdsgangsbank"),
    Column("description", "Beskrivelse"),
    Column("solutionRequests", "Idéer til løsning"),
    Column("processChallenges", "Udfordringer i den nuværende proces"),
    Column("itSystems", "Nuværende systemer", Kind.LIST),
    Column("otherItSystems", "Andre nuværende systemer"),
    Column("createdAt", "Oprettet", Kind.DATETIME),
    Column("updatedAt", "Sidst opdateret", Kind.DATETIME),
    Column("runsPerYear", "Antal gange processen foretages årligt", Kind.INTEGER),
    Column("minutesPerRun", "Tidsforbrug pr. proces i minutter", Kind.DECIMAL),
    Column("automationPercentage", "Forventet automatiseringsgrad", Kind.INTEGER),
    Column("manualHoursPerYear", "Manuelt tidsforbrug i timer", Kind.DECIMAL),
    Column("expectedHoursPerYear", "Forventet årlig effektiviseringspotentiale", Kind.DECIMAL),
    Column("employeesDoingProcess", "Antal medarbejdere der foretager processen", Kind.INTEGER),
    Column("targetsCitizens", "Er borgere påvirket", Kind.BOOLEAN),
    Column("targetsCompanies", "Er virksomheder påvirket", Kind.BOOLEAN),
    Column("developmentHours", "Forventet timeforbrug på udvikling", Kind.DECIMAL),
    Column("timeSpendComment", "Kommentarer til tidsforbrug"),
    _level(
        "levelOfProfessionalAssessment",
        "I hvor høj grad indgår der faglig vurdering i processen?",
    ),
    _level("levelOfChange", "I hvor høj grad er processen præget af hyppige ændringer?"),
    _level(
        "levelOfStructuredInformation",
        "I hvor høj grad er processen baseret på struktureret information?",
    ),
    _level("levelOfUniformity", "Er der variation i den måde processen løses?"),
    _level(
        "levelOfDigitalInformation",
        "Er de data og informationer, der skal bruges i processen, tilgængelige digitalt i"
        " IT-systemer?",
    ),
    _level(
        "levelOfQuality",
        "Vil en automatiseret løsning bidrage til en højere kvalitet, som er mere ensrettet og"
        " med færre fejl?",
    ),
    _level(
        "levelOfSpeed",
        "Vil en automatiseret løsning bidrage til en hurtigere og mere fyldestgørende service?",
    ),
    _level(
        "levelOfRoutineWorkReduction",
        "Vil automatisering frigive tid og nedbringe rutineopgaver, som skaber en bedre trivsel"
        " blandt medarbejderne?",
    ),
    _level("evaluatedLevelOfRoi", "I hvor høj grad vurderes det at processen kan automatiseres?"),
    Column("technicalImplementationNotes", "Teknisk implementering"),
    Column("organizationalImplementationNotes", "Organisatorisk implementering"),
    Column("technologies", "Anvendt teknologi", Kind.LIST),
    Column("runPeriod", "Skedulering", labels=dict(RUN_PERIODS)),
    Column("services", "Automatiseringen anvender følgende systemer/snitflader", Kind.LIST),
    Column("automationDescription", "Beskrivelse af automatisering"),
    Column("rating", "I hvor høj grad indfriede løsningen de forventede gevinster?", Kind.INTEGER),
    Column("legalClauseLastVerified", "Sidst kontrolleret i forhold til §", Kind.DATE),
    Column("putIntoOperation", "Løsningen sat i drift", Kind.DATE),
    Column("decommissioned", "Løsningen taget ud af drift", Kind.DATE),
    Column("ratingComment", "Kommentar til realiseret gevinster"),
    Column("caseReference", "Sagsreference i ESDH"),
    Column("links", "Links", Kind.LIST),
    Column("attachments", "Bilag", Kind.LIST),
    Column("internalNotes", "Interne Noter"),
    # Not in OS2autoproces:
    Column("municipalityCode", "Kommunekode"),
    Column("country", "Land"),
    Column("orgNumber", "Organisationsnummer"),
    Column("type", "Procestype"),
    Column("form", "FORM"),
    Column("kCodes", "K-koder", Kind.LIST),
    Column("realisedHoursSaved", "Realiserede timer i alt", Kind.DECIMAL),
    Column("sourceId", "Kilde-ID"),
    Column("sourceUrl", "Kilde-URL"),
)
OS2AUTOPROCES_COLUMNS = 62
