"""A local issuer for trying writes on a laptop: ``reusegraph dev-token``.

It signs whatever identity it is asked for, so the server trusts it only in dev mode,
which the settings refuse together with REUSEGRAPH_PRODUCTION. Its key is created once
in the data directory (readable by the owner only) and shared by the server and the
command line; it is never published over HTTP.
"""

import json
import os
import tempfile
import time
import uuid
from pathlib import Path

from joserfc import jwt
from joserfc.jwk import RSAKey

from reusegraph.auth.issuers import ANY_MUNICIPALITY, IssuerConfig
from reusegraph.auth.principal import Role

DEV_ISSUER = "urn:reusegraph:dev-issuer"
DEV_AUDIENCE = "urn:reusegraph"
KEY_FILE = "dev-issuer-key.json"


def load_or_create_key(data_dir: Path) -> RSAKey:
    """The data directory's key; made now if there is none.

    Two processes may start together on one data directory (several workers, two dev
    servers, the server and ``dev-token``): each writes its new key to a private temporary
    file and links it into place, which succeeds for exactly one of them; the others
    read the winner's. The key file is never seen half-written.
    """
    path = data_dir / KEY_FILE
    if path.exists():
        return _read(path)
    key = RSAKey.generate_key(2048, parameters={"kid": f"dev-{uuid.uuid4().hex[:8]}"})
    data_dir.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{KEY_FILE}.", dir=data_dir)
    try:
        os.chmod(temporary, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(json.dumps(key.as_dict(private=True)))
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _read(path)
    finally:
        os.unlink(temporary)
    return key


def _read(path: Path) -> RSAKey:
    return RSAKey.import_key(json.loads(path.read_text(encoding="utf-8")))


def dev_issuer_config(key: RSAKey) -> IssuerConfig:
    return IssuerConfig(
        name="dev",
        issuer=DEV_ISSUER,
        audience=DEV_AUDIENCE,
        algorithms=("RS256",),
        jwks={"keys": [key.as_dict(private=False)]},
        municipalities=(ANY_MUNICIPALITY,),
        allowed_roles=tuple(r.value for r in Role),
    )


def mint(
    key: RSAKey,
    *,
    municipality: str | None,
    roles: list[str],
    subject: str,
    ttl_seconds: int = 8 * 3600,
) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "roles": roles,
    }
    if municipality:
        claims["municipality"] = municipality
    header = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid}
    return jwt.encode(header, claims, key, algorithms=["RS256"])
