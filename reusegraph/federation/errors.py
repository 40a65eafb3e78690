"""Why a sync failed, in words an operator can act on, and whether trying again may help.

SyncError
 ├── RemoteUnreachable     connection refused, DNS, reset: retried
 ├── RemoteTimeout         no answer within the source's timeout: retried
 ├── RemoteHttpError       an HTTP status we cannot use; 429 and 5xx are retried
 │    └── RemoteAuthError  401/403: the credentials are wrong or expired
 ├── RemoteGraphQLError    the remote answered with GraphQL errors (wrong schema, bad query)
 ├── RemoteFormatError     not JSON, or not the shape of the source contract
 ├── CursorWentBackwards   the remote handed out a cursor it had handed out before
 └── SourceMisconfigured   the registration cannot work (secret missing, unknown kind)
"""


class SyncError(Exception):
    retryable = False


class RemoteUnreachable(SyncError):
    retryable = True


class RemoteTimeout(SyncError):
    retryable = True


class RemoteHttpError(SyncError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = status == 429 or status >= 500


class RemoteAuthError(RemoteHttpError):
    pass


class RemoteGraphQLError(SyncError):
    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        cost: tuple[int, int] | None = None,
        refused_fields: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.cost = cost
        """(cost, maximum) of a page the remote refused as too complex (QUERY_TOO_COMPLEX)."""
        self.refused_fields = refused_fields
        """Optional contract fields the remote does not know (an older version), when they
        were all its validation refused."""

    def fitting_first(self, first: int) -> int | None:
        """A smaller page the remote's cost limit admits; None when that is not the issue."""
        if self.cost is None:
            return None
        cost, maximum = self.cost
        if cost <= 0 or maximum <= 0 or first <= 1:
            return None
        smaller = int(first * maximum / cost * 0.95)
        return max(1, min(smaller, first - 1))


class RemoteFormatError(SyncError):
    pass


class CursorWentBackwards(SyncError):
    pass


class SourceMisconfigured(SyncError):
    pass
