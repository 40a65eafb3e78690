"""scoring dimensions stored on process_rollup

Revision ID: 0009_stored_scoring
Revises: 0008_cheaper_bulk_triggers
Create Date: 2026-11-21 07:00:00

reuseCandidates ranks every eligible process of the other municipalities (about 8 000 at
100 000 processes) and scored each with the Trondheim model's CASE chains at read time:
25 ms of its 70 ms statement. Three columns of ``process_rollup`` now hold the parts that
depend only on the process's own inputs, computed by PostgreSQL on every write
(``GENERATED ALWAYS ... STORED``, so no trigger has to remember them): qualitative gains,
economic gains, and the implementation-speed inputs except reuse, which depends on who
asks. The expressions are written in the same order of operations as ``store.scoring``,
so the stored values equal the read-time ones to the last bit (a test compares them).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_stored_scoring"
down_revision: str | None = "0008_cheaper_bulk_triggers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUALITATIVE_GAINS = (
    "(CASE WHEN (level_of_speed = 'VERY_LOW') THEN 0.0::float8 WHEN (level_of_speed = "
    "'LOW') THEN 0.3333333333333333::float8 WHEN (level_of_speed = 'HIGH') THEN "
    "0.6666666666666666::float8 WHEN (level_of_speed = 'VERY_HIGH') THEN 1.0::float8 ELSE"
    " 0.0::float8 END + CASE WHEN (level_of_routine_work_reduction = 'VERY_LOW') THEN "
    "0.0::float8 WHEN (level_of_routine_work_reduction = 'LOW') THEN "
    "0.3333333333333333::float8 WHEN (level_of_routine_work_reduction = 'HIGH') THEN "
    "0.6666666666666666::float8 WHEN (level_of_routine_work_reduction = 'VERY_HIGH') THEN"
    " 1.0::float8 ELSE 0.0::float8 END + CASE WHEN (level_of_quality = 'VERY_LOW') THEN "
    "0.0::float8 WHEN (level_of_quality = 'LOW') THEN 0.3333333333333333::float8 WHEN "
    "(level_of_quality = 'HIGH') THEN 0.6666666666666666::float8 WHEN (level_of_quality ="
    " 'VERY_HIGH') THEN 1.0::float8 ELSE 0.0::float8 END) / 3.0::float8"
)
ECONOMIC_GAINS = (
    "least(1.0::float8, log(1.0::float8 + greatest(coalesce(runs_per_year::float8 * "
    "minutes_per_run::float8 * automation_percentage::float8 / 6000.0::float8, "
    "0.0::float8), 0.0::float8)) / 4.000043427276863::float8)"
)
SPEED_INPUTS = (
    "CASE WHEN (level_of_structured_information = 'VERY_LOW') THEN 0.0::float8 WHEN "
    "(level_of_structured_information = 'LOW') THEN 0.3333333333333333::float8 WHEN "
    "(level_of_structured_information = 'HIGH') THEN 0.6666666666666666::float8 WHEN "
    "(level_of_structured_information = 'VERY_HIGH') THEN 1.0::float8 ELSE 0.0::float8 "
    "END + CASE WHEN (level_of_professional_assessment = 'VERY_LOW') THEN 1.0::float8 "
    "WHEN (level_of_professional_assessment = 'LOW') THEN 0.6666666666666667::float8 WHEN"
    " (level_of_professional_assessment = 'HIGH') THEN 0.33333333333333337::float8 WHEN "
    "(level_of_professional_assessment = 'VERY_HIGH') THEN 0.0::float8 ELSE 0.0::float8 "
    "END + (CASE WHEN (level_of_uniformity = 'VERY_LOW') THEN 1.0::float8 WHEN "
    "(level_of_uniformity = 'LOW') THEN 0.6666666666666667::float8 WHEN "
    "(level_of_uniformity = 'HIGH') THEN 0.33333333333333337::float8 WHEN "
    "(level_of_uniformity = 'VERY_HIGH') THEN 0.0::float8 ELSE 0.0::float8 END + CASE "
    "WHEN (level_of_change = 'VERY_LOW') THEN 1.0::float8 WHEN (level_of_change = 'LOW') "
    "THEN 0.6666666666666667::float8 WHEN (level_of_change = 'HIGH') THEN "
    "0.33333333333333337::float8 WHEN (level_of_change = 'VERY_HIGH') THEN 0.0::float8 "
    "ELSE 0.0::float8 END) / 2.0::float8 + (CASE WHEN (level_of_digital_information = "
    "'VERY_LOW') THEN 0.0::float8 WHEN (level_of_digital_information = 'LOW') THEN "
    "0.3333333333333333::float8 WHEN (level_of_digital_information = 'HIGH') THEN "
    "0.6666666666666666::float8 WHEN (level_of_digital_information = 'VERY_HIGH') THEN "
    "1.0::float8 ELSE 0.0::float8 END + CASE WHEN (evaluated_level_of_roi = 'VERY_LOW') "
    "THEN 0.0::float8 WHEN (evaluated_level_of_roi = 'LOW') THEN "
    "0.3333333333333333::float8 WHEN (evaluated_level_of_roi = 'HIGH') THEN "
    "0.6666666666666666::float8 WHEN (evaluated_level_of_roi = 'VERY_HIGH') THEN "
    "1.0::float8 ELSE 0.0::float8 END) / 2.0::float8"
)

COLUMNS = {
    "qualitative_gains": QUALITATIVE_GAINS,
    "economic_gains": ECONOMIC_GAINS,
    "speed_inputs": SPEED_INPUTS,
}


def upgrade() -> None:
    added = ", ".join(
        f"ADD COLUMN {name} double precision GENERATED ALWAYS AS ({sql}) STORED"
        for name, sql in COLUMNS.items()
    )
    op.execute(f"ALTER TABLE process_rollup {added}")


def downgrade() -> None:
    dropped = ", ".join(f"DROP COLUMN {name}" for name in COLUMNS)
    op.execute(f"ALTER TABLE process_rollup {dropped}")
