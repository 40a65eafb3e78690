"""Trondheim's realised benefits, spread over months so that the stated totals come back exactly.

The blog gives totals, not monthly figures: "over 10 000 hours" in 2022, "more than 41 000
hours" and "over 1.5 million cases" from 2019 to the end of 2022, and per-month savings for
two Covid-19 processes. We store the stated figures and choose the monthly split:

- Covid-19 test 1 100 h/month and Covid-19 refund 400 h/month (both from the source), and
  Covid-19 vaccine 300 h/month (illustrative; the source's table is not in the text), all
  from 2021-04 (built in Q1 2021) to 2022-02 (testing faded in early 2022): 11 months.
- The yearly rest goes to the other production processes (weight per active month:
  Kontrollrapport lønn 3, the two archive processes 2, each new 2022 process 1), split with
  the largest-remainder method, so every month is a whole number of hours and the year
  sums exactly.

Hours saved per year (MEASURED):

    year   Covid test   Covid refund   Covid vaccine   other processes    total
    2019            0              0               0             3 500    3 500
    2020            0              0               0             5 500    5 500
    2021        9 900          3 600           2 700             5 800   22 000
    2022        2 200            800             600             6 400   10 000
    sum        12 100          4 400           3 300            21 200   41 000

Cases: 36 000 a month for test and refund (1 000-1 500 tests a day), 18 000 for the
vaccine, 990 000 in all; the other 510 000 are spread over the other processes in
proportion to their hours, for exactly 1 500 000.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from reusegraph.store.demo.facts import demo_id, process_id
from reusegraph.store.demo.rows import TABLES, Row, complete
from reusegraph.store.enums import BenefitKind

TRONDHEIM = "NO-5001"
YEAR_HOURS = {2019: 3500, 2020: 5500, 2021: 22000, 2022: 10000}
TOTAL_CASES = 1_500_000
COVID_FIRST, COVID_LAST = date(2021, 4, 1), date(2022, 2, 1)
# slug: (hours a month, cases a month)
COVID = {
    "covid19-test": (1100, 36000),
    "covid19-refusjon": (400, 36000),
    "covid19-vaksine": (300, 18000),
}
# slug: (first month with benefits, weight per month). New 2022 processes are added below.
OTHERS: dict[str, tuple[date, int]] = {
    "kontrollrapport-lonn": (date(2019, 1, 1), 3),
    "restansekontroll-arkiv": (date(2019, 4, 1), 2),
    "arkivering-sofie-esa": (date(2019, 6, 1), 2),
}


def first_full_month(day: date) -> date:
    """Benefits start the month a process went live if that was on the 1st, else the next."""
    if day.day == 1:
        return day
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def months(first: date, last: date) -> list[date]:
    out, current = [], first
    while current <= last:
        out.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return out


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Whole parts proportional to ``weights`` that sum to ``total`` (largest remainder)."""
    weight_sum = sum(weights)
    parts = [total * w // weight_sum for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % weight_sum), i))
    for i in remainders[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _record(slug: str, period: date, hours: int, cases: int, note: str) -> Row:
    pid = process_id(TRONDHEIM, slug)
    return complete(
        TABLES["benefit_records"],
        {
            "id": demo_id("benefit", f"{pid}/{period.isoformat()}/MEASURED"),
            "process_id": pid,
            "period": period,
            "kind": BenefitKind.MEASURED.value,
            "cases": cases,
            "hours_saved": Decimal(hours),
            "note": note,
        },
    )


def trondheim_records() -> list[Row]:
    from reusegraph.store.demo.facts_trondheim import NEW_IN_2022

    others = dict(OTHERS)
    for slug, _, _, put in NEW_IN_2022:
        others[slug] = (first_full_month(put), 1)

    records: list[Row] = []
    covid_hours = {year: 0 for year in YEAR_HOURS}
    covid_cases = 0
    for slug, (hours, cases) in COVID.items():
        for period in months(COVID_FIRST, COVID_LAST):
            records.append(_record(slug, period, hours, cases, "Kilde: timer pr. måned."))
            covid_hours[period.year] += hours
            covid_cases += cases

    slots: list[tuple[str, date, int]] = []  # (slug, period, hours)
    for year, total in YEAR_HOURS.items():
        active = [
            (slug, period, weight)
            for period in months(date(year, 1, 1), date(year, 12, 1))
            for slug, (first, weight) in others.items()
            if period >= first
        ]
        shares = apportion(total - covid_hours[year], [w for _, _, w in active])
        slots += [(slug, period, h) for (slug, period, _), h in zip(active, shares, strict=True)]
    shares_of_cases = apportion(TOTAL_CASES - covid_cases, [h for _, _, h in slots])
    for (slug, period, hours), n in zip(slots, shares_of_cases, strict=True):
        records.append(_record(slug, period, hours, n, "Illustrativ fordeling av totaltall."))

    assert sum(int(r["hours_saved"]) for r in records) == sum(YEAR_HOURS.values()) == 41000
    assert sum(int(r["cases"]) for r in records) == TOTAL_CASES
    return records
