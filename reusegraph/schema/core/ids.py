"""Global object ids: ``<Type>:<key>``, e.g. ``Process:3f1c...`` or ``Municipality:DK-0746``.

Readable on purpose (DESIGN: identifiers are stable and readable); clients must still treat
them as opaque strings.
"""

import uuid

from reusegraph.schema.core.errors import BadUserInput

NODE_TYPES = ("Municipality", "Process", "Vendor", "FrameworkAgreement", "NetworkMeeting")


def global_id(type_name: str, key: object) -> str:
    return f"{type_name}:{key}"


def parse_global_id(value: str, argument: str = "id") -> tuple[str, str]:
    type_name, sep, key = value.partition(":")
    if not sep or type_name not in NODE_TYPES or not key:
        raise BadUserInput(
            f"{argument} {value!r} is not an id of this API; ids look like "
            f"'<Type>:<key>' with Type one of {', '.join(NODE_TYPES)}",
            argument=argument,
        )
    return type_name, key


def parse_uuid_id(value: str, expected: str, argument: str = "id") -> uuid.UUID:
    """Accepts the global id (``Process:<uuid>``) or the bare uuid."""
    key = value
    if ":" in value:
        type_name, key = parse_global_id(value, argument)
        if type_name != expected:
            raise BadUserInput(
                f"{argument} {value!r} is a {type_name} id; a {expected} id is expected",
                argument=argument,
            )
    try:
        return uuid.UUID(key)
    except ValueError:
        raise BadUserInput(
            f"{argument} {value!r} is not a {expected} id (expected '{expected}:<uuid>')",
            argument=argument,
        ) from None
