"""Where a webhook may point: no server-side request forgery.

A target is refused unless its scheme is http(s), its host is on the configured
allow-list (when there is one), and every address the host resolves to is public:
loopback, link-local (cloud metadata at 169.254.169.254), private, shared, reserved,
multicast and unspecified addresses are refused unless ``allow_private`` is set (tests,
a closed network). Checked when subscribing and again before each delivery, because a
name can resolve elsewhere later.
"""

import asyncio
import fnmatch
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


class TargetRefused(ValueError):
    """The message says what is wrong with the URL and what is allowed."""


@dataclass(frozen=True)
class UrlGuard:
    allowed_hosts: Sequence[str] = field(default_factory=tuple)
    """Host patterns (``*.kommune.dk``); empty: any host with public addresses."""
    allow_private: bool = False

    async def check(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise TargetRefused(f"url must start with https:// or http://; got {parts.scheme!r}")
        host = parts.hostname
        if not host:
            raise TargetRefused("url must name a host")
        if parts.username or parts.password:
            raise TargetRefused("url must not carry a user name or password")
        if self.allowed_hosts and not any(
            fnmatch.fnmatch(host.lower(), p.lower()) for p in self.allowed_hosts
        ):
            raise TargetRefused(
                f"host {host} is not on the allow-list; allowed: {', '.join(self.allowed_hosts)}"
            )
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise TargetRefused("url has an invalid port") from None
        for address in await _addresses(host, port):
            if not self.allow_private and not _public(address):
                raise TargetRefused(
                    f"host {host} resolves to {address}, which is not a public address;"
                    " webhooks go to public addresses only"
                )


async def _addresses(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise TargetRefused(f"host {host} does not resolve") from None
    return sorted({str(info[4][0]) for info in infos})


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
