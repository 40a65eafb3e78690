"""Network meetings where municipalities share what they built and solve problems together."""

import uuid
from datetime import date

from sqlalchemy import ARRAY, Column, Date, ForeignKey, Integer, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base

meeting_participant = Table(
    "meeting_participant",
    Base.metadata,
    Column("meeting_id", ForeignKey("network_meeting.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_code", ForeignKey("municipality.code"), primary_key=True, index=True),
)

meeting_process = Table(
    "meeting_process",
    Base.metadata,
    Column("meeting_id", ForeignKey("network_meeting.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "process_id", ForeignKey("process.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)

meeting_it_system = Table(
    "meeting_it_system",
    Base.metadata,
    Column("meeting_id", ForeignKey("network_meeting.id", ondelete="CASCADE"), primary_key=True),
    Column("it_system_code", ForeignKey("it_system.code"), primary_key=True, index=True),
)


class NetworkMeeting(Base):
    """``held_on`` may be unknown: the source documents do not date every meeting."""

    __tablename__ = "network_meeting"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(255))
    held_on: Mapped[date | None] = mapped_column(Date, index=True)
    host_code: Mapped[str | None] = mapped_column(ForeignKey("municipality.code"), index=True)
    topics: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    external_participants: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    outcome: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))


class MeetingPresentation(Base):
    __tablename__ = "meeting_presentation"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("network_meeting.id", ondelete="CASCADE"), index=True
    )
    presenter_code: Mapped[str | None] = mapped_column(ForeignKey("municipality.code"))
    title: Mapped[str] = mapped_column(String(255))
    process_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("process.id", ondelete="SET NULL"), index=True
    )
