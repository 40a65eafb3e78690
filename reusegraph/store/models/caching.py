"""What HTTP caching needs from the database: the data version and the persisted queries."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base


class DataVersion(Base):
    """One row: bumped at the commit of every transaction that wrote readable rows
    (migration 0020), so an ETag made from it changes with every write, on every replica."""

    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("one", name="one_row"),)

    one: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class DataChange(Base):
    """A transaction that wrote readable rows and has not committed yet: its row exists
    only until the deferred trigger bumps the version at commit and deletes it."""

    __tablename__ = "data_change"

    xid: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class PersistedQuery(Base):
    """A document a client registered by the automatic persisted queries protocol (APQ)."""

    __tablename__ = "persisted_query"
    __table_args__ = (CheckConstraint("sha256_hash ~ '^[0-9a-f]{64}$'", name="hash_format"),)

    sha256_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
