"""Registering municipalities: admins only, from the official lists by default, audited.

The lists ship with the package (Danish municipalities and regions with CVR, Norwegian
municipalities with organisasjonsnummer and mergers); a code in no list needs a name.
"""

import os
import subprocess
import sys

from tests.support.payloads import refusal, user_error, written
from tests.support.tenants import A, Tenants

pytest_plugins = ("tests.support.identity_fixtures",)

FIELDS = "code name orgNumber region version mergedInto { code }"
ERRORS = "userErrors { code message field } clientMutationId"
REGISTER = f"""
mutation ($input: MunicipalityRegisterInput!) {{
  municipalityRegister(input: $input) {{ municipality {{ {FIELDS} }} {ERRORS} }}
}}
"""
UPDATE = f"""
mutation ($input: MunicipalityUpdateInput!) {{
  municipalityUpdate(input: $input) {{ municipality {{ {FIELDS} }} {ERRORS} }}
}}
"""


async def test_an_admin_registers_a_danish_municipality_from_the_official_list(
    t: Tenants,
) -> None:
    before = await t.audit_count()
    body = await t.call(t.token(None, "admin"), REGISTER, {"input": {"code": "dk-0746"}})
    assert written(body, "municipalityRegister", "municipality") == {
        "code": "DK-0746",
        "name": "Skanderborg Kommune",
        "orgNumber": "29189633",
        "region": "Region Midtjylland",
        "version": 1,
        "mergedInto": None,
    }
    assert await t.audit_count() == before + 1
    fte = await t.scalar("SELECT fte_hours_per_year FROM municipality WHERE code = 'DK-0746'")
    assert float(fte) == 1924


async def test_a_merged_norwegian_municipality_points_at_its_successor(t: Tenants) -> None:
    body = await t.call(t.token(None, "admin"), REGISTER, {"input": {"code": "NO-5030"}})
    klaebu = written(body, "municipalityRegister", "municipality")
    assert klaebu["name"] == "Klæbu kommune"
    assert klaebu["mergedInto"] == {"code": A}


async def test_a_code_in_no_list_needs_a_name_and_editors_may_not_register(t: Tenants) -> None:
    body = await t.call(t.token(None, "admin"), REGISTER, {"input": {"code": "NO-9999"}})
    error = user_error(body, "municipalityRegister", "municipality")
    assert (error["code"], error["field"]) == ("REQUIRED", ["name"])
    body = await t.call(
        t.token(None, "admin"), REGISTER, {"input": {"code": "NO-9999", "name": "Nykommune"}}
    )
    assert written(body, "municipalityRegister", "municipality")["name"] == "Nykommune"
    again = await t.call(
        t.token(None, "admin"), REGISTER, {"input": {"code": "NO-9999", "name": "Ny"}}
    )
    assert user_error(again, "municipalityRegister", "municipality")["code"] == "DUPLICATE"
    editor = await t.call(t.token(A, "editor"), REGISTER, {"input": {"code": "DK-0101"}})
    assert refusal(editor)["code"] == "FORBIDDEN"


async def test_an_admin_corrects_the_cvr_and_a_stale_version_is_refused(t: Tenants) -> None:
    for code in ("DK-0730", "DK-0746"):
        await t.call(t.token(None, "admin"), REGISTER, {"input": {"code": code}})
    patch = {"orgNumber": "29189668", "name": "Randers Kommune"}
    body = await t.call(
        t.token(None, "admin"), UPDATE, {"input": {"code": "DK-0730", "version": 1, "patch": patch}}
    )
    found = written(body, "municipalityUpdate", "municipality")
    assert (found["orgNumber"], found["version"]) == ("29189668", 2)
    stale = await t.call(
        t.token(None, "admin"), UPDATE, {"input": {"code": "DK-0730", "version": 1, "patch": patch}}
    )
    assert user_error(stale, "municipalityUpdate", "municipality")["code"] == "VERSION_CONFLICT"
    taken = await t.call(
        t.token(None, "admin"),
        UPDATE,
        {"input": {"code": "DK-0730", "version": 2, "patch": {"orgNumber": "29189633"}}},
    )
    assert user_error(taken, "municipalityUpdate", "municipality")["field"] == ["orgNumber"]


def _cli(*args: str, database: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reusegraph", *args],
        env={**os.environ, "DATABASE_URL": database},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_cli_adds_from_the_list_and_lists_what_is_registered(t: Tenants) -> None:
    database = t.db.engine.url.render_as_string(hide_password=False).replace("+asyncpg", "")
    added = _cli("municipality", "add", "NO-5030", database=database)
    assert added.returncode == 0, added.stderr
    listed = _cli("municipality", "list", database=database)
    assert "NO-5030  Klæbu kommune" in listed.stdout
    assert "NO-5001" in listed.stdout
    unknown = _cli("municipality", "add", "NO-9998", database=database)
    assert unknown.returncode == 2
    assert "give --name" in unknown.stderr
