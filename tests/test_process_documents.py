"""Links and attachments: internal and unshared ones stay inside the owning municipality."""

import uuid

import pytest
from sqlalchemy import insert

from reusegraph.store.models import ProcessAttachment, ProcessLink
from tests.support.tenants import A, B, Tenants

pytest_plugins = ("tests.support.identity_fixtures",)

QUERY = """
query ($id: ID!) {
  process(id: $id) { links { url internal } attachments { fileName shared } }
}
"""


@pytest.fixture
async def t(t: Tenants) -> Tenants:
    """The shared tenants, with a shared and an internal link and attachment on A's public process."""
    process = t.processes[(A, "PUBLIC")]
    async with t.db.session(None) as session:
        await session.execute(
            insert(ProcessLink),
            [
                {
                    "id": uuid.uuid4(),
                    "process_id": process,
                    "url": "https://a/doc",
                    "internal": False,
                },
                {
                    "id": uuid.uuid4(),
                    "process_id": process,
                    "url": "https://a/intra",
                    "internal": True,
                },
            ],
        )
        await session.execute(
            insert(ProcessAttachment),
            [
                {
                    "id": uuid.uuid4(),
                    "process_id": process,
                    "file_name": "pdd.pdf",
                    "url": "https://a/pdd",
                    "shared": True,
                },
                {
                    "id": uuid.uuid4(),
                    "process_id": process,
                    "file_name": "contract.pdf",
                    "url": "https://a/c",
                    "shared": False,
                },
            ],
        )
    return t


async def documents(t: Tenants, token: str | None) -> tuple[set[str], set[str]]:
    body = await t.call(token, QUERY, {"id": f"Process:{t.processes[(A, 'PUBLIC')]}"})
    assert "errors" not in body, body
    process = body["data"]["process"]
    return {link["url"] for link in process["links"]}, {
        a["fileName"] for a in process["attachments"]
    }


async def test_members_of_the_owner_see_internal_links_and_unshared_attachments(t: Tenants) -> None:
    links, attachments = await documents(t, t.token(A, "member"))
    assert links == {"https://a/doc", "https://a/intra"}
    assert attachments == {"pdd.pdf", "contract.pdf"}


@pytest.mark.parametrize("who", ["anonymous", "reader of A", "editor of B"])
async def test_others_see_only_public_links_and_shared_attachments(t: Tenants, who: str) -> None:
    token = {
        "anonymous": None,
        "reader of A": t.token(A, "reader"),
        "editor of B": t.token(B, "editor"),
    }[who]
    links, attachments = await documents(t, token)
    assert links == {"https://a/doc"}
    assert attachments == {"pdd.pdf"}
