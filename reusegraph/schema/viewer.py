"""Who the server thinks the caller is: the first thing to check after logging in."""

import strawberry

from reusegraph.auth.principal import Principal


@strawberry.type(description="The caller, as this request was authenticated.")
class Viewer:
    authenticated: bool
    issuer: str | None
    subject: str | None
    municipality: str | None
    roles: list[str]
    scopes: list[str]

    @classmethod
    def of(cls, principal: Principal) -> "Viewer":
        return cls(
            authenticated=not principal.is_anonymous,
            issuer=principal.issuer,
            subject=principal.subject,
            municipality=principal.municipality,
            roles=sorted(principal.roles),
            scopes=sorted(principal.scopes),
        )
