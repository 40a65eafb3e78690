"""Webhook targets: public addresses only, unless a setting allows private ones."""

import pytest

from reusegraph.events.url_guard import TargetRefused, UrlGuard


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8080/hook", "not a public address"),
        ("http://localhost/hook", "not a public address"),
        ("http://169.254.169.254/latest/meta-data", "not a public address"),
        ("http://10.1.2.3/hook", "not a public address"),
        ("http://[::1]/hook", "not a public address"),
        ("http://[::ffff:127.0.0.1]/hook", "not a public address"),
        ("ftp://example.org/hook", "https:// or http://"),
        ("https://user:pw@93.184.215.14/hook", "user name or password"),
        ("https:///hook", "must name a host"),
    ],
)
async def test_refused_targets_say_why(url: str, reason: str) -> None:
    with pytest.raises(TargetRefused, match=reason):
        await UrlGuard().check(url)


async def test_public_address_passes_and_allow_list_applies() -> None:
    await UrlGuard().check("https://93.184.215.14/hook")
    guard = UrlGuard(allowed_hosts=("*.kommune.dk",))
    with pytest.raises(TargetRefused, match=r"allow-list; allowed: \*\.kommune\.dk"):
        await guard.check("https://93.184.215.14/hook")


async def test_loopback_allowed_only_by_the_setting() -> None:
    await UrlGuard(allow_private=True).check("http://127.0.0.1:8080/hook")
