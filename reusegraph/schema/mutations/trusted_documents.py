"""Registering and removing trusted documents (admin): one audited transaction each.

A document is checked before it is registered: it must parse and validate against this
schema, so nothing is registered that could never run.
"""

import re

import strawberry
from graphql import GraphQLError, parse, validate
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.auth.principal import Role
from reusegraph.schema.context import Info
from reusegraph.schema.core.permissions import Scope, needs
from reusegraph.schema.mutations.core import UserError, apply
from reusegraph.schema.trusted_documents import TrustedDocument
from reusegraph.store import trusted_documents
from reusegraph.store.audit import Call
from reusegraph.store.trusted_documents import document_hash
from reusegraph.store.write_errors import rejected

MAX_NAME = 255
_HASH = re.compile(r"^(?:sha256:)?([0-9a-f]{64})$")


@strawberry.input
class TrustedDocumentRegisterInput:
    document: str = strawberry.field(
        description="The operation's exact text; it must validate against this schema."
    )
    name: str | None = strawberry.field(default=None, description="For people, e.g. the page.")
    client_mutation_id: str | None = None


@strawberry.input
class TrustedDocumentRemoveInput:
    hash: str = strawberry.field(description="The document's SHA-256 (hex, or `sha256:<hex>`).")
    client_mutation_id: str | None = None


@strawberry.type
class TrustedDocumentRegisterPayload:
    hash: str | None = strawberry.field(description="What clients send as `documentId`.")
    trusted_document: TrustedDocument | None
    user_errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class TrustedDocumentRemovePayload:
    removed_hash: str | None
    user_errors: list[UserError]
    client_mutation_id: str | None


def _checked_name(name: str | None) -> str | None:
    if name is None:
        return None
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise rejected("INVALID", f"name must be 1-{MAX_NAME} characters; got {len(name)}.", "name")
    return name


def _checked_document(info: Info, document: str) -> None:
    """Parses and validates; the first problem becomes the userError."""
    try:
        errors: list[GraphQLError] = list(validate(info.schema._schema, parse(document)))
    except GraphQLError as error:
        errors = [error]
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise rejected(
            "INVALID",
            f"document does not validate against this schema: {errors[0].message}{more}",
            "document",
        )


def _checked_hash(value: str) -> str:
    match = _HASH.match(value.strip().lower())
    if match is None:
        raise rejected(
            "INVALID", "hash must be a SHA-256: 64 hexadecimal characters, or sha256:<hex>.", "hash"
        )
    return match.group(1)


@strawberry.type
class TrustedDocumentMutations:
    @strawberry.mutation(
        description="Register a document for the trusted-documents mode; answers its hash"
        " (admin). The same document and name again changes nothing.",
        permission_classes=[needs(Role.ADMIN, scope=Scope.ANY)],
    )
    async def trusted_document_register(
        self, info: Info, input: TrustedDocumentRegisterInput
    ) -> TrustedDocumentRegisterPayload:

        async def work(session: AsyncSession, call: Call) -> str:
            name = _checked_name(input.name)
            _checked_document(info, input.document)
            digest = document_hash(input.document)
            return await trusted_documents.register(session, call, digest, input.document, name)

        outcome = await apply(info, "trustedDocumentRegister", input.client_mutation_id, work)
        found = None
        if outcome.key is not None:
            row = await trusted_documents.registered(info.context.reader, outcome.key)
            found = TrustedDocument.from_row(row) if row else None
        return TrustedDocumentRegisterPayload(
            hash=outcome.key,
            trusted_document=found,
            user_errors=outcome.errors,
            client_mutation_id=outcome.client_mutation_id,
        )

    @strawberry.mutation(
        description="Stop running a registered document in the trusted-documents mode (admin).",
        permission_classes=[needs(Role.ADMIN, scope=Scope.ANY)],
    )
    async def trusted_document_remove(
        self, info: Info, input: TrustedDocumentRemoveInput
    ) -> TrustedDocumentRemovePayload:

        async def work(session: AsyncSession, call: Call) -> str:
            return await trusted_documents.remove(session, call, _checked_hash(input.hash))

        outcome = await apply(info, "trustedDocumentRemove", input.client_mutation_id, work)
        return TrustedDocumentRemovePayload(
            removed_hash=outcome.key,
            user_errors=outcome.errors,
            client_mutation_id=outcome.client_mutation_id,
        )
