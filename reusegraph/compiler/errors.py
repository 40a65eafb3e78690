"""The compiler's one refusal: the executor answers instead."""


class NotCompilable(Exception):
    """Raised while planning; the message says why (shown in the debug header)."""
