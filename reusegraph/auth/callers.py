"""Who spends a budget: a token's issuer and subject, or an anonymous caller's address.

The address is the connection's peer, unless the peer is a trusted proxy
(``REUSEGRAPH_TRUSTED_PROXIES``): then it is the right-most ``X-Forwarded-For`` entry that
is not a trusted proxy itself. Entries left of it were written by the client and prove
nothing, so a client cannot pick whose budget it spends.
"""

import ipaddress
from collections.abc import Iterable

from reusegraph.auth.principal import Principal

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(value: str | None) -> tuple[Network, ...]:
    """Addresses or networks, comma-separated; raises ValueError for a bad one."""
    networks = []
    for part in (value or "").split(","):
        if part.strip():
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
    return tuple(networks)


def client_address(peer: str | None, forwarded_for: str | None, proxies: Iterable[Network]) -> str:
    trusted = tuple(proxies)
    address = peer or "unknown"
    if not trusted or not _trusted(address, trusted):
        return address
    for hop in reversed([h.strip() for h in (forwarded_for or "").split(",") if h.strip()]):
        if not _trusted(hop, trusted):
            return hop
        address = hop
    return address


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def caller_of(viewer: Principal, address: str) -> str:
    """Whose budget a request spends: the token's issuer and subject, else the address."""
    if viewer.subject is not None:
        return f"token {viewer.issuer or ''} {viewer.subject}"
    return f"address {address}"
