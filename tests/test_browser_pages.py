"""GraphiQL and the analyst page in a real browser (Debian's Chromium) with no internet route.

The server runs the demo data on loopback with a real OpenID Provider for the login;
every request to another origin is refused and recorded, and the tests assert there were
none (the provider's origin is allowed only where a test logs in through it). Each page's
screenshot is kept (``tests/support/browser.screenshot_path``).
"""

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from reusegraph.api.analytics import analytics_queries
from reusegraph.api.app import create_app
from reusegraph.store.engine import Database
from tests.support.browser import browser_context, needs_chromium, origin, screenshot_path
from tests.support.http import free_port, serving
from tests.support.oidc import OpenIDProvider
from tests.support.postgres import url_of
from tests.test_oidc_interop import settings_for

pytestmark = needs_chromium

APP_PORT = free_port()
MEMBER = "alice"
TRONDHEIM = "NO-5001"
# A demo municipality whose generated processes include MUNICIPALITY-visibility ones with
# measured benefits (the Trondheim facts are all public).
INSIDER = "bo"
INSIDER_MUNICIPALITY = "NO-9900"
TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Site:
    base: str
    provider: OpenIDProvider


@pytest.fixture(scope="module")
def provider() -> Iterator[OpenIDProvider]:
    with OpenIDProvider(
        users={
            MEMBER: {"municipality": TRONDHEIM, "roles": ["member"]},
            INSIDER: {"municipality": INSIDER_MUNICIPALITY, "roles": ["member"]},
        },
        redirect_uris=[f"http://127.0.0.1:{APP_PORT}/auth/callback/op"],
    ) as op:
        yield op


@pytest.fixture(scope="module")
async def site(demo_db: Database, provider: OpenIDProvider) -> AsyncIterator[Site]:
    async with serving(
        create_app(settings_for(provider, [TRONDHEIM, INSIDER_MUNICIPALITY]), url_of(demo_db)),
        APP_PORT,
    ) as base:
        yield Site(base, provider)


async def api_data(site: Site, name: str, variables: dict[str, Any], token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=site.base, timeout=60) as client:
        response = await client.post(
            "/graphql",
            json={"query": analytics_queries()[name], "variables": variables},
            headers=headers,
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def pick(page: Page, *, group_by: str, start: str, end: str, codes: list[str]) -> None:
    await page.select_option("#groupBy", group_by)
    await page.fill("#from", start)
    await page.fill("#to", end)
    await page.select_option("#municipalities", codes)
    await page.click("#pickers button[type=submit]")
    await expect(page.locator("body[data-ready=true]")).to_have_count(1, timeout=TIMEOUT_MS)


async def open_analytics(page: Page, base: str) -> None:
    await page.goto(base + "/analytics")
    await expect(page.locator("body[data-ready=true]")).to_have_count(1, timeout=TIMEOUT_MS)


def shown_hours(hours: float) -> str:
    return f"{hours:,.1f}".rstrip("0").rstrip(".")


def origins(urls: list[str]) -> set[str]:
    return {origin(url) for url in urls}


def realised_cell(page: Page, group: str) -> Any:
    return page.locator("#benefits .table tr", has_text=group).locator("td").nth(1)


async def test_graphiql_renders_the_examples_and_runs_the_first_offline(site: Site) -> None:
    async with browser_context([site.base]) as (context, seen):
        page = await context.new_page()
        await page.goto(site.base + "/graphql")
        await expect(page.locator(".graphiql-container")).to_be_visible(timeout=TIMEOUT_MS)
        tabs = page.locator(".graphiql-tab")
        await expect(tabs.first).to_contain_text("WhoReusedSkanderborgsInvoiceRobot")
        assert await tabs.count() > 10
        await expect(page.locator("#login a", has_text="Log in (op)")).to_be_visible()
        await expect(page.locator("#login a[href='/analytics']")).to_be_visible()
        await page.locator(".graphiql-execute-button").click()
        result = page.locator(".graphiql-response")
        await expect(result).to_contain_text('"data"', timeout=TIMEOUT_MS)
        # CodeMirror draws only the lines in view: read the whole result from the editor.
        text = await page.evaluate(
            "document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"
        )
        assert "Syddjurs Kommune" in text
        assert "Randers Kommune" in text
        await page.screenshot(path=screenshot_path("graphiql"))
    assert seen.refused == []
    assert origins(seen.requests) == {site.base}
    assert seen.console_errors == []


async def test_the_analyst_page_draws_every_plot_from_the_api_offline(site: Site) -> None:
    async with browser_context([site.base]) as (context, seen):
        page = await context.new_page()
        await open_analytics(page, site.base)
        for plot in ("benefits", "dividend", "network", "most_reused", "vendors"):
            section = page.locator(f"#{plot}")
            await expect(section.locator(".chart svg")).to_have_count(1)
            assert int(await section.get_attribute("data-rows") or 0) > 0, plot
            await expect(section.locator("a.show-query")).to_have_attribute(
                "href", re.compile(r"^/graphql#query=")
            )
            await expect(section.locator("a.download-csv")).to_have_attribute(
                "href", re.compile(r"^blob:")
            )
        await page.screenshot(path=screenshot_path("analytics"), full_page=True)

        await expect(page.locator("#benefits .rate-source")).to_contain_text(
            "European Central Bank"
        )

        network = page.locator("#network .table")
        await expect(network).to_contain_text("Skanderborg Kommune")
        await network.locator(
            "tr.edge", has_text=re.compile(r"^\s*Skanderborg[\s\S]*Syddjurs")
        ).click()
        await expect(page.locator("#edge-detail")).to_contain_text("lægeerklæringer")
        await expect(
            network.locator("tr.edge", has_text=re.compile(r"^\s*Syddjurs[\s\S]*Randers"))
        ).to_have_count(1)

        await pick(page, group_by="MUNICIPALITY", start="2022-01", end="2022-12", codes=[TRONDHEIM])
        variables = {
            "groupBy": ["MUNICIPALITY"],
            "from": "2022-01",
            "to": "2022-12",
            "municipalities": [TRONDHEIM],
            "currency": "EUR",
        }
        expected = (await api_data(site, "benefits", variables, None))["benefitSummary"][0]
        assert expected["realised"]["hoursSaved"] >= 10_000  # Trondheim 2022: 10 000 hours
        shown = shown_hours(expected["realised"]["hoursSaved"])
        await expect(realised_cell(page, "Trondheim")).to_have_text(shown)
    assert seen.refused == []
    assert origins(seen.requests) == {site.base}
    assert seen.console_errors == []


async def sign_in_at_the_provider(page: Page, site: Site, login: str) -> None:
    """Click the page's login link and play the user at the provider's login and consent."""
    await page.locator("#login a", has_text="Log in (op)").click()
    for _ in range(5):
        await page.wait_for_load_state()
        if not page.url.startswith(site.provider.issuer):
            break
        if await page.locator("input[name=login]").count():
            await page.fill("input[name=login]", login)
            await page.fill("input[name=password]", "any")
        await page.locator("button[type=submit]").first.click()
    await expect(page.locator("#login .logged-in")).to_be_visible(timeout=TIMEOUT_MS)


async def test_a_member_sees_their_municipalitys_internal_data_in_a_plot_and_a_visitor_not(
    site: Site,
) -> None:
    start, end = "2024-11", "2026-10"
    variables = {
        "groupBy": ["MUNICIPALITY"],
        "from": start,
        "to": end,
        "municipalities": [INSIDER_MUNICIPALITY],
        "currency": "EUR",
    }
    token = site.provider.browser_token(INSIDER)
    visitor = (await api_data(site, "benefits", variables, None))["benefitSummary"][0]
    member = (await api_data(site, "benefits", variables, token))["benefitSummary"][0]
    name = member["key"]["municipality"]["name"]
    hidden, seen_by_member = visitor["realised"]["hoursSaved"], member["realised"]["hoursSaved"]
    assert seen_by_member > hidden, "the demo's MUNICIPALITY processes count for members"

    async with browser_context([site.base, site.provider.issuer]) as (context, seen):
        page = await context.new_page()
        await open_analytics(page, site.base)
        await pick(
            page, group_by="MUNICIPALITY", start=start, end=end, codes=[INSIDER_MUNICIPALITY]
        )
        await expect(realised_cell(page, name)).to_have_text(shown_hours(hidden))
        before_login, errors_before = list(seen.requests), len(seen.console_errors)

        await sign_in_at_the_provider(page, site, INSIDER)
        login_ends, errors_at_login_end = len(seen.requests), len(seen.console_errors)
        await open_analytics(page, site.base)
        await expect(page.locator("#login .logged-in")).to_be_visible()
        await pick(
            page, group_by="MUNICIPALITY", start=start, end=end, codes=[INSIDER_MUNICIPALITY]
        )
        await expect(realised_cell(page, name)).to_have_text(shown_hours(seen_by_member))
    # Only the login goes to the provider; its own test login page asks for a web font
    # (refused, and not a page of this server).
    assert origins(before_login) == {site.base}
    assert origins(seen.requests[login_ends:]) == {site.base}
    answered = [url for url in seen.requests if url not in seen.refused]
    assert origins(answered) == {site.base, site.provider.issuer}
    assert set(seen.refused) <= set(seen.requests[len(before_login) : login_ends])
    assert seen.console_errors[:errors_before] == []
    assert seen.console_errors[errors_at_login_end:] == []
