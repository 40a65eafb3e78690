"""Umbrella memberships a mirror named before the umbrella itself arrived."""

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base


class PendingUmbrella(Base):
    """A mirrored process's umbrella that has not arrived yet (a later page, another run).

    Remotes send records in their own order, so a member often comes before its umbrella.
    Each page retries these, and the membership appears in ``process_umbrella`` as soon as
    the umbrella does.
    """

    __tablename__ = "pending_umbrella"

    child_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), primary_key=True
    )
    umbrella_source_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    """The umbrella's id in the same source."""
    source_code: Mapped[str] = mapped_column(
        ForeignKey("source.code", ondelete="CASCADE"), index=True
    )
