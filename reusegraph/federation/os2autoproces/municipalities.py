"""Which of our municipality codes an OS2autoproces process belongs to.

OS2autoproces identifies the owner by CVR (the API's ``cvr``) and by name (the API's
``municipalityName``; the Excel export has only the name). Our codes are ``DK-<kommunekode>``.
The built-in table joins the two: CVR numbers and names as OS2autoproces itself lists them
(os2autoproces-backend ``security/CommentUsernameGenerator.java``) with the municipality
numbers (kommunekoder) of the 98 Danish municipalities. Regions and other authorities in
OS2autoproces have no municipality number; a caller registers them (or overrides a row)
through ``MunicipalityDirectory(extra_by_cvr=..., extra_by_name=...)``, e.g. from the
store's ``municipality.org_number``.
"""

from collections.abc import Mapping

# (kommunekode, name, CVR)
DANISH_MUNICIPALITIES: tuple[tuple[str, str, str], ...] = (
    ("0101", "Københavns Kommune", "64942212"),
    ("0147", "Frederiksberg Kommune", "11259979"),
    ("0151", "Ballerup Kommune", "58271713"),
    ("0153", "Brøndby Kommune", "65113015"),
    ("0155", "Dragør Kommune", "12881517"),
    ("0157", "Gentofte Kommune", "19438414"),
    ("0159", "Gladsaxe Kommune", "62761113"),
    ("0161", "Glostrup Kommune", "65120119"),
    ("0163", "Herlev Kommune", "63640719"),
    ("0165", "Albertslund Kommune", "66137112"),
    ("0167", "Hvidovre Kommune", "55606617"),
    ("0169", "Høje-Taastrup Kommune", "19501817"),
    ("0173", "Lyngby-Taarbæk Kommune", "11715311"),
    ("0175", "Rødovre Kommune", "65307316"),
    ("0183", "Ishøj Kommune", "11931316"),
    ("0185", "Tårnby Kommune", "20310413"),
    ("0187", "Vallensbæk Kommune", "19583910"),
    ("0190", "Furesø Kommune", "29188327"),
    ("0201", "Allerød Kommune", "60183112"),
    ("0210", "Fredensborg Kommune", "29188335"),
    ("0217", "Helsingør Kommune", "64502018"),
    ("0219", "Hillerød Kommune", "29189366"),
    ("0223", "Hørsholm Kommune", "70960516"),
    ("0230", "Rudersdal Kommune", "29188378"),
    ("0240", "Egedal Kommune", "29188386"),
    ("0250", "Frederikssund Kommune", "29189129"),
    ("0253", "Greve Kommune", "44023911"),
    ("0259", "Køge Kommune", "29189374"),
    ("0260", "Halsnæs Kommune", "29188416"),
    ("0265", "Roskilde Kommune", "29189404"),
    ("0269", "Solrød Kommune", "68534917"),
    ("0270", "Gribskov Kommune", "29188440"),
    ("0306", "Odsherred Kommune", "29188459"),
    ("0316", "Holbæk Kommune", "29189447"),
    ("0320", "Faxe Kommune", "29188475"),
    ("0326", "Kalundborg Kommune", "29189595"),
    ("0329", "Ringsted Kommune", "18957981"),
    ("0330", "Slagelse Kommune", "29188505"),
    ("0336", "Stevns Kommune", "29208654"),
    ("0340", "Sorø Kommune", "29189994"),
    ("0350", "Lejre Kommune", "29188548"),
    ("0360", "Lolland Kommune", "29188572"),
    ("0370", "Næstved Kommune", "29189625"),
    ("0376", "Guldborgsund Kommune", "29188599"),
    ("0390", "Vordingborg Kommune", "29189676"),
    ("0400", "Bornholms Regionskommune", "26696348"),
    ("0410", "Middelfart Kommune", "29189684"),
    ("0420", "Assens Kommune", "29189692"),
    ("0430", "Faaborg-Midtfyn Kommune", "29188645"),
    ("0440", "Kerteminde Kommune", "29189706"),
    ("0450", "Nyborg Kommune", "29189722"),
    ("0461", "Odense Kommune", "35209115"),
    ("0479", "Svendborg Kommune", "29189730"),
    ("0480", "Nordfyns Kommune", "29188947"),
    ("0482", "Langeland Kommune", "29188955"),
    ("0492", "Ærø Kommune", "28856075"),
    ("0510", "Haderslev Kommune", "29189757"),
    ("0530", "Billund Kommune", "29189765"),
    ("0540", "Sønderborg Kommune", "29189773"),
    ("0550", "Tønder Kommune", "29189781"),
    ("0561", "Esbjerg Kommune", "29189803"),
    ("0563", "Fanø Kommune", "31210917"),
    ("0573", "Varde Kommune", "29189811"),
    ("0575", "Vejen Kommune", "29189838"),
    ("0580", "Aabenraa Kommune", "29189854"),
    ("0607", "Fredericia Kommune", "69116418"),
    ("0615", "Horsens Kommune", "29189889"),
    ("0621", "Kolding Kommune", "29189897"),
    ("0630", "Vejle Kommune", "29189900"),
    ("0657", "Herning Kommune", "29189919"),
    ("0661", "Holstebro Kommune", "29189927"),
    ("0665", "Lemvig Kommune", "29189935"),
    ("0671", "Struer Kommune", "29189951"),
    ("0706", "Syddjurs Kommune", "29189978"),
    ("0707", "Norddjurs Kommune", "29189986"),
    ("0710", "Favrskov Kommune", "29189714"),
    ("0727", "Odder Kommune", "32264328"),
    ("0730", "Randers Kommune", "29189668"),
    ("0740", "Silkeborg Kommune", "29189641"),
    ("0741", "Samsø Kommune", "23795515"),
    ("0746", "Skanderborg Kommune", "29189633"),
    ("0751", "Aarhus Kommune", "55133018"),
    ("0756", "Ikast-Brande Kommune", "29189617"),
    ("0760", "Ringkøbing-Skjern Kommune", "29189609"),
    ("0766", "Hedensted Kommune", "29189587"),
    ("0773", "Morsø Kommune", "41333014"),
    ("0779", "Skive Kommune", "29189579"),
    ("0787", "Thisted Kommune", "29189560"),
    ("0791", "Viborg Kommune", "29189846"),
    ("0810", "Brønderslev Kommune", "29189501"),
    ("0813", "Frederikshavn Kommune", "29189498"),
    ("0820", "Vesthimmerlands Kommune", "29189471"),
    ("0825", "Læsø Kommune", "45973328"),
    ("0840", "Rebild Kommune", "29189463"),
    ("0846", "Mariagerfjord Kommune", "29189455"),
    ("0849", "Jammerbugt Kommune", "29189439"),
    ("0851", "Aalborg Kommune", "29189420"),
    ("0860", "Hjørring Kommune", "29189382"),
)

# Names people write without the genitive of the official name, and the pre-2011 spelling.
_ALIASES = {
    "københavn": "københavns",
    "bornholm": "bornholms",
    "nordfyn": "nordfyns",
    "vesthimmerland": "vesthimmerlands",
    "århus": "aarhus",
}


def name_key(name: str) -> str:
    """``"Skanderborg kommune"``, ``"Skanderborg Kommune"`` and ``"Skanderborg"`` are one key."""
    key = " ".join(name.casefold().split())
    for suffix in (" regionskommune", " kommune"):
        key = key.removesuffix(suffix)
    return _ALIASES.get(key, key)


class MunicipalityDirectory:
    """CVR first (it is what the API carries and it never changes), then the name."""

    def __init__(
        self,
        extra_by_cvr: Mapping[str, str] | None = None,
        extra_by_name: Mapping[str, str] | None = None,
    ) -> None:
        self._by_cvr = {cvr: f"DK-{number}" for number, _, cvr in DANISH_MUNICIPALITIES}
        self._by_name = {name_key(name): f"DK-{n}" for n, name, _ in DANISH_MUNICIPALITIES}
        self._by_cvr.update(extra_by_cvr or {})
        self._by_name.update({name_key(k): code for k, code in (extra_by_name or {}).items()})

    def code_for(self, cvr: str | None, name: str | None) -> str | None:
        if cvr and cvr.strip() in self._by_cvr:
            return self._by_cvr[cvr.strip()]
        if name:
            return self._by_name.get(name_key(name))
        return None
