"""Monthly reference rates for showing money in one currency beside its own.

The rates are data shipped with the package (``reference/ecb_monthly_rates.csv``: the
ECB's daily euro reference rates averaged per month by ``scripts/derive_monthly_rates.py``;
the file's ``#`` lines name the source and date). A month or currency without a rate has
no conversion: ``None``, never a guess and never a neighbouring month's rate.
"""

import csv
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources

RATES_FILE = "ecb_monthly_rates.csv"
BASE = "EUR"


@dataclass(frozen=True)
class RateTable:
    per_eur: dict[tuple[date, str], Decimal]
    source: str

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset({BASE, *(currency for _, currency in self.per_eur)})

    def rate(self, month: date, source: str, target: str) -> Decimal | None:
        """Units of ``target`` per unit of ``source`` in ``month``."""
        month = month.replace(day=1)
        if source == target:
            return Decimal(1) if source in self.currencies else None
        per_source = Decimal(1) if source == BASE else self.per_eur.get((month, source))
        per_target = Decimal(1) if target == BASE else self.per_eur.get((month, target))
        if per_source is None or per_target is None:
            return None
        return per_target / per_source

    def convert(self, amount: Decimal, month: date, source: str, target: str) -> Decimal | None:
        rate = self.rate(month, source, target)
        if rate is None:
            return None
        return (amount * rate).quantize(Decimal("0.01"), ROUND_HALF_UP)


@cache
def rate_table() -> RateTable:
    text = (resources.files("reusegraph.store.reference") / RATES_FILE).read_text("utf-8")
    lines = text.splitlines()
    header = [line.lstrip("# ").rstrip() for line in lines if line.startswith("#")]
    rows = csv.DictReader(line for line in lines if not line.startswith("#"))
    per_eur = {
        (date.fromisoformat(f"{row['month']}-01"), row["currency"]): Decimal(row["per_eur"])
        for row in rows
    }
    return RateTable(per_eur, " ".join(header))
