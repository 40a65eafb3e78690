"""``POST /import``: an editor uploads their municipality's file over HTTP.

The real app on loopback, real signed tokens: the dry run reports row by row and writes
nothing; ``?apply=true`` writes it in one transaction, audited under the editor; a file
with a bad row, another municipality's rows, an oversized body or a caller without the
editor role write nothing.
"""

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.auth.principal import Principal, Role
from reusegraph.federation.files import ImportOptions, run_import
from reusegraph.federation.files.rows import default_source
from reusegraph.store.audit import Call
from reusegraph.store.engine import Database
from reusegraph.store.source_writes import SourceSpec, register_source
from reusegraph.store.write_errors import WriteForbidden
from tests.support import builders as b
from tests.support.http import serving
from tests.support.issuer import LocalIssuer
from tests.support.postgres import url_of
from tests.support.remotes import ADMIN
from tests.support.tenants import A, B, issuer_entry

pytest_plugins = ("tests.support.identity_fixtures",)

LIMIT = 4096
CSV = (
    "ID;Titel;Fase;Synlighed;Kommunekode\n"
    f"T-1;Fakturaer for legeerklæringer;Drift;Offentlig;{A}\n"
    f"T-2;Sykefravær i Visma;Idé;Myndighed;{A}\n"
)


class Importer:
    def __init__(self, db: Database, http: httpx.AsyncClient, issuer: LocalIssuer) -> None:
        self.db, self.http, self.issuer = db, http, issuer

    def token(self, municipality: str | None, *roles: str) -> str:
        return self.issuer.token(
            f"kari-{municipality}", municipality=municipality, roles=list(roles)
        )

    async def upload(
        self,
        content: str | bytes,
        name: str = "registry.csv",
        *,
        token: str | None = None,
        apply: bool = False,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = content.encode() if isinstance(content, str) else content
        return await self.http.post(
            "/import" + ("?apply=true" if apply else ""),
            files={"file": (name, data, "text/csv")},
            headers=headers,
        )

    async def titles(self) -> list[str]:
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(text("SELECT title FROM process ORDER BY title"))
            return [row[0] for row in rows]

    async def audit(self) -> list[dict[str, Any]]:
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT action, entity, subject, municipality_code, after->>'title' AS title"
                    " FROM audit_entry ORDER BY id"
                )
            )
            return [dict(row._mapping) for row in rows]

    async def umbrellas(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(umbrella, member) titles made, and (umbrella, member) source ids waiting."""
        async with self.db.engine.connect() as conn:
            made = await conn.execute(
                text(
                    "SELECT u.title, c.title FROM process_umbrella pu JOIN process u"
                    " ON u.id = pu.umbrella_id JOIN process c ON c.id = pu.child_id ORDER BY 1, 2"
                )
            )
            waiting = await conn.execute(
                text(
                    "SELECT umbrella_source_id, child_source_id FROM pending_umbrella ORDER BY 1, 2"
                )
            )
            return [(r[0], r[1]) for r in made], [(r[0], r[1]) for r in waiting]


@pytest.fixture
async def importer(empty_db: Database, local_issuer: LocalIssuer) -> AsyncIterator[Importer]:
    await b.insert_rows(empty_db, municipality=[b.municipality(A), b.municipality(B)])
    settings = Settings(issuers=issuer_entry(local_issuer, admin=True), max_import_bytes=LIMIT)
    async with (
        serving(create_app(settings, url_of(empty_db))) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as http,
    ):
        yield Importer(empty_db, http, local_issuer)


async def test_dry_run_then_apply(importer: Importer) -> None:
    editor = importer.token(A, "editor")
    dry = await importer.upload(CSV, token=editor)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["dryRun"] is True
    assert report["written"] is False
    assert report["rows"] == 2
    assert report["errors"] == []
    assert [(c["action"], c["row"], c["id"], c["title"]) for c in report["changes"]] == [
        ("create", "row 2", "T-1", "Fakturaer for legeerklæringer"),
        ("create", "row 3", "T-2", "Sykefravær i Visma"),
    ]
    assert report["sources"][0]["code"] == f"file-{A.lower()}"
    assert report["sources"][0]["created"] == 2
    assert await importer.titles() == []
    assert await importer.audit() == []

    done = await importer.upload(CSV, token=editor, apply=True)
    assert done.status_code == 200, done.text
    assert done.json()["written"] is True
    assert await importer.titles() == ["Fakturaer for legeerklæringer", "Sykefravær i Visma"]
    processes = [e for e in await importer.audit() if e["entity"] == "Process"]
    assert [(e["action"], e["subject"], e["municipality_code"]) for e in processes] == [
        ("fileImport", f"kari-{A}", A),
        ("fileImport", f"kari-{A}", A),
    ]

    again = await importer.upload(CSV, token=editor)
    assert again.json()["changes"] == []
    assert again.json()["sources"][0]["unchanged"] == 2

    query = f'{{ municipality(code: "{A}") {{ source {{ code kind }} }} }}'
    answer = await importer.http.post("/graphql", json={"query": query})
    assert answer.json()["data"]["municipality"]["source"] == {
        "code": f"file-{A.lower()}",
        "kind": "FILE",
    }, "the municipality names the source its processes now come from"


async def test_a_file_with_a_bad_row_writes_nothing(importer: Importer) -> None:
    bad = CSV + f"T-3;Noget;Færdig;Offentlig;{A}\n"
    response = await importer.upload(bad, token=importer.token(A, "editor"), apply=True)
    assert response.status_code == 422
    report = response.json()
    assert report["written"] is False
    [error] = report["errors"]
    assert error["row"] == "row 4"
    assert error["column"] == "Fase"
    assert error["value"] == "Færdig"
    assert await importer.titles() == []


async def test_another_municipalitys_rows_are_refused(importer: Importer) -> None:
    response = await importer.upload(CSV, token=importer.token(B, "editor"), apply=True)
    assert response.status_code == 422
    report = response.json()
    assert {e["row"] for e in report["errors"]} == {"row 2", "row 3"}
    assert all(A in e["message"] for e in report["errors"])
    assert all(f"your own municipality {B}" in e["message"] for e in report["errors"])
    assert not any("--municipality" in e["message"] for e in report["errors"]), "no CLI here"
    assert await importer.titles() == []


async def test_json_is_read_as_the_cli_reads_it(importer: Importer) -> None:
    records = [{"id": "j1", "title": "Fra JSON", "phase": "IDEA", "visibility": "PUBLIC"}]
    response = await importer.upload(
        orjson.dumps(records), "registry.json", token=importer.token(A, "editor"), apply=True
    )
    assert response.status_code == 200, response.text
    assert response.json()["format"] == "json"
    assert await importer.titles() == ["Fra JSON"]


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ((A, "member"), 403), ((None, "editor"), 403)],
    ids=["no token", "member", "editor of no municipality"],
)
async def test_only_an_editor_of_a_municipality_may_import(
    importer: Importer, who: tuple[str | None, str] | None, status: int
) -> None:
    token = importer.token(*who) if who else None
    response = await importer.upload(CSV, token=token, apply=True)
    assert response.status_code == status
    assert response.json()["code"] in ("UNAUTHENTICATED", "FORBIDDEN")
    assert await importer.titles() == []


async def test_a_forged_token_is_refused(importer: Importer) -> None:
    token = importer.token(A, "editor")[:-4] + "AAAA"
    response = await importer.upload(CSV, token=token, apply=True)
    assert response.status_code == 401
    assert await importer.titles() == []


async def test_an_upload_over_the_limit_is_refused_before_it_is_read(importer: Importer) -> None:
    rows = "".join(f"T-{n};Proces {n};Idé;Offentlig;{A}\n" for n in range(200))
    big = CSV + rows
    assert len(big.encode()) > LIMIT
    response = await importer.upload(big, token=importer.token(A, "editor"), apply=True)
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert await importer.titles() == []


async def test_a_streamed_upload_over_the_limit_is_cut_off(importer: Importer) -> None:
    """No Content-Length to trust: the body is counted as it arrives."""
    boundary = "xyz"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()

    async def body() -> AsyncIterator[bytes]:
        yield head
        for _ in range(20):
            yield b"x" * 1024

    response = await importer.http.post(
        "/import?apply=true",
        content=body(),
        headers={
            "Authorization": f"Bearer {importer.token(A, 'editor')}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert response.status_code == 413
    assert await importer.titles() == []


async def test_bad_requests_say_what_to_send(importer: Importer) -> None:
    editor = {"Authorization": f"Bearer {importer.token(A, 'editor')}"}
    as_json = await importer.http.post("/import", json=[], headers=editor)
    assert as_json.status_code == 415
    no_file = await importer.http.post("/import", data={"other": "x"}, files={}, headers=editor)
    assert no_file.status_code in (400, 415)
    unreadable = await importer.upload(
        b"\xff\xfe not csv", "x.txt", token=importer.token(A, "editor")
    )
    assert unreadable.status_code in (200, 400)
    assert unreadable.status_code != 500


async def test_an_admin_imports_into_their_own_municipality(importer: Importer) -> None:
    response = await importer.upload(CSV, token=importer.token(A, "admin"), apply=True)
    assert response.status_code == 200, response.text
    assert await importer.titles() == ["Fakturaer for legeerklæringer", "Sykefravær i Visma"]
    sources = [e for e in await importer.audit() if e["entity"] == "Source"]
    assert {(e["action"], e["subject"]) for e in sources} == {
        ("sourceRegister", f"kari-{A}"),
        ("fileImport", f"kari-{A}"),
    }


async def test_the_import_writes_with_the_callers_role_under_row_level_security(
    importer: Importer, tmp_path: Path
) -> None:
    """Past the row checks, the database itself refuses an editor another municipality's
    rows: the import runs as the caller (``as_caller``), not as the system."""
    path = tmp_path / "registry.csv"
    path.write_text(CSV, encoding="utf-8")
    options = ImportOptions(atomic=True, municipality=A, source=default_source(A), as_caller=True)
    async with importer.db.session(None) as session:
        spec = SourceSpec(code=default_source(A), name="A's file", kind="file", owners=[A])
        await register_source(session, ADMIN, spec)
    editor_of_b = Principal(
        issuer="test", subject=f"kari-{B}", municipality=B, roles=frozenset({Role.EDITOR})
    )

    with pytest.raises(DBAPIError, match="row-level security"):
        await run_import(importer.db, path, options, call=Call(editor_of_b))
    assert await importer.titles() == []

    for owners in ([A], [A, B]):
        theirs = replace(spec, code="file-theirs", owners=owners)
        with pytest.raises(WriteForbidden, match="admin role"):
            async with importer.db.session(editor_of_b) as session:
                await register_source(session, Call(editor_of_b), theirs)


async def test_a_member_uploaded_before_its_umbrella_waits_for_it(importer: Importer) -> None:
    """An editor's file names an umbrella the next file brings: the membership is kept
    pending and made when the umbrella arrives, under the editor's own role."""
    editor = importer.token(A, "editor")
    members = (
        "ID;Titel;Fase;Synlighed;Kommunekode;umbrellaIds\n"
        f"M-1;Bilag i e-conomic;Drift;Offentlig;{A};U-1\n"
    )
    first = await importer.upload(members, token=editor, apply=True)
    assert first.status_code == 200, first.text
    assert first.json()["sources"][0]["created"] == 1
    assert await importer.umbrellas() == ([], [("U-1", "M-1")])

    umbrella = f"ID;Titel;Fase;Synlighed;Kommunekode;Type\nU-1;Økonomi;Drift;Offentlig;{A};PARENT\n"
    second = await importer.upload(umbrella, token=editor, apply=True)
    assert second.status_code == 200, second.text
    assert await importer.umbrellas() == ([("Økonomi", "Bilag i e-conomic")], [])

    query = "{ processes(filter: {isUmbrella: true}) { nodes { title members { title } } } }"
    answer = await importer.http.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {editor}"}
    )
    assert answer.json()["data"]["processes"]["nodes"] == [
        {"title": "Økonomi", "members": [{"title": "Bilag i e-conomic"}]}
    ]
