"""Money shown in one currency beside its own, with the month's reference rate named."""

from datetime import date
from decimal import Decimal
from enum import Enum

import strawberry

from reusegraph.schema.benefits import Money
from reusegraph.schema.core.scalars import Month
from reusegraph.store.currency_rates import rate_table


@strawberry.enum(description="Currencies the shipped reference rates cover.")
class Currency(Enum):
    EUR = "EUR"
    DKK = "DKK"
    NOK = "NOK"
    SEK = "SEK"


@strawberry.type(
    description="One amount in its own currency and converted with the month's reference"
    " rate. Each original currency keeps its own entry: adding converted amounts is the"
    " client's explicit choice, never done here."
)
class ConvertedMoney:
    original: Money
    amount: float | None = strawberry.field(
        description="In `currency`; null when the month has no reference rate."
    )
    currency: str
    rate: float | None = strawberry.field(
        description="Units of `currency` per unit of the original currency in `rateMonth`."
    )
    rate_month: Month
    rate_source: str = strawberry.field(description="Where the rates come from, and their date.")


def converted(money: list[Money], month: date, target: Currency) -> list[ConvertedMoney]:
    table = rate_table()
    result = []
    for entry in money:
        rate = table.rate(month, entry.currency, target.value)
        amount = table.convert(Decimal(str(entry.amount)), month, entry.currency, target.value)
        result.append(
            ConvertedMoney(
                original=entry,
                amount=None if amount is None else float(amount),
                currency=target.value,
                rate=None if rate is None else round(float(rate), 6),
                rate_month=Month(month.replace(day=1)),
                rate_source=table.source,
            )
        )
    return result
