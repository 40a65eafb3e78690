"""Webhook signatures per the Standard Webhooks specification.

The receiver checks ``webhook-signature`` (``v1,<base64 HMAC-SHA256>``) over
``<webhook-id>.<webhook-timestamp>.<body>`` with the shared secret; the id stays the same
when an event is delivered again, so a receiver can recognise a redelivery. Hand-written
(a few lines of ``hmac``) and checked in the tests against the specification's test vector
and the reference ``standardwebhooks`` package, so the server needs no dependency for it.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """24 random bytes, in the ``whsec_<base64>`` form receivers' libraries accept."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_key(secret: str) -> bytes:
    """The key bytes of a ``whsec_`` secret; ValueError says what a secret must look like."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise ValueError("a webhook secret must be whsec_ followed by base64") from None
    if not 24 <= len(key) <= 64:
        raise ValueError("a webhook secret must hold 24 to 64 bytes (whsec_ + base64)")
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
        "content-type": "application/json",
    }
