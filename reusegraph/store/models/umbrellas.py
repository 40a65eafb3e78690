"""Umbrella memberships a mirror named before both of their ends had arrived."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base


class PendingUmbrella(Base):
    """An (umbrella, member) pair of one source, by the source's own ids.

    Remotes send records in their own order: a member often comes before its umbrella (a
    feed names umbrellas on the member), or an umbrella before its members (OS2autoproces
    lists ``children`` on the umbrella). The pair waits here; each page makes the pairs
    whose two ends are now stored into ``process_umbrella`` rows.
    """

    __tablename__ = "pending_umbrella"

    source_code: Mapped[str] = mapped_column(
        ForeignKey("source.code", ondelete="CASCADE"), primary_key=True
    )
    umbrella_source_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    child_source_id: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
