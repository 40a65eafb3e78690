"""The shipped official municipality lists: complete, consistent, and read as intended."""

from datetime import date

from reusegraph.store.official_municipalities import (
    OfficialMunicipality,
    official,
    official_by_name,
    official_by_org_number,
    official_municipalities,
)

NORWAY = [m for m in official_municipalities() if m.country == "NO"]


def existed_on(day: date) -> set[str]:
    """Codes in force that day: ended after it, and not numbered only later (2024)."""
    started_2024 = {m.merged_into for m in NORWAY if m.valid_to == date(2023, 12, 31)}
    started_2024.add("NO-1580")  # Haram, re-established
    return {
        m.code
        for m in NORWAY
        if (m.valid_to is None or m.valid_to >= day)
        and not (day < date(2024, 1, 1) and m.valid_to is None and m.code in started_2024)
        and not (m.valid_to is not None and m.valid_to < date(2020, 1, 1) <= day)
    }


def test_norway_has_357_municipalities_in_2024_and_356_in_2020() -> None:
    assert len({m.code for m in NORWAY if m.valid_to is None}) == 357
    assert len(existed_on(date(2020, 1, 1))) == 356


def test_every_merger_points_at_a_listed_successor_and_numbers_are_unique() -> None:
    codes = [m.code for m in official_municipalities()]
    assert len(codes) == len(set(codes))
    assert all(official(m.merged_into) for m in NORWAY if m.merged_into)
    numbers = [m.org_number for m in NORWAY if m.org_number]
    assert len(numbers) == len(set(numbers))
    assert all(n.isdigit() and len(n) == 9 for n in numbers)


def test_klaebu_ended_in_2019_into_trondheim() -> None:
    assert official("NO-5030") == OfficialMunicipality(
        "NO-5030", "Klæbu kommune", "NO", "Trøndelag", None, date(2019, 12, 31), "NO-5001"
    )
    trondheim = official("NO-5001")
    assert trondheim is not None
    assert trondheim.org_number == "942110464"


def test_a_renumbered_municipality_keeps_its_organisation_number_on_its_current_row() -> None:
    bearum_2020 = official("NO-3024")
    assert bearum_2020 is not None
    assert (bearum_2020.valid_to, bearum_2020.merged_into) == (date(2023, 12, 31), "NO-3201")
    found = official_by_org_number("935478715")
    assert found is not None
    assert found.code == "NO-3201"


def test_a_name_two_municipalities_share_names_neither() -> None:
    assert official_by_name("Herøy kommune") is None
    found = official_by_name("Voss herad")
    assert found is not None
    assert found.code == "NO-4621"
