"""Append to the hash-chained audit log and verify the chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.audit import GENESIS_HASH, AuditEntry, AuditHead
from models.common import utcnow

SYSTEM_ACTOR = "system"


def _json_native(data: dict[str, Any]) -> dict[str, Any]:
    """The data as it will read back from a JSON column (dates become strings)."""
    result: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return result


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    at: datetime,
    kind: str,
    actor: str,
    campaign_id: int | None,
    subject: str,
    data: dict[str, Any],
) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON."""
    body = json.dumps(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "kind": kind,
            "actor": actor,
            "campaign_id": campaign_id,
            "subject": subject,
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def _lock_head(session: Session) -> AuditHead:
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def append(
    session: Session,
    *,
    kind: str,
    actor: str = SYSTEM_ACTOR,
    campaign_id: int | None = None,
    subject: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add an entry in the caller's transaction; the head row lock orders concurrent writers."""
    head = _lock_head(session)
    seq = head.seq + 1
    at = at or utcnow()
    native = _json_native(data or {})
    digest = entry_hash(
        prev_hash=head.hash,
        seq=seq,
        at=at,
        kind=kind,
        actor=actor,
        campaign_id=campaign_id,
        subject=subject,
        data=native,
    )
    entry = AuditEntry(
        seq=seq,
        at=at,
        kind=kind,
        actor=actor,
        campaign_id=campaign_id,
        subject=subject,
        data=native,
        prev_hash=head.hash,
        hash=digest,
    )
    head.seq = seq
    head.hash = digest
    session.add(entry)
    session.add(head)
    session.flush()
    return entry


def exists(session: Session, *, kind: str, subject: str) -> bool:
    """Whether an entry of this kind about this subject was appended already (idempotent writers)."""
    found = session.exec(
        select(AuditEntry.seq).where(AuditEntry.kind == kind, AuditEntry.subject == subject).limit(1)
    ).first()
    return found is not None


@dataclass
class ChainVerdict:
    """The result of rechecking the whole chain."""

    ok: bool
    entries_checked: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None

    def describe(self) -> str:
        """'intact: 42 entries, head 42 (…)' or 'broken at entry 7: …', the same in the API and the CLI."""
        if self.ok:
            return f"intact: {self.entries_checked} entries, head {self.head_seq} ({self.head_hash[:12]})"
        return f"broken at entry {self.first_bad_seq}: {self.problem}"


def _entries_in_order(session: Session, batch: int = 1000) -> Iterator[AuditEntry]:
    last_seq = -1
    while True:
        rows = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.seq) > last_seq)
            .order_by(col(AuditEntry.seq))
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_seq = rows[-1].seq


def verify(session: Session) -> ChainVerdict:
    """Walk the chain from the first entry; name the first entry altered, removed or inserted."""
    head = session.get(AuditHead, 1) or AuditHead(id=1, seq=0, hash=GENESIS_HASH)
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0

    def bad(seq: int, problem: str) -> ChainVerdict:
        return ChainVerdict(False, checked, head.seq, head.hash, seq, problem)

    for entry in _entries_in_order(session):
        if entry.seq > expected_seq:
            return bad(expected_seq, f"entry {expected_seq} was removed (next entry is {entry.seq})")
        if entry.prev_hash != prev_hash:
            return bad(
                entry.seq,
                f"entry {entry.seq} does not follow entry {entry.seq - 1}: an entry was "
                "removed, inserted or reordered here",
            )
        recomputed = entry_hash(
            prev_hash=entry.prev_hash,
            seq=entry.seq,
            at=entry.at,
            kind=entry.kind,
            actor=entry.actor,
            campaign_id=entry.campaign_id,
            subject=entry.subject,
            data=entry.data,
        )
        if recomputed != entry.hash:
            return bad(entry.seq, f"entry {entry.seq} was altered: its content no longer matches its hash")
        prev_hash = entry.hash
        expected_seq += 1
        checked += 1

    last_seq = expected_seq - 1
    if last_seq < head.seq:
        return bad(last_seq + 1, f"entries {last_seq + 1} to {head.seq} were removed from the end")
    if last_seq > head.seq:
        return bad(head.seq + 1, f"entry {head.seq + 1} was inserted after the recorded head")
    if prev_hash != head.hash:
        return bad(last_seq, f"entry {last_seq} differs from the recorded head hash")
    return ChainVerdict(True, checked, head.seq, head.hash)
