"""The hostile tokens of issue 3, built from a victim issuer's legitimate token.

Each forgery is a function of a ``Victim``: the issuer under attack (a ``LocalIssuer`` or an
``OpenIDProvider``: anything that can sign with the victim's key and names its issuer), one
legitimate token of it, and an ``attacker`` (a LocalIssuer with its own key, on its own port)
that hosts the documents a ``jku``/``x5u`` header points at. A correct validator never fetches
from the attacker: ``attacker.fetch_count(...)`` proves it.

Some forgeries carry a correct signature of the victim's real key and are hostile only through
their claims or headers (expired, wrong ``aud``, unknown ``crit``, oversized, other tenant):
signature checks alone do not stop those. Segments are assembled by hand where joserfc refuses
to build the token (``alg: none``, HMAC with a public key, unknown ``crit``).
"""

import base64
import datetime
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc.jws import JWSRegistry

from tests.support.issuer import LocalIssuer, SigningKey

OVERSIZED_HEADER_BYTES = 9 * 1024
OVERSIZED_TOKEN_CHARS = 17 * 1024


class Signer(Protocol):
    """What a forgery needs of the victim issuer."""

    @property
    def issuer(self) -> str: ...

    @property
    def signing_key(self) -> SigningKey: ...

    def sign(
        self,
        claims: Mapping[str, Any],
        header: Mapping[str, Any] | None = None,
        key: SigningKey | None = None,
    ) -> str: ...


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: Mapping[str, Any]) -> str:
    return b64(json.dumps(dict(value), separators=(",", ":")).encode())


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Victim:
    signer: Signer
    token: str
    attacker: LocalIssuer

    @property
    def header(self) -> dict[str, Any]:
        header: dict[str, Any] = json.loads(unb64(self.token.split(".")[0]))
        return header

    @property
    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = json.loads(unb64(self.token.split(".")[1]))
        return claims

    @property
    def kid(self) -> str:
        return str(self.header.get("kid", self.signer.signing_key.kid))

    def resigned(self, **changes: Any) -> str:
        """The legitimate claims with ``changes`` (``None`` removes a claim), correctly signed."""
        claims = {**self.claims, **changes}
        return self.signer.sign({k: v for k, v in claims.items() if v is not None}, self.header)


def assemble(header: Mapping[str, Any], claims: Mapping[str, Any], key: SigningKey) -> str:
    """Sign without joserfc's header checks (it rightly refuses e.g. an unknown ``crit``)."""
    signing_input = f"{segment(header)}.{segment(claims)}"
    algorithm = JWSRegistry.algorithms[str(header["alg"])]
    return f"{signing_input}.{b64(algorithm.sign(signing_input.encode(), key))}"


def hmac_signed(header: Mapping[str, Any], claims: Mapping[str, Any], secret: bytes) -> str:
    signing_input = f"{segment(header)}.{segment(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def _attacker_signed(v: Victim, header: Mapping[str, Any]) -> str:
    key = v.attacker.signing_key
    return assemble({"alg": key.alg, "typ": "at+jwt", **header}, v.claims, key)


def alg_none(v: Victim) -> str:
    return f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(v.claims)}."


def alg_none_capitalised(v: Victim) -> str:
    return f"{segment({'alg': 'None', 'kid': v.kid})}.{segment(v.claims)}."


def signature_stripped(v: Victim) -> str:
    header, payload, _ = v.token.split(".")
    return f"{header}.{payload}."


def hs256_public_pem(v: Victim) -> str:
    """HMAC keyed with the issuer's public key: the classic RS256 -> HS256 confusion."""
    pem = v.signer.signing_key.as_pem(private=False)
    return hmac_signed({"alg": "HS256", "typ": "JWT", "kid": v.kid}, v.claims, pem)


def hs256_public_jwk(v: Victim) -> str:
    jwk = json.dumps(v.signer.signing_key.as_dict(private=False), separators=(",", ":"))
    return hmac_signed({"alg": "HS256", "typ": "JWT", "kid": v.kid}, v.claims, jwk.encode())


def kid_path_traversal(v: Victim) -> str:
    """``kid`` as a file path and an HMAC over the empty file it names."""
    return hmac_signed({"alg": "HS256", "kid": "../../../../../../dev/null"}, v.claims, b"")


def foreign_key_known_kid(v: Victim) -> str:
    return _attacker_signed(v, {"kid": v.kid})


def unknown_kid(v: Victim) -> str:
    return _attacker_signed(v, {"kid": f"unknown-{uuid.uuid4().hex[:8]}"})


def tampered_payload(v: Victim) -> str:
    header, _, signature = v.token.split(".")
    claims = {**v.claims, "sub": "mallory", "roles": ["admin"], "municipality": "NO-0000"}
    return f"{header}.{segment(claims)}.{signature}"


def wrong_iss(v: Victim) -> str:
    """Signed by the victim's key, but claiming the (unregistered) attacker as issuer."""
    return v.resigned(iss=v.attacker.issuer)


def wrong_aud(v: Victim) -> str:
    return v.resigned(aud="urn:some-other-api")


def expired(v: Victim) -> str:
    now = int(time.time())
    return v.resigned(iat=now - 7200, nbf=now - 7200, exp=now - 3600)


def missing_exp(v: Victim) -> str:
    return v.resigned(exp=None)


def nbf_future(v: Victim) -> str:
    now = int(time.time())
    return v.resigned(nbf=now + 3600, exp=now + 7200)


def iat_future(v: Victim) -> str:
    now = int(time.time())
    return v.resigned(iat=now + 3600, nbf=None, exp=now + 7200)


def jku_header(v: Victim) -> str:
    url = v.attacker.publish("/jku.json", v.attacker.public_jwks())
    return _attacker_signed(v, {"kid": v.attacker.kid, "jku": url})


def x5u_header(v: Victim) -> str:
    url = v.attacker.publish("/x5u.pem", self_signed_certificate(v.attacker.signing_key))
    return _attacker_signed(v, {"kid": v.attacker.kid, "x5u": url})


def embedded_jwk(v: Victim) -> str:
    jwk = v.attacker.signing_key.as_dict(private=False)
    return _attacker_signed(v, {"kid": v.kid, "jwk": jwk})


def unknown_crit(v: Victim) -> str:
    key = v.signer.signing_key
    header = {**v.header, "crit": ["urn:attacker:skip-checks"], "urn:attacker:skip-checks": True}
    return assemble(header, v.claims, key)


def oversized_header(v: Victim) -> str:
    return v.signer.sign(v.claims, {**v.header, "pad": "A" * OVERSIZED_HEADER_BYTES})


def oversized_token(v: Victim) -> str:
    pad = "A" * (OVERSIZED_TOKEN_CHARS * 3 // 4)
    return v.resigned(pad=pad)


def other_tenant(v: Victim) -> str:
    """Same issuer and key, another tenant (``tid``): Entra ID signs all tenants alike."""
    return v.resigned(tid=str(uuid.uuid4()))


FORGERIES: dict[str, Callable[[Victim], str]] = {
    f.__name__: f
    for f in (
        alg_none,
        alg_none_capitalised,
        signature_stripped,
        hs256_public_pem,
        hs256_public_jwk,
        kid_path_traversal,
        foreign_key_known_kid,
        unknown_kid,
        tampered_payload,
        wrong_iss,
        wrong_aud,
        expired,
        missing_exp,
        nbf_future,
        iat_future,
        jku_header,
        x5u_header,
        embedded_jwk,
        unknown_crit,
        oversized_header,
        oversized_token,
        other_tenant,
    )
}
"""Name -> builder; the names make good pytest ids (``parametrize("name", FORGERIES)``)."""

VALIDLY_SIGNED = frozenset(
    {"wrong_iss", "wrong_aud", "expired", "missing_exp", "nbf_future", "iat_future"}
    | {"oversized_token", "other_tenant"}
)
"""Forgeries whose signature verifies against the victim's JWKS: only claims or size betray them."""


def applies(name: str, victim: Victim) -> bool:
    """``other_tenant`` needs a legitimate token that names its tenant (``tid``)."""
    return name != "other_tenant" or "tid" in victim.claims


def forge(name: str, signer: Signer, token: str, attacker: LocalIssuer) -> str:
    victim = Victim(signer, token, attacker)
    if not applies(name, victim):
        raise ValueError(f"{name} does not apply: the legitimate token has no tid")
    return FORGERIES[name](victim)


def hostile_tokens(signer: Signer, token: str, attacker: LocalIssuer) -> list[tuple[str, str]]:
    """Every applicable forgery of ``token`` (a legitimate token of ``signer``) as (name, token)."""
    victim = Victim(signer, token, attacker)
    return [(name, build(victim)) for name, build in FORGERIES.items() if applies(name, victim)]


def self_signed_certificate(key: SigningKey) -> bytes:
    """A PEM certificate for ``key``, as an ``x5u`` URL would serve it."""
    private = key.private_key
    if not isinstance(private, rsa.RSAPrivateKey):
        raise TypeError("the attacker's certificate needs an RSA key")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker.invalid")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(private, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)
