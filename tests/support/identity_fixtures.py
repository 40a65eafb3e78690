"""Fixtures for tests that need identity providers; a pytest plugin module.

Use from a test module with ``pytest_plugins = ("tests.support.identity_fixtures",)`` (or list it
once in tests/conftest.py). Every process and server is stopped in ``finally``, even when a test
fails.

The shared ones (``openid_provider``, ``attacker``) must not be reconfigured by a test: one that
rotates keys or breaks the issuer starts its own (``with OpenIDProvider(...)``) or uses the
per-test ``local_issuer``. Fetch counts of shared peers only ever grow: compare before and after.
"""

from collections.abc import Iterator

import pytest

from tests.support.issuer import LocalIssuer
from tests.support.oidc import Client, OpenIDProvider

MACHINE_CLIENT = Client(
    "m2m-municipality-a",
    "secret-a",
    {"municipality": "NO-5001", "roles": ["editor"]},
)
OTHER_MACHINE_CLIENT = Client(
    "m2m-municipality-b",
    "secret-b",
    {"municipality": "NO-0301", "roles": ["member"]},
)
BROWSER_USERS = {
    "alice": {"municipality": "NO-5001", "roles": ["editor"]},
    "bob": {"municipality": "NO-0301", "roles": ["reader"]},
}


@pytest.fixture(scope="session")
def openid_provider() -> Iterator[OpenIDProvider]:
    """oidc-provider with MACHINE_CLIENT, OTHER_MACHINE_CLIENT and BROWSER_USERS, RS256."""
    provider = OpenIDProvider([MACHINE_CLIENT, OTHER_MACHINE_CLIENT], users=BROWSER_USERS)
    try:
        provider.start()
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def local_issuer() -> Iterator[LocalIssuer]:
    """A fresh pure-Python issuer (RS256) for this test alone: rotate or break it at will."""
    with LocalIssuer() as issuer:
        yield issuer


@pytest.fixture(scope="session")
def attacker() -> Iterator[LocalIssuer]:
    """The attacker's own issuer: its key signs forgeries, its port hosts jku/x5u documents."""
    with LocalIssuer(path="/attacker") as issuer:
        yield issuer
