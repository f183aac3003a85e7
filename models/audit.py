"""The append-only audit log: every entry carries the hash of the one before."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True, description="1, 2, 3 ... without gaps")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    kind: str = Field(max_length=60, index=True)
    actor: str = Field(max_length=320, description="'system', 'signatory:<email>', 'user:<id>'")
    campaign_id: int | None = Field(default=None, index=True)
    subject: str = Field(default="", max_length=120, description="e.g. 'invitation:12'")
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """One row: the newest entry's seq and hash, locked while an entry is appended."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default=GENESIS_HASH, max_length=64)


class AuditEntryPublic(SQLModel):
    seq: int
    at: datetime
    kind: str
    actor: str
    campaign_id: int | None
    subject: str
    data: dict[str, Any]
    prev_hash: str
    hash: str
