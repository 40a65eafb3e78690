"""The Trondheim scoring model as GraphQL: ``Process.score`` and ``orderBy: SCORE``."""

import math
from collections.abc import Mapping

import strawberry

from reusegraph.schema.core.errors import BadUserInput
from reusegraph.store.scoring import MAX_WEIGHT, ScoreParts
from reusegraph.store.scoring import ScoreWeights as StoreScoreWeights

MODEL = (
    "Trondheim's RPA scoring model: qualitative gains (customer and employee satisfaction,"
    " compliance), direct economic gains (time per case x cases, net of fall-out) and"
    " implementation speed (input data, decision simplicity, process length, system"
    " suitability, reuse), each 0-1 from the process's assessment and time fields."
)


def check_weights(values: Mapping[str, float], argument: str) -> None:
    """Each weight 0-10 and not all 0: the parts are weighed relative to each other."""
    for name, value in values.items():
        if not math.isfinite(value) or not 0.0 <= value <= MAX_WEIGHT:
            raise BadUserInput(
                f"{argument}.{name} must be between 0 and {MAX_WEIGHT:g}; got {value:g}."
                " Weights are relative: 2 counts twice as much as 1.",
                argument=f"{argument}.{name}",
            )
    if not any(values.values()):
        raise BadUserInput(f"{argument}: at least one weight must be above 0", argument=argument)


@strawberry.input(description="Relative weights of the three dimensions, each 0-10, not all 0.")
class ScoreWeights:
    qualitative_gains: float = 1.0
    economic_gains: float = 1.0
    implementation_speed: float = 1.0

    def to_store(self, argument: str) -> StoreScoreWeights:
        check_weights(
            {
                "qualitativeGains": self.qualitative_gains,
                "economicGains": self.economic_gains,
                "implementationSpeed": self.implementation_speed,
            },
            argument,
        )
        return StoreScoreWeights(
            self.qualitative_gains, self.economic_gains, self.implementation_speed
        )


def store_weights(weights: ScoreWeights | None, argument: str) -> StoreScoreWeights:
    return weights.to_store(argument) if weights else StoreScoreWeights()


@strawberry.type(description=MODEL)
class ProcessScore:
    total: float = strawberry.field(
        description="The weighted mean of the three dimensions, 0-1 (higher is better)."
    )
    qualitative_gains: float = strawberry.field(
        description="Mean of levelOfSpeed, levelOfRoutineWorkReduction and levelOfQuality."
    )
    economic_gains: float = strawberry.field(
        description="expectedHoursPerYear on a log scale: 10 000 hours a year or more is 1."
    )
    implementation_speed: float = strawberry.field(
        description="Mean of input data quality, decision simplicity, process length,"
        " system suitability and reuse (1 if built on another process)."
    )

    @classmethod
    def of(cls, parts: ScoreParts, weights: StoreScoreWeights) -> "ProcessScore":
        return cls(
            total=parts.total(weights),
            qualitative_gains=parts.qualitative_gains,
            economic_gains=parts.economic_gains,
            implementation_speed=parts.implementation_speed,
        )
