"""The outbox log that makes sending idempotent: a Message-ID is sent at most once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from models.email_message import EmailMessage, EmailStatus
from services import audit


def find(session: Session, message_id: str) -> EmailMessage | None:
    """The log row for a Message-ID."""
    return session.exec(select(EmailMessage).where(EmailMessage.message_id == message_id)).first()


def already_accepted(session: Session, message_id: str) -> bool:
    """True when the SMTP server has already taken this message."""
    row = find(session, message_id)
    return row is not None and row.status is EmailStatus.accepted


def accepted_among(session: Session, message_ids: list[str]) -> set[str]:
    """Which of these Message-IDs the SMTP server has already taken (one query)."""
    if not message_ids:
        return set()
    rows = session.exec(
        select(EmailMessage.message_id).where(
            col(EmailMessage.message_id).in_(message_ids), EmailMessage.status == EmailStatus.accepted
        )
    ).all()
    return set(rows)


def begin_attempt(
    session: Session,
    *,
    message_id: str,
    kind: str,
    recipient: str,
    cc: list[str],
    subject: str,
    campaign_id: int | None,
    invitation_id: int | None,
) -> EmailMessage:
    """Log that a send is about to be tried (once per attempt)."""
    row = find(session, message_id)
    if row is None:
        row = EmailMessage(
            message_id=message_id,
            kind=kind,
            recipient=recipient,
            cc=", ".join(cc) or None,
            subject=subject[:500],
            campaign_id=campaign_id,
            invitation_id=invitation_id,
        )
    row.attempts += 1
    row.status = EmailStatus.sending
    session.add(row)
    session.flush()
    return row


def mark_accepted(
    session: Session, *, message_id: str, reply: str, at: datetime, invitation_sent: bool = False
) -> EmailMessage:
    """The SMTP server accepted the message (which, for an invitation, opened its link)."""
    row = find(session, message_id)
    assert row is not None, f"no outbox row for {message_id}"
    row.status = EmailStatus.accepted
    row.smtp_response = reply[:500]
    row.accepted_at = at
    row.last_error = None
    session.add(row)
    audit.append(
        session,
        kind="email.accepted",
        campaign_id=row.campaign_id,
        subject=f"invitation:{row.invitation_id}" if row.invitation_id else f"email:{row.kind}",
        data={
            "message_id": message_id,
            "kind": row.kind,
            "to": row.recipient,
            "cc": row.cc,
            "reply": reply[:200],
            "invitation_sent": invitation_sent,
        },
        at=at,
    )
    return row


def mark_failed(
    session: Session, *, message_id: str, error: str, permanent: bool, at: datetime
) -> EmailMessage | None:
    """The send failed; a permanent failure (refused recipient) is recorded in the audit log."""
    row = find(session, message_id)
    if row is None:
        return None
    row.last_error = error[:1000]
    row.status = EmailStatus.failed if permanent else EmailStatus.sending
    session.add(row)
    if permanent:
        audit.append(
            session,
            kind="email.failed",
            campaign_id=row.campaign_id,
            subject=f"invitation:{row.invitation_id}" if row.invitation_id else f"email:{row.kind}",
            data={"message_id": message_id, "kind": row.kind, "to": row.recipient, "error": error[:300]},
            at=at,
        )
    return row
