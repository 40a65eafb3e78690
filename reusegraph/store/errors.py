"""Store-level failures that callers translate for their users (e.g. SERVICE_UNAVAILABLE)."""


class DatabaseUnavailable(Exception):
    """PostgreSQL could not be reached or dropped the connection. Retrying later may succeed."""


class SchemaBehind(Exception):
    """The database schema is older than this code. ``reusegraph migrate`` fixes it."""

    def __init__(self, current: str | None, head: str) -> None:
        self.current = current
        self.head = head
        super().__init__(
            f"The database schema is at revision {current or '(empty)'} but this version of "
            f"reusegraph needs {head}. Run `reusegraph migrate` to upgrade it."
        )
