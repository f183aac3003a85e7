"""Email activities: compose from the records, render, send once per Message-ID."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosmtplib
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from temporalio import activity

from activities.errors import domain_errors_are_final
from models.common import utcnow
from models.email_message import EmailKind
from pledgeflow.db import session_scope
from pledgeflow.mail.acceptance import AcceptanceJournal, heartbeat_accepted, inherited_acceptances
from pledgeflow.mail.message import OutgoingEmail, sender_domain, stable_message_id
from pledgeflow.mail.pacing import SendPacer
from pledgeflow.mail.render import EmailRenderer
from pledgeflow.mail.sender import PermanentRecipientError, SmtpSender, SmtpSession
from pledgeflow.observability import metrics
from services import invitations, notifications, outbox
from services.notifications import Draft, LinkContext, MailRef

log = logging.getLogger(__name__)

# A database that fails after the server's 250 is retried, never answered by sending again.
DB_RETRY_FIRST_SECONDS = 0.2
DB_RETRY_MAX_SECONDS = 10.0
DB_RETRY_TOTAL_SECONDS = 60.0  # then the attempt fails (a stopping worker must not wait forever)
EARLIER_ATTEMPT_REPLY = "250 accepted in an earlier attempt"


@dataclass
class SendEmailInput:
    kind: EmailKind
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

    kind: EmailKind
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
        lanes: int = 4,
        pacer: SendPacer | None = None,
        journal: AcceptanceJournal | None = None,
    ) -> None:
        self._engine = engine
        self._renderer = renderer
        self._sender = sender
        self._links = links
        self._mail_from = mail_from
        self.domain = sender_domain(mail_from)
        self.lanes = lanes
        self._pacer = pacer or SendPacer(None)
        self._journal = journal

    def message_id(self, workflow_id: str, step: str) -> str:
        """The stable Message-ID of one step of one workflow."""
        return stable_message_id(workflow_id, step, self.domain)

    def _prepare(
        self, jobs: list[EmailJob], taken_earlier: set[str]
    ) -> list[tuple[EmailJob, OutgoingEmail | None, Draft | None]]:
        """Compose and render every job not yet accepted, and log the attempt, in one transaction.

        None marks a job the SMTP server already took (a retry after a crash sends it no more):
        logged accepted in the outbox, or known accepted by an earlier attempt (`taken_earlier`,
        from heartbeats and the local journal) whose outbox commit never landed; those are
        logged accepted now.
        """
        prepared: list[tuple[EmailJob, OutgoingEmail | None, Draft | None]] = []
        ids = [job.message_id for job in jobs]
        with session_scope(self._engine) as session:
            accepted = outbox.accepted_among(session, ids)
            for message_id in (taken_earlier & set(ids)) - accepted:
                if self._repair_accepted(session, message_id):
                    accepted.add(message_id)
            invitations.prefetch(session, [j.invitation_id for j in jobs if j.invitation_id])
            for job in jobs:
                if job.message_id in accepted:
                    prepared.append((job, None, None))
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
                email = self._outgoing(job, draft)
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
                prepared.append((job, email, draft))
        return prepared

    def _outgoing(self, job: EmailJob, draft: Draft) -> OutgoingEmail:
        rendered = self._renderer.render(draft.kind, draft.locale, draft.context, country=draft.country)
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

    @staticmethod
    def _accept(
        session: Session, *, message_id: str, kind: str, invitation_id: int | None, reply: str
    ) -> None:
        now = utcnow()
        opened = False
        if kind == EmailKind.invitation and invitation_id is not None:
            # The invitation's link opens when its email is accepted.
            invitation = invitations.get_or_raise(session, invitation_id)
            opened = invitations.mark_sent(session, invitation=invitation, at=now)
        outbox.mark_accepted(session, message_id=message_id, reply=reply, at=now, invitation_sent=opened)

    def _repair_accepted(self, session: Session, message_id: str) -> bool:
        """Log an acceptance an earlier attempt could not; False if this outbox never tried it."""
        row = outbox.find(session, message_id)
        if row is None:  # not this database's message (begin_attempt precedes every send)
            return False
        self._accept(
            session,
            message_id=message_id,
            kind=row.kind,
            invitation_id=row.invitation_id,
            reply=EARLIER_ATTEMPT_REPLY,
        )
        return True

    def _log_accepted(self, email: OutgoingEmail, draft: Draft, reply: str) -> None:
        with session_scope(self._engine) as session:
            self._accept(
                session,
                message_id=email.message_id,
                kind=draft.kind,
                invitation_id=draft.invitation_id,
                reply=reply,
            )

    def _log_failed(self, message_id: str, error: str, permanent: bool) -> None:
        with session_scope(self._engine) as session:
            row = outbox.mark_failed(
                session, message_id=message_id, error=error, permanent=permanent, at=utcnow()
            )
            if permanent and row is not None and row.kind == EmailKind.invitation and row.invitation_id:
                # The database says what the campaign and the pledge workflow are told.
                invitations.mark_undeliverable(session, invitation_id=row.invitation_id, at=utcnow())

    async def _record_accepted(self, email: OutgoingEmail, draft: Draft, reply: str) -> None:
        """Commit the acceptance, retrying the database with backoff for up to a minute."""
        delay = DB_RETRY_FIRST_SECONDS
        give_up = asyncio.get_running_loop().time() + DB_RETRY_TOTAL_SECONDS
        while True:
            try:
                await asyncio.to_thread(self._log_accepted, email, draft, reply)
                break
            except SQLAlchemyError as exc:
                if asyncio.get_running_loop().time() + delay > give_up:
                    # The batch fails; its next attempt logs this acceptance from the journal
                    # and the heartbeat details instead of sending again.
                    raise
                log.warning(
                    "email %s accepted; its outbox commit failed (retrying): %s", email.message_id, exc
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, DB_RETRY_MAX_SECONDS)
        if self._journal is not None:
            self._journal.forget(email.message_id)

    async def deliver(self, jobs: list[EmailJob], heartbeat: bool = False) -> list[SendEmailResult]:
        """Send every job not yet accepted; results in job order.

        Large batches go out over a few SMTP connections at once (lanes), each sending in order,
        so database commits and network round trips overlap.
        """
        accepted = inherited_acceptances()
        if self._journal is not None:
            accepted |= self._journal.noted_among(job.message_id for job in jobs)
        prepared = await asyncio.to_thread(self._prepare, jobs, accepted)
        if self._journal is not None:
            for job, email, _ in prepared:
                if email is None:
                    self._journal.forget(job.message_id)  # the outbox has it now
        results = {
            job.message_id: SendEmailResult(job.message_id, "already_accepted")
            for job, email, _ in prepared
            if email is None
        }
        to_send = [(email, draft) for _, email, draft in prepared if email is not None and draft is not None]
        lanes = [to_send[i :: self.lanes] for i in range(min(self.lanes, len(to_send)))]
        sending = [asyncio.ensure_future(self._send_lane(lane, heartbeat, accepted)) for lane in lanes]
        try:
            # Every lane ends before the attempt does: a lane still sending after a sibling
            # failed would race the retry for the same messages.
            outcomes = await asyncio.gather(*sending, return_exceptions=True)
        except asyncio.CancelledError:
            # A cancelled gather returns at once; wait until every lane has finished the email it
            # was sending (and recorded it), or a stopping worker would exit in between.
            await asyncio.gather(*sending, return_exceptions=True)
            raise
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        for lane_results in outcomes:
            assert isinstance(lane_results, dict)
            results.update(lane_results)
        return [results[job.message_id] for job in jobs]

    async def _send_lane(
        self, lane: list[tuple[OutgoingEmail, Draft]], heartbeat: bool, accepted: set[str]
    ) -> dict[str, SendEmailResult]:
        results: dict[str, SendEmailResult] = {}
        current: tuple[OutgoingEmail, Draft] | None = None
        try:
            async with self._sender.session() as smtp:
                for email, draft in lane:
                    current = (email, draft)
                    await self._pacer.wait_turn()
                    sending = asyncio.ensure_future(self._send_one(smtp, email, draft, accepted))
                    try:
                        results[email.message_id] = await asyncio.shield(sending)
                    except asyncio.CancelledError:
                        # Stopping (worker shutdown, cancellation): finish this one email, sent
                        # and recorded, so it is neither half-sent nor sent again.
                        await sending
                        raise
                    current = None
                    if heartbeat:
                        heartbeat_accepted(accepted)
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Transient: the server is down or dropped us. What was accepted is logged; the
            # activity retries and skips those.
            failed_email, failed_draft = current or lane[0]
            await asyncio.to_thread(self._log_failed, failed_email.message_id, str(exc), False)
            metrics.email_failed(failed_draft.kind, permanent=False)
            raise
        return results

    async def _send_one(
        self, smtp: SmtpSession, email: OutgoingEmail, draft: Draft, accepted: set[str]
    ) -> SendEmailResult:
        try:
            reply = await smtp.send(email)
        except PermanentRecipientError as exc:
            await asyncio.to_thread(self._log_failed, email.message_id, str(exc), True)
            metrics.email_failed(draft.kind, permanent=True)
            log.warning("email %s refused: %s", email.message_id, exc)
            return SendEmailResult(email.message_id, "refused", str(exc))
        # The window that matters: between the server's 250 and a record of it, a crash would
        # send this one message again on retry. The first records take no thread and no
        # database: the local journal (one system call) and the heartbeat details.
        if self._journal is not None:
            self._journal.note(email.message_id)
        accepted.add(email.message_id)
        heartbeat_accepted(accepted)
        await self._record_accepted(email, draft, reply)
        metrics.email_sent(draft.kind)
        if draft.kind == EmailKind.escalation:
            metrics.escalation_sent(draft.context.get("level", "?"))
        return SendEmailResult(email.message_id, "accepted", reply)


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
