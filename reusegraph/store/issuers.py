"""Issuers registered by an admin (configuration ones live in the settings, not here)."""

import logging

from sqlalchemy import select

from reusegraph.auth.issuers import IssuerConfig, IssuerConfigError, parse_issuer
from reusegraph.store.engine import Database
from reusegraph.store.models import TrustedIssuer

log = logging.getLogger("reusegraph.auth")


async def load_registered_issuers(db: Database) -> list[IssuerConfig]:
    """Read as the system: the list decides who can authenticate, so no caller exists yet."""
    async with db.session(None) as session:
        rows = (await session.execute(select(TrustedIssuer.config))).scalars().all()
    configs = []
    for raw in rows:
        try:
            configs.append(parse_issuer(raw))
        except IssuerConfigError as error:
            log.error("ignoring a registered issuer that is no longer valid: %s", error)
    return configs
