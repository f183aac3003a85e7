"""Email activities: compose from the records, render, send once per Message-ID."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosmtplib
from sqlalchemy.engine import Engine
from temporalio import activity

from activities.errors import domain_errors_are_final
from models.common import utcnow
from pledgeflow.db import session_scope
from pledgeflow.mail.message import OutgoingEmail, sender_domain, stable_message_id
from pledgeflow.mail.render import EmailRenderer
from pledgeflow.mail.sender import PermanentRecipientError, SmtpSender, SmtpSession
from services import invitations, notifications, outbox
from services.notifications import Draft, LinkContext, MailRef

log = logging.getLogger(__name__)


@dataclass
class SendEmailInput:
    kind: str
    workflow_id: str
    step: str
    planned_at: datetime
    invitation_id: int = 0
    campaign_id: int = 0
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class SendEmailResult:
    message_id: str
    outcome: str  # "accepted", "already_accepted" or "refused"
    detail: str = ""


@dataclass
class EmailJob:
    """One email of a batch: which kind, about which invitation, under which Message-ID."""

    kind: str
    message_id: str
    planned_at: datetime
    invitation_id: int = 0
    campaign_id: int = 0
    params: dict[str, Any] = field(default_factory=dict)


class EmailDelivery:
    """Sends drafts over SMTP exactly once per Message-ID, logging each step in the outbox."""

    def __init__(
        self,
        *,
        engine: Engine,
        renderer: EmailRenderer,
        sender: SmtpSender,
        links: LinkContext,
        mail_from: str,
    ) -> None:
        self._engine = engine
        self._renderer = renderer
        self._sender = sender
        self._links = links
        self._mail_from = mail_from
        self.domain = sender_domain(mail_from)

    def message_id(self, workflow_id: str, step: str) -> str:
        """The stable Message-ID of one step of one workflow."""
        return stable_message_id(workflow_id, step, self.domain)

    def _compose_pending(self, jobs: list[EmailJob]) -> list[tuple[EmailJob, Draft | None]]:
        """Drafts for the jobs not yet accepted; None marks one already sent."""
        result: list[tuple[EmailJob, Draft | None]] = []
        with session_scope(self._engine) as session:
            for job in jobs:
                if outbox.already_accepted(session, job.message_id):
                    result.append((job, None))
                    continue
                draft = notifications.compose(
                    session,
                    self._links,
                    kind=job.kind,
                    ref=MailRef(
                        planned_at=job.planned_at,
                        invitation_id=job.invitation_id,
                        campaign_id=job.campaign_id,
                        params=job.params,
                    ),
                )
                result.append((job, draft))
        return result

    def _outgoing(self, job: EmailJob, draft: Draft) -> OutgoingEmail:
        rendered = self._renderer.render(draft.kind, draft.locale, draft.context)
        return OutgoingEmail(
            message_id=job.message_id,
            sender=self._mail_from,
            to=draft.to,
            cc=draft.cc,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            date=job.planned_at,
            headers={"Auto-Submitted": "auto-generated", "X-Pledgeflow-Kind": draft.kind},
        )

    def _log_attempt(self, email: OutgoingEmail, draft: Draft) -> None:
        with session_scope(self._engine) as session:
            outbox.begin_attempt(
                session,
                message_id=email.message_id,
                kind=draft.kind,
                recipient=", ".join(email.to),
                cc=email.cc,
                subject=email.subject,
                campaign_id=draft.campaign_id,
                invitation_id=draft.invitation_id,
            )

    def _log_accepted(self, email: OutgoingEmail, draft: Draft, reply: str) -> None:
        now = utcnow()
        with session_scope(self._engine) as session:
            outbox.mark_accepted(session, message_id=email.message_id, reply=reply, at=now)
            if draft.kind == "invitation" and draft.invitation_id is not None:
                # The invitation's link opens when its email is accepted.
                invitation = invitations.get_or_raise(session, draft.invitation_id)
                invitations.mark_sent(session, invitation=invitation, at=now)

    def _log_failed(self, message_id: str, error: str, permanent: bool) -> None:
        with session_scope(self._engine) as session:
            outbox.mark_failed(session, message_id=message_id, error=error, permanent=permanent, at=utcnow())

    async def deliver(self, jobs: list[EmailJob], heartbeat: bool = False) -> list[SendEmailResult]:
        """Send every job not yet accepted over one SMTP connection; results in job order."""
        pending = await asyncio.to_thread(self._compose_pending, jobs)
        results = {
            job.message_id: SendEmailResult(job.message_id, "already_accepted")
            for job, draft in pending
            if draft is None
        }
        to_send = [(job, draft) for job, draft in pending if draft is not None]
        current: EmailJob | None = None
        if to_send:
            try:
                async with self._sender.session() as smtp:
                    for job, draft in to_send:
                        current = job
                        results[job.message_id] = await self._send_one(smtp, job, draft)
                        current = None
                        if heartbeat:
                            activity.heartbeat(job.message_id)
            except (aiosmtplib.SMTPException, OSError) as exc:
                # Transient: the server is down or dropped us. What was accepted is logged;
                # the activity retries and skips those.
                if current is None:  # could not even connect: the first waiting email says why
                    current, draft = to_send[0]
                    await asyncio.to_thread(self._log_attempt, self._outgoing(current, draft), draft)
                await asyncio.to_thread(self._log_failed, current.message_id, str(exc), False)
                raise
        return [results[job.message_id] for job in jobs]

    async def _send_one(self, smtp: SmtpSession, job: EmailJob, draft: Draft) -> SendEmailResult:
        email = self._outgoing(job, draft)
        await asyncio.to_thread(self._log_attempt, email, draft)
        try:
            reply = await smtp.send(email)
        except PermanentRecipientError as exc:
            await asyncio.to_thread(self._log_failed, job.message_id, str(exc), True)
            log.warning("email %s refused: %s", job.message_id, exc)
            return SendEmailResult(job.message_id, "refused", str(exc))
        await asyncio.to_thread(self._log_accepted, email, draft, reply)
        return SendEmailResult(job.message_id, "accepted", reply)


class EmailActivities:
    """Activities that send one email of a given kind about an invitation."""

    def __init__(self, delivery: EmailDelivery) -> None:
        self._delivery = delivery

    @activity.defn(name="send_email")
    @domain_errors_are_final
    async def send_email(self, request: SendEmailInput) -> SendEmailResult:
        """Send one email; a retry after the server accepted it sends nothing."""
        job = EmailJob(
            kind=request.kind,
            message_id=self._delivery.message_id(request.workflow_id, request.step),
            planned_at=request.planned_at,
            invitation_id=request.invitation_id,
            campaign_id=request.campaign_id,
            params=request.params,
        )
        [result] = await self._delivery.deliver([job])
        return result
