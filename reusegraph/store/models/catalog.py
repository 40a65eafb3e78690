"""Shared vocabularies: the IT systems processes work in and the technologies robots use."""

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base


class ItSystem(Base):
    """A line-of-business system (e.g. SOFIE, ESA, HsPro). ``code`` is a readable slug."""

    __tablename__ = "it_system"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    supplier: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)


class Technology(Base):
    """Automation technology (RPA, API integration, OCR ...)."""

    __tablename__ = "technology"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
