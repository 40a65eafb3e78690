"""GraphiQL runs a subscription in a real browser (Debian's Chromium): over its WebSocket,
under the page's content policy, told of a change written meanwhile by the system."""

import asyncio
from urllib.parse import quote

from playwright.async_api import expect
from sqlalchemy import text

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.browser import browser_context, needs_chromium, screenshot_path
from tests.support.http import serving
from tests.support.postgres import url_of

pytestmark = needs_chromium

CODE = "NO-5001"
SUBSCRIPTION = "subscription Live { processChanged { kind process { title } } }"
TIMEOUT_MS = 60_000


async def test_graphiql_shows_a_change_as_it_commits(empty_db: Database) -> None:
    row = b.process(CODE, title="Invoice robot", visibility="PUBLIC")
    await b.insert_rows(empty_db, municipality=[b.municipality(CODE)], process=[row])
    app = create_app(Settings(webhook_worker=False), url_of(empty_db))
    async with serving(app) as base, browser_context([base]) as (context, seen):
        page = await context.new_page()
        await page.goto(f"{base}/graphql#query={quote(SUBSCRIPTION)}")
        await expect(page.locator(".graphiql-container")).to_be_visible(timeout=TIMEOUT_MS)
        await page.locator(".graphiql-execute-button").click()
        async with asyncio.timeout(TIMEOUT_MS / 1000):
            await app.state.hub.until_subscribed(1)
        async with empty_db.session(None) as session:
            await session.execute(
                text("UPDATE process SET title = 'Invoice robot, live' WHERE id = :id"),
                {"id": row["id"]},
            )
        await expect(page.locator(".graphiql-response")).to_contain_text(
            "Invoice robot, live", timeout=TIMEOUT_MS
        )
        await page.screenshot(path=screenshot_path("graphiql-subscription"))
    assert seen.refused == []
    assert seen.console_errors == []
