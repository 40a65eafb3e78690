"""OS2autoproces's own words: enum labels, Excel headers, and the fields we deliberately skip.

Source: OS2autoproces/os2autoproces-backend (``dao/model/enums/*.java``, ``ProcessXlsView``),
summarised in shared/notes/os2autoproces-formats.md. The Excel export writes the backend's
Danish labels, not the enum keys, so reading it needs the reverse tables below.
"""

from collections.abc import Mapping
from enum import StrEnum

from reusegraph.store.enums import Domain, Level, Phase, RunPeriod, Status, Visibility

PHASE_LABELS: dict[str, Phase] = {
    "Idé": Phase.IDEA,
    "Foranalyse": Phase.PREANALYSIS,
    "Specifikation": Phase.SPECIFICATION,
    "Udvikling": Phase.DEVELOPMENT,
    "Implementering": Phase.IMPLEMENTATION,
    "Drift": Phase.OPERATION,
    "Taget ud af drift": Phase.DECOMMISSIONED,
}
STATUS_LABELS: dict[str, Status] = {
    "Afvist": Status.REJECTED,
    "Mislykket": Status.FAILED,
    "Afventer": Status.PENDING,
    "I gang": Status.INPROGRESS,
    "Ikke vurderet": Status.NOT_RATED,
    "Ikke relevant mere": Status.NOT_RELEVANT,
}
VISIBILITY_LABELS: dict[str, Visibility] = {
    "Personlig": Visibility.PERSONAL,
    "Myndighed": Visibility.MUNICIPALITY,
    "Offentlig": Visibility.PUBLIC,
}
LEVEL_LABELS: dict[str, Level] = {
    "I høj grad": Level.VERY_HIGH,
    "I nogen grad": Level.HIGH,
    "I mindre grad": Level.LOW,
    "Slet ikke": Level.VERY_LOW,
    "Ved ikke": Level.UNKNOWN,
    "Ikke forholdt sig": Level.NOT_SET,
}
RUN_PERIOD_LABELS: dict[str, RunPeriod] = {
    "": RunPeriod.NOT_CHOSEN_YET,
    "Efter behov": RunPeriod.ONDEMAND,
    "Enkeltkørsel": RunPeriod.ONCE,
    "Dagligt": RunPeriod.DAILY,
    "Ugentligt": RunPeriod.WEEKLY,
    "Månedligt": RunPeriod.MONTHLY,
    "Kvartalsvis": RunPeriod.QUATERLY,
    "Årligt": RunPeriod.YEARLY,
}
DOMAIN_LABELS: dict[str, Domain] = {
    "Administration": Domain.ADMINISTRATION,
    "Beskæftigelse": Domain.EMPLOYMENT,
    "Erhverv": Domain.PROFESSION,
    "Familie": Domain.FAMILY,
    "Uddannelse": Domain.EDUCATION,
    "Demokrati": Domain.DEMOCRACY,
    "Miljø": Domain.ENVIRONMENT,
    "Teknik": Domain.TECHNIQUE,
    "Social": Domain.SOCIAL,
    "Sundhed": Domain.HEALTH,
    "Bæredygtighed": Domain.SUSTAINABILITY,
    "HR": Domain.HR,
    "IT": Domain.IT,
    "Kultur": Domain.CULTURE,
    "Økonomi": Domain.ECONOMY,
}


def label_of(labels: Mapping[str, StrEnum], key: str) -> str:
    """The Danish label the export writes for an enum key (used to build fixtures, too)."""
    for label, value in labels.items():
        if value == key:
            return label
    raise KeyError(key)


LEVEL_FIELDS = (
    "levelOfProfessionalAssessment",
    "levelOfChange",
    "levelOfStructuredInformation",
    "levelOfUniformity",
    "levelOfDigitalInformation",
    "levelOfQuality",
    "levelOfSpeed",
    "levelOfRoutineWorkReduction",
    "evaluatedLevelOfRoi",
)

# The 62 columns of ``GET /api/excel`` in order: (exact header, the API field it holds).
# Columns 45 and 46 are swapped by the export (values in the order evaluatedLevelOfRoi,
# levelOfRoutineWorkReduction under the headers of the opposite question), and header 46
# ends with a space; both are reproduced here so the reader undoes them.
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ID", "id"),
    ("Titel", "title"),
    ("Resumé", "shortDescription"),
    ("Fase", "phase"),
    ("Status", "status"),
    ("Statustekst", "statusText"),
    ("Indberetter", "reporter"),
    ("Faglig kontaktperson", "owner"),
    ("Kontaktperson", "contact.name"),
    ("Mail", "contact.email"),
    ("Anden kontakt information", "otherContactEmail"),
    ("Tilknyttede personer", "users"),
    ("Synlighed", "visibility"),
    ("Fagområder", "domains"),
    ("Afdelinger", "orgUnits"),
    ("Myndighed", "municipalityName"),
    ("Leverandør", "vendor"),
    ("Lovparagraf", "legalClause"),
    ("KLE-nr", "kle"),
    ("KL ID", "klId"),
    ("KL's Arbejdsgangsbank", "kla"),
    ("Beskrivelse", "longDescription"),
    ("Idéer til løsning", "solutionRequests"),
    ("Udfordringer i den nuværende proces", "processChallenges"),
    ("Nuværende systemer", "itSystems"),
    ("Andre nuværende systemer", "itSystemsDescription"),
    ("Oprettet", "created"),
    ("Sidst opdateret", "lastChanged"),
    ("Antal gange processen foretages årligt", "timeSpendOccurancesPerEmployee"),
    ("Tidsforbrug pr. proces i minutter", "timeSpendPerOccurance"),
    ("Forventet automatiseringsgrad", "timeSpendPercentageDigital"),
    ("Manuelt tidsforbrug i timer", "manualHoursPerYear"),
    ("Forventet årlig effektiviseringspotentiale", "timeSpendComputedTotal"),
    ("Antal medarbejdere der foretager processen", "timeSpendEmployeesDoingProcess"),
    ("Er borgere påvirket", "targetsCitizens"),
    ("Er virksomheder påvirket", "targetsCompanies"),
    ("Forventet timeforbrug på udvikling", "expectedDevelopmentTime"),
    ("Kommentarer til tidsforbrug", "timeSpendComment"),
    ("I hvor høj grad indgår der faglig vurdering i processen?", "levelOfProfessionalAssessment"),
    ("I hvor høj grad er processen præget af hyppige ændringer?", "levelOfChange"),
    (
        "I hvor høj grad er processen baseret på struktureret information?",
        "levelOfStructuredInformation",
    ),
    ("Er der variation i den måde processen løses?", "levelOfUniformity"),
    (
        "Er de data og informationer, der skal bruges i processen, tilgængelige digitalt i"
        " IT-systemer?",
        "levelOfDigitalInformation",
    ),
    (
        "Vil en automatiseret løsning bidrage til en højere kvalitet, som er mere ensrettet og"
        " med færre fejl?",
        "levelOfQuality",
    ),
    (
        "Vil en automatiseret løsning bidrage til en hurtigere og mere fyldestgørende service?",
        "levelOfSpeed",
    ),
    (
        "Vil automatisering frigive tid og nedbringe rutineopgaver, som skaber en bedre trivsel"
        " blandt medarbejderne?",
        "evaluatedLevelOfRoi",
    ),
    (
        "I hvor høj grad vurderes det at processen kan automatiseres? ",
        "levelOfRoutineWorkReduction",
    ),
    ("Teknisk implementering", "technicalImplementationNotes"),
    ("Organisatorisk implementering", "organizationalImplementationNotes"),
    ("Anvendt teknologi", "technologies"),
    ("Skedulering", "runPeriod"),
    ("Automatiseringen anvender følgende systemer/snitflader", "services"),
    ("Beskrivelse af automatisering", "automationDescription"),
    ("I hvor høj grad indfriede løsningen de forventede gevinster?", "rating"),
    ("Sidst kontrolleret i forhold til §", "legalClauseLastVerified"),
    ("Løsningen sat i drift", "putIntoOperation"),
    ("Løsningen taget ud af drift", "decommissioned"),
    ("Kommentar til realiseret gevinster", "ratingComment"),
    ("Sagsreference i ESDH", "esdhReference"),
    ("Links", "links"),
    ("Bilag", "attachments"),
    ("Interne Noter", "internalNotes"),
)

DETAILS_URL = "https://www.os2autoproces.eu/details/{id}"
"""The public page of a process; the export hard-codes this host whatever the server is."""
