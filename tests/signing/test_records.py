"""The database layer, on SQLite and on PostgreSQL (PLEDGEFLOW_TEST_DATABASE_URL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from models.audit import AuditEntry
from models.commitment import Commitment
from models.common import utcnow
from models.invitation import InvitationStatus
from models.pledge import pledge_sha256
from pledgeflow.db import session_scope
from pledgeflow.errors import Conflict, Unauthorized
from services import audit, invitations, signatures, users
from tests import factories
from workflows.pledge_messages import Signer

pytestmark = pytest.mark.db


def test_pledge_hash_is_canonical():
    commitments = [Commitment(key="c1", text="Publish fees.", factors=["transparency", 3])]
    first = pledge_sha256("Pact", "Intro", commitments)
    assert first == pledge_sha256(
        "Pact",
        "Intro",
        [Commitment(key="c1", text=" Publish fees. ", factors=["Transparency", "transparency"])],
    )
    assert first != pledge_sha256("Pact", "Intro.", commitments)
    assert len(first) == 64


def test_datetimes_come_back_aware_and_utc(db):
    seeded = factories.campaign_with_invitees(db, count=1)
    with Session(db) as session:
        invitation = invitations.get_or_raise(session, seeded.invitations[0].id)
        assert invitation.created_at.tzinfo is not None and invitation.created_at.utcoffset() == timedelta(0)


def test_signature_is_recorded_once(db):
    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    invitation_id = seeded.invitations[0].id
    kwargs = dict(
        invitation_id=invitation_id,
        receipt_id="PF-0000000000000001",
        signer=Signer(name="A", title="B", publish_name=False, ip="127.0.0.1", user_agent="x"),
        signed_at=utcnow(),
    )
    with session_scope(db) as session:
        first = signatures.record(session, **kwargs)
    with session_scope(db) as session:
        again = signatures.record(session, **{**kwargs, "receipt_id": "PF-0000000000000002"})
    assert again.id == first.id and again.receipt_id == "PF-0000000000000001"
    with Session(db) as session:
        assert invitations.get_or_raise(session, invitation_id).status is InvitationStatus.signed
        assert session.exec(select(AuditEntry).where(AuditEntry.kind == "signature.recorded")).all()


def test_delegation_is_idempotent_and_closes_the_old_invitation(db):
    seeded = factories.campaign_with_invitees(db, count=1)
    old_id = seeded.invitations[0].id
    at = utcnow()
    with session_scope(db) as session:
        first = invitations.delegate(
            session,
            invitation_id=old_id,
            name="Ama",
            email="ama@org1.example",
            title=None,
            locale="en",
            at=at,
        )
    with session_scope(db) as session:
        again = invitations.delegate(
            session,
            invitation_id=old_id,
            name="Ama",
            email="ama@org1.example",
            title=None,
            locale="en",
            at=at,
        )
        assert again.id == first.id
        assert invitations.get_or_raise(session, old_id).status is InvitationStatus.delegated
        assert first.delegated_by_contact_id == seeded.contacts[0].id
    with session_scope(db) as session, pytest.raises(Conflict):
        invitations.record_decline(session, invitation_id=old_id, reason="late", at=at)


def test_tokens_are_stored_hashed(db):
    user, token = factories.coordinator(db)
    with Session(db) as session:
        assert users.authenticate(session, token).id == user.id
        stored = [t.token_hash for t in session.exec(select(users.ApiToken)).all()]
        assert token not in stored and users.hash_token(token) in stored
        with pytest.raises(Unauthorized):
            users.authenticate(session, token + "x")


def _chain(db, count: int) -> None:
    with session_scope(db) as session:
        for index in range(count):
            audit.append(
                session,
                kind="test.event",
                actor="tester",
                subject=f"item:{index}",
                data={"n": index, "when": datetime(2026, 1, 1, tzinfo=UTC)},
            )


def _verdict(db):
    with Session(db) as session:
        return audit.verify(session)


def test_audit_chain_verifies(db):
    _chain(db, 5)
    verdict = _verdict(db)
    assert verdict.ok and verdict.entries_checked == 5 and verdict.head_seq == 5


def test_audit_chain_detects_an_edit(db):
    _chain(db, 5)
    with session_scope(db) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.seq == 3)).one()
        entry.data = {**entry.data, "n": 99}
        session.add(entry)
    verdict = _verdict(db)
    assert not verdict.ok and verdict.first_bad_seq == 3 and "altered" in (verdict.problem or "")


def test_audit_chain_detects_a_removal(db):
    _chain(db, 5)
    with session_scope(db) as session:
        session.delete(session.exec(select(AuditEntry).where(AuditEntry.seq == 2)).one())
    verdict = _verdict(db)
    assert not verdict.ok and verdict.first_bad_seq == 2 and "removed" in (verdict.problem or "")


def test_audit_chain_detects_a_removal_at_the_end(db):
    _chain(db, 5)
    with session_scope(db) as session:
        session.delete(session.exec(select(AuditEntry).where(AuditEntry.seq == 5)).one())
    verdict = _verdict(db)
    assert not verdict.ok and verdict.first_bad_seq == 5


def test_audit_chain_detects_an_insertion(db):
    _chain(db, 4)
    with session_scope(db) as session:
        for entry in session.exec(
            select(AuditEntry).where(AuditEntry.seq >= 3).order_by(AuditEntry.seq.desc())
        ).all():
            entry.seq += 1
            session.add(entry)
            session.flush()
        forged = AuditEntry(
            seq=3,
            kind="test.event",
            actor="intruder",
            subject="item:x",
            data={},
            prev_hash="0" * 64,
            hash="f" * 64,
        )
        session.add(forged)
    verdict = _verdict(db)
    assert not verdict.ok and verdict.first_bad_seq == 3


def test_audit_chain_detects_a_reorder(db):
    _chain(db, 5)
    with session_scope(db) as session:
        a = session.exec(select(AuditEntry).where(AuditEntry.seq == 2)).one()
        b = session.exec(select(AuditEntry).where(AuditEntry.seq == 4)).one()
        a.seq, b.seq = -2, -4
        session.add_all([a, b])
        session.flush()
        a.seq, b.seq = 4, 2
        session.add_all([a, b])
    verdict = _verdict(db)
    assert not verdict.ok and verdict.first_bad_seq == 2
