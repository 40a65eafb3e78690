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
    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class RemoteFormatError(SyncError):
    pass


class CursorWentBackwards(SyncError):
    pass


class SourceMisconfigured(SyncError):
    pass
