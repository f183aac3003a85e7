"""Compose the audit checkpoint email, to one auditor."""

from __future__ import annotations

from sqlmodel import Session

from models.email_message import EmailKind
from services.notifications.base import COORDINATOR_LOCALE, Draft, LinkContext, MailRef


def audit_checkpoint(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """The audit log's head hash, to one auditor."""
    return Draft(
        kind=EmailKind.audit_checkpoint,
        to=[str(ref.params["auditor"])],
        locale=COORDINATOR_LOCALE,
        context={
            key: ref.params.get(key)
            for key in ("head_seq", "head_hash", "intact", "first_bad_seq", "problem", "taken_at")
        },
    )
