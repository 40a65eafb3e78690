"""Vendors: suppliers that deliver automation (OS2autoproces only has free text here)."""

import uuid

from sqlalchemy import Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base, enum_check, enum_column
from reusegraph.store.enums import Country


class Vendor(Base):
    __tablename__ = "vendor"
    __table_args__ = (
        UniqueConstraint("country", "org_number"),
        enum_check("country", Country),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    country: Mapped[str] = mapped_column(enum_column(Country))
    org_number: Mapped[str | None] = mapped_column(String(20))
    website: Mapped[str | None] = mapped_column(String(1024))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
