"""Writing the shared directory: municipality settings, vendors, framework agreements.

Each write: its municipality's editors (or an admin) only, one audit entry, a stale
version refused, bad input answered with userErrors that name the field.
"""

from typing import Any

import pytest

from tests.support import builders as b
from tests.support.payloads import payload, refusal, user_error, written
from tests.support.tenants import A, B, Tenants

pytest_plugins = ("tests.support.identity_fixtures",)

ERRORS = "userErrors { code message field } clientMutationId"
SETTINGS = f"""
mutation ($input: MunicipalitySettingsUpdateInput!) {{
  municipalitySettingsUpdate(input: $input) {{
    municipality {{ code fteHoursPerYear note itSystems {{ code }} technologies {{ code }} }}
    {ERRORS}
  }}
}}
"""
VENDOR_CREATE = f"""
mutation ($input: VendorCreateInput!) {{
  vendorCreate(input: $input) {{ vendor {{ id name country orgNumber website }} {ERRORS} }}
}}
"""
VENDOR_UPDATE = f"""
mutation ($input: VendorUpdateInput!) {{
  vendorUpdate(input: $input) {{ vendor {{ id name orgNumber website }} {ERRORS} }}
}}
"""
AGREEMENT = "frameworkAgreement { id title kind endDate maxEndDate optionsExercised optionsLeft parties { code } vendors { name } }"
AGREEMENT_CREATE = f"""
mutation ($input: FrameworkAgreementCreateInput!) {{
  frameworkAgreementCreate(input: $input) {{ {AGREEMENT} {ERRORS} }}
}}
"""
AGREEMENT_UPDATE = f"""
mutation ($input: FrameworkAgreementUpdateInput!) {{
  frameworkAgreementUpdate(input: $input) {{ {AGREEMENT} {ERRORS} }}
}}
"""
EXERCISE = f"""
mutation ($input: FrameworkAgreementExerciseOptionInput!) {{
  frameworkAgreementExerciseOption(input: $input) {{ {AGREEMENT} {ERRORS} }}
}}
"""


@pytest.fixture
async def t(t: Tenants) -> Tenants:
    """The shared tenants, with a technology to name."""
    await b.insert_rows(t.db, technology=[{"code": "rpa", "name": "RPA"}])
    return t


async def version_of(t: Tenants, table: str, key: str, value: Any) -> int:
    found = await t.scalar(f"SELECT version FROM {table} WHERE {key} = :v", v=value)
    return int(found)


def uuid_of(global_id: str) -> str:
    return global_id.split(":", 1)[1]


async def create_vendor(t: Tenants, name: str = "AVO Consulting AS") -> str:
    body = await t.call(
        t.token(A, "editor"), VENDOR_CREATE, {"input": {"name": name, "country": "NO"}}
    )
    vendor_id: str = written(body, "vendorCreate", "vendor")["id"]
    return vendor_id


async def create_agreement(t: Tenants, parties: list[str], vendors: list[str]) -> str:
    body = await t.call(
        t.token(A, "editor"),
        AGREEMENT_CREATE,
        {
            "input": {
                "kind": "FRAMEWORK",
                "title": "Rammeavtale RPA",
                "startDate": "2024-01-01",
                "initialTermMonths": 24,
                "optionMonths": [12, 12],
                "parties": parties,
                "vendorIds": vendors,
            }
        },
    )
    agreement_id: str = written(body, "frameworkAgreementCreate", "frameworkAgreement")["id"]
    return agreement_id


# --- municipality settings -------------------------------------------------------------


async def test_an_editor_sets_own_municipality_settings_in_one_audited_write(t: Tenants) -> None:
    before = await t.audit_count()
    patch = {"fteHoursPerYear": 1700, "itSystems": ["sofie"], "technologies": ["rpa"]}
    body = await t.call(
        t.token(A, "editor"),
        SETTINGS,
        {"input": {"code": A, "version": 1, "patch": {**patch, "note": " Pilot "}}},
    )
    municipality = written(body, "municipalitySettingsUpdate", "municipality")
    assert municipality == {
        "code": A,
        "fteHoursPerYear": 1700.0,
        "note": "Pilot",
        "itSystems": [{"code": "sofie"}],
        "technologies": [{"code": "rpa"}],
    }
    assert await version_of(t, "municipality", "code", A) == 2
    assert await t.audit_count() == before + 1
    after = await t.scalar("SELECT after FROM audit_entry ORDER BY id DESC LIMIT 1")
    assert after["it_systems"] == ["sofie"]
    assert after["technologies"] == ["rpa"]


async def test_settings_of_another_municipality_are_forbidden(t: Tenants) -> None:
    before = await t.audit_count()
    body = await t.call(
        t.token(A, "editor"),
        SETTINGS,
        {"input": {"code": B, "version": 1, "patch": {"fteHoursPerYear": 1}}},
    )
    error = refusal(body)
    assert error["code"] == "FORBIDDEN"
    assert B in error["message"]
    assert await t.audit_count() == before
    assert await version_of(t, "municipality", "code", B) == 1


async def test_an_admin_may_set_any_municipality_s_settings(t: Tenants) -> None:
    body = await t.call(
        t.token(A, "admin"),
        SETTINGS,
        {"input": {"code": B, "version": 1, "patch": {"identityProvider": "ID-porten"}}},
    )
    assert written(body, "municipalitySettingsUpdate", "municipality")["code"] == B


@pytest.mark.parametrize(
    ("patch", "code", "field", "says"),
    [
        ({"fteHoursPerYear": 9000}, "OUT_OF_RANGE", "fteHoursPerYear", "8784"),
        ({"itSystems": ["sofie", "nope"]}, "NOT_FOUND", "itSystems", "nope"),
        ({}, "REQUIRED", None, "at least one field"),
    ],
)
async def test_bad_settings_name_the_field_and_write_nothing(
    t: Tenants, patch: dict[str, Any], code: str, field: str | None, says: str
) -> None:
    before = await t.audit_count()
    body = await t.call(
        t.token(A, "editor"), SETTINGS, {"input": {"code": A, "version": 1, "patch": patch}}
    )
    error = user_error(body, "municipalitySettingsUpdate", "municipality")
    assert error["code"] == code
    assert error["field"] == (["patch", field] if field else ["patch"])
    assert says in error["message"]
    assert await t.audit_count() == before
    assert await version_of(t, "municipality", "code", A) == 1


async def test_settings_from_a_stale_version_are_refused(t: Tenants) -> None:
    token = t.token(A, "editor")
    for hours, expected in ((1700, None), (1800, "VERSION_CONFLICT")):
        body = await t.call(
            token,
            SETTINGS,
            {"input": {"code": A, "version": 1, "patch": {"fteHoursPerYear": hours}}},
        )
        errors = payload(body, "municipalitySettingsUpdate")["userErrors"]
        assert [e["code"] for e in errors] == ([expected] if expected else [])
    assert (
        await t.scalar("SELECT fte_hours_per_year FROM municipality WHERE code = :c", c=A) == 1700
    )


async def test_a_retried_settings_update_is_applied_once(t: Tenants) -> None:
    token = t.token(A, "editor")
    variables = {
        "input": {
            "code": A,
            "version": 1,
            "patch": {"note": "once"},
            "clientMutationId": "settings-1",
        }
    }
    for _ in range(2):
        body = await t.call(token, SETTINGS, variables)
        result = payload(body, "municipalitySettingsUpdate")
        assert result["userErrors"] == []
        assert result["clientMutationId"] == "settings-1"
    assert await version_of(t, "municipality", "code", A) == 2
    audited = "SELECT count(*) FROM audit_entry WHERE action = 'municipalitySettingsUpdate'"
    assert await t.scalar(audited) == 1


# --- vendors ---------------------------------------------------------------------------


async def test_an_editor_adds_a_vendor(t: Tenants) -> None:
    before = await t.audit_count()
    body = await t.call(
        t.token(B, "editor"),
        VENDOR_CREATE,
        {
            "input": {
                "name": "Digital Workforce AS",
                "country": "NO",
                "orgNumber": "918 530 622",
                "website": "https://digitalworkforce.com",
            }
        },
    )
    vendor = written(body, "vendorCreate", "vendor")
    assert vendor["name"] == "Digital Workforce AS"
    assert vendor["orgNumber"] == "918530622"
    assert await t.audit_count() == before + 1


async def test_a_reader_may_not_add_vendors(t: Tenants) -> None:
    body = await t.call(
        t.token(A, "reader"), VENDOR_CREATE, {"input": {"name": "X AS", "country": "NO"}}
    )
    assert refusal(body)["code"] == "FORBIDDEN"
    assert await t.scalar("SELECT count(*) FROM vendor") == 0


@pytest.mark.parametrize(
    ("values", "code", "field", "says"),
    [
        ({"name": "avo consulting as"}, "DUPLICATE", "name", "exists already"),
        ({"orgNumber": "12345"}, "INVALID", "orgNumber", "9 digits"),
        ({"website": "ftp://avo.no"}, "INVALID", "website", "http(s)"),
        ({"name": "  "}, "REQUIRED", "name", "must not be empty"),
    ],
)
async def test_bad_vendors_are_refused_by_field(
    t: Tenants, values: dict[str, Any], code: str, field: str, says: str
) -> None:
    await create_vendor(t)
    body = await t.call(
        t.token(B, "editor"),
        VENDOR_CREATE,
        {"input": {"name": "Another AS", "country": "NO", **values}},
    )
    error = user_error(body, "vendorCreate", "vendor")
    assert (error["code"], error["field"]) == (code, [field])
    assert says in error["message"]
    assert await t.scalar("SELECT count(*) FROM vendor") == 1


async def test_parties_to_a_vendor_s_agreements_may_correct_it_others_not(t: Tenants) -> None:
    vendor = await create_vendor(t)
    await create_agreement(t, [A], [vendor])
    change = {"id": vendor, "version": 1, "patch": {"website": "https://avo.no"}}
    refused = await t.call(t.token(B, "editor"), VENDOR_UPDATE, {"input": change})
    error = refusal(refused)
    assert error["code"] == "FORBIDDEN"
    assert A in error["message"]
    body = await t.call(t.token(A, "editor"), VENDOR_UPDATE, {"input": change})
    assert written(body, "vendorUpdate", "vendor")["website"] == "https://avo.no"
    stale = await t.call(t.token(A, "editor"), VENDOR_UPDATE, {"input": change})
    assert user_error(stale, "vendorUpdate", "vendor")["code"] == "VERSION_CONFLICT"
    assert await version_of(t, "vendor", "id", uuid_of(vendor)) == 2


async def test_renaming_a_vendor_to_a_taken_name_is_a_duplicate(t: Tenants) -> None:
    first = await create_vendor(t, "KPMG AS")
    await create_vendor(t, "EY AS")
    body = await t.call(
        t.token(A, "admin"),
        VENDOR_UPDATE,
        {"input": {"id": first, "version": 1, "patch": {"name": "EY AS"}}},
    )
    error = user_error(body, "vendorUpdate", "vendor")
    assert (error["code"], error["field"]) == ("DUPLICATE", ["patch", "name"])


# --- framework agreements --------------------------------------------------------------


async def test_an_editor_registers_an_agreement_with_its_computed_end_date(t: Tenants) -> None:
    vendor = await create_vendor(t)
    before = await t.audit_count()
    agreement_id = await create_agreement(t, [A, B], [vendor])
    assert await t.audit_count() == before + 1
    body = await t.call(
        None,
        "query ($id: ID!) { node(id: $id) { ... on FrameworkAgreement { endDate } } }",
        {"id": agreement_id},
    )
    assert body["data"]["node"] == {"endDate": "2025-12-31"}
    parties = await t.scalar(
        "SELECT array_agg(municipality_code ORDER BY municipality_code) FROM agreement_party"
    )
    assert parties == sorted([A, B])


async def test_an_agreement_without_your_municipality_is_forbidden(t: Tenants) -> None:
    body = await t.call(
        t.token(A, "editor"),
        AGREEMENT_CREATE,
        {
            "input": {
                "kind": "CONTRACT",
                "title": "Oslo's own",
                "startDate": "2024-01-01",
                "initialTermMonths": 12,
                "parties": [B],
            }
        },
    )
    assert refusal(body)["code"] == "FORBIDDEN"
    assert await t.scalar("SELECT count(*) FROM framework_agreement") == 0


@pytest.mark.parametrize(
    ("values", "code", "field", "says"),
    [
        ({"optionsExercised": 3}, "OUT_OF_RANGE", "optionsExercised", "only 2 option"),
        ({"kind": "CONTRACT"}, "INVALID", "vendorIds", "one vendor"),
        ({"parties": [A, "NO-9999"]}, "NOT_FOUND", "parties", "NO-9999"),
        ({"initialTermMonths": 0}, "OUT_OF_RANGE", "initialTermMonths", "1-240"),
    ],
)
async def test_bad_agreements_are_refused_by_field(
    t: Tenants, values: dict[str, Any], code: str, field: str, says: str
) -> None:
    vendors = [await create_vendor(t, "One AS"), await create_vendor(t, "Two AS")]
    body = await t.call(
        t.token(A, "editor"),
        AGREEMENT_CREATE,
        {
            "input": {
                "kind": "FRAMEWORK",
                "title": "Rammeavtale",
                "startDate": "2024-01-01",
                "initialTermMonths": 24,
                "optionMonths": [12, 12],
                "parties": [A],
                "vendorIds": vendors,
                **values,
            }
        },
    )
    error = user_error(body, "frameworkAgreementCreate", "frameworkAgreement")
    assert (error["code"], error["field"]) == (code, [field])
    assert says in error["message"]
    assert await t.scalar("SELECT count(*) FROM framework_agreement") == 0


async def test_exercising_options_moves_the_end_date_until_none_are_left(t: Tenants) -> None:
    agreement_id = await create_agreement(t, [A], [])
    token = t.token(A, "editor")
    ends = []
    for version in (1, 2):
        body = await t.call(token, EXERCISE, {"input": {"id": agreement_id, "version": version}})
        agreement = written(body, "frameworkAgreementExerciseOption", "frameworkAgreement")
        ends.append((agreement["endDate"], agreement["optionsLeft"]))
    assert ends == [("2026-12-31", 1), ("2027-12-31", 0)]
    body = await t.call(token, EXERCISE, {"input": {"id": agreement_id, "version": 3}})
    error = user_error(body, "frameworkAgreementExerciseOption", "frameworkAgreement")
    assert error["code"] == "OUT_OF_RANGE"
    assert "all 2 of its options" in error["message"]
    stale = await t.call(token, EXERCISE, {"input": {"id": agreement_id, "version": 1}})
    error = user_error(stale, "frameworkAgreementExerciseOption", "frameworkAgreement")
    assert error["code"] == "VERSION_CONFLICT"
    exercised = "SELECT options_exercised FROM framework_agreement"
    assert await t.scalar(exercised) == 2


async def test_only_parties_change_an_agreement_and_not_from_a_stale_version(
    t: Tenants,
) -> None:
    agreement_id = await create_agreement(t, [A], [])
    change = {"id": agreement_id, "version": 1, "patch": {"title": "Rammeavtale RPA 2024"}}
    outsider = await t.call(t.token(B, "editor"), AGREEMENT_UPDATE, {"input": change})
    assert refusal(outsider)["code"] == "FORBIDDEN"
    exercise = await t.call(
        t.token(B, "editor"), EXERCISE, {"input": {"id": agreement_id, "version": 1}}
    )
    assert refusal(exercise)["code"] == "FORBIDDEN"
    body = await t.call(t.token(A, "editor"), AGREEMENT_UPDATE, {"input": change})
    assert written(body, "frameworkAgreementUpdate", "frameworkAgreement")["title"] == (
        "Rammeavtale RPA 2024"
    )
    stale = await t.call(t.token(A, "editor"), AGREEMENT_UPDATE, {"input": change})
    error = user_error(stale, "frameworkAgreementUpdate", "frameworkAgreement")
    assert (error["code"], error["field"]) == ("VERSION_CONFLICT", ["version"])


async def test_an_editor_cannot_hand_an_agreement_over_to_others(t: Tenants) -> None:
    agreement_id = await create_agreement(t, [A, B], [])
    change = {"id": agreement_id, "version": 1, "patch": {"parties": [B]}}
    body = await t.call(t.token(A, "editor"), AGREEMENT_UPDATE, {"input": change})
    assert refusal(body)["code"] == "FORBIDDEN"
    joined = await t.call(
        t.token(B, "editor"),
        AGREEMENT_UPDATE,
        {"input": {**change, "patch": {"optionsExercised": 1}}},
    )
    agreement = written(joined, "frameworkAgreementUpdate", "frameworkAgreement")
    assert agreement["endDate"] == "2026-12-31"
    assert {p["code"] for p in agreement["parties"]} == {A, B}
