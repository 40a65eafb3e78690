"""The caller of one request. Built once per request; everything downstream reads it."""

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    READER = "reader"  # partner portals: public data
    MEMBER = "member"  # employee: + own municipality's MUNICIPALITY data
    EDITOR = "editor"  # writes own municipality's data
    ADMIN = "admin"  # registers municipalities, issuers, sources


@dataclass(frozen=True)
class Principal:
    issuer: str | None = None
    subject: str | None = None
    municipality: str | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_anonymous(self) -> bool:
        return self.subject is None

    def is_member_of(self, municipality: str) -> bool:
        """Members and editors of a municipality see its MUNICIPALITY-visible data."""
        return self.municipality == municipality and bool(
            self.roles & {Role.MEMBER, Role.EDITOR, Role.ADMIN}
        )


ANONYMOUS = Principal()
