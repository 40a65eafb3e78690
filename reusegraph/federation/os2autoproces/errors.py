"""Why reading an OS2autoproces instance failed, in words a municipal IT person can act on.

Os2autoprocesError
 ├── SourceUnreachable     connection refused, DNS, timeout: try again later
 ├── SourceHttpError       an HTTP status we cannot use (``status`` says which)
 │    └── AuthenticationFailed   the API key was refused or the session ran out
 └── SourceFormatError     not JSON, not the HAL shape, not the 62-column workbook
"""


class Os2autoprocesError(Exception):
    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class SourceUnreachable(Os2autoprocesError):
    pass


class SourceHttpError(Os2autoprocesError):
    def __init__(self, message: str, *, url: str | None = None, status: int) -> None:
        super().__init__(message, url=url)
        self.status = status


class AuthenticationFailed(SourceHttpError):
    pass


class SourceFormatError(Os2autoprocesError):
    pass
