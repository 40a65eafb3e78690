"""Why a request's credentials were not accepted.

    AuthError
    +-- InvalidToken                 401: missing, malformed, forged, expired, wrong issuer...
    +-- IdentityProviderUnavailable  503: the issuer's keys could not be fetched in time

Messages are safe to show: they never echo the token.
"""


class AuthError(Exception):
    status = 401


class InvalidToken(AuthError):
    pass


class IdentityProviderUnavailable(AuthError):
    status = 503
