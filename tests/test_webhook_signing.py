"""Webhook signatures as a receiver checks them: the specification's vector and its library."""

from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from reusegraph.events import signing

# The test vector of the Standard Webhooks specification (and of its reference libraries).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_the_specification_vector() -> None:
    assert signing.signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_reference_library_accepts_our_headers_and_refuses_a_changed_body() -> None:
    secret = signing.new_secret()
    now = int(datetime.now(UTC).timestamp())
    body = b'{"type": "process.changed"}'
    headers = signing.headers(secret, "evt_1", now, body)
    assert Webhook(secret).verify(body, headers) == {"type": "process.changed"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"type": "process.deleted"}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)


def test_generated_secrets_differ_and_bad_secrets_are_explained() -> None:
    assert signing.new_secret() != signing.new_secret()
    with pytest.raises(ValueError, match="whsec_ followed by base64"):
        signing.secret_key("whsec_not base64!")
    with pytest.raises(ValueError, match="24 to 64 bytes"):
        signing.secret_key("whsec_c2hvcnQ=")
