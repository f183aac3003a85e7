"""Compose the emails of the review cycles: report requests and chasing, reviews, decisions, standing.

Every MailRef carries the signatory's current invitation, the campaign, and `params["report_id"]`:
the report version the email is about (for a send-back, the new draft to revise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from models.email_message import EmailKind
from models.escalation import Escalation
from models.report import Report, ReportStatus
from models.review import ReviewSettings
from pledgeflow.errors import Conflict, InvalidInput, not_found
from pledgeflow.links import LinkPurpose
from services import invitations
from services.invitations import InvitationView
from services.notifications.base import (
    COORDINATOR_LOCALE,
    Draft,
    LinkContext,
    MailRef,
    coordinator_address,
    pledge_context,
)
from services.reviews import reports

REPORT_PATH = "r"
REVIEW_PATH = "rv"
SIGNATORY_ROLES = ("contact", "escalation_contact")


def report_link(links: LinkContext, report: Report, issued_at: datetime) -> str:
    """The report form's signed link; it stays valid at least the link lifetime past the due date."""
    expires = max(issued_at, report.due_at) + links.ttl
    token = links.signer.make(report.id or 0, LinkPurpose.report, expires)
    return f"{links.base_url}/{REPORT_PATH}/{token}"


def review_link(links: LinkContext, report: Report, reviewer: str, issued_at: datetime) -> str:
    """One reviewer's own signed link to review a report version."""
    token = links.signer.make(
        report.id or 0, LinkPurpose.review, issued_at + links.ttl, actor=reviewer.strip().lower()
    )
    return f"{links.base_url}/{REVIEW_PATH}/{token}"


def local_time(moment: datetime | None, timezone: str) -> str:
    """A moment as the campaign's people read it: '2027-07-01 09:00 Africa/Accra'."""
    if moment is None:
        return ""
    return f"{moment.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M} {timezone}"


def moment_iso(moment: datetime | None, timezone: str) -> str:
    """A moment for an email's context: ISO 8601 with the campaign zone's offset, or "".

    Templates show it in the reader's CLDR form with `{{ due_at | when(timezone) }}`.
    """
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite gives naive datetimes back; they are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone)).isoformat(timespec="minutes")


def local_day(moment: datetime, timezone: str) -> str:
    """The calendar day of a moment in the campaign's time zone."""
    return f"{moment.astimezone(ZoneInfo(timezone)):%Y-%m-%d}"


@dataclass
class ReportMail:
    """A report with everything its emails show."""

    report: Report
    view: InvitationView
    settings: ReviewSettings

    @property
    def timezone(self) -> str:
        return self.view.campaign.timezone


def _param(ref: MailRef, name: str) -> Any:
    if name not in ref.params:
        raise InvalidInput.for_field(f"params.{name}", "required for this kind of email")
    return ref.params[name]


def _load(session: Session, ref: MailRef) -> ReportMail:
    report = reports.get_or_raise(session, int(_param(ref, "report_id")))
    view = invitations.view(session, ref.invitation_id or report.invitation_id)
    return ReportMail(report=report, view=view, settings=reports.settings_of(view.campaign))


def _basics(mail: ReportMail) -> dict[str, Any]:
    report, view, zone = mail.report, mail.view, mail.timezone
    return {
        "contact_name": view.contact.name,
        "contact_email": view.contact.email,
        "organisation_name": view.organisation.name,
        "campaign_title": view.campaign.title,
        "coordinator_email": view.campaign.coordinator_email or "",
        "cycle": report.cycle,
        "version": report.version,
        "period_start": local_day(report.period_start, zone),
        # The period ends where the next begins; its last day is the day before.
        "period_end": local_day(report.period_end - timedelta(seconds=1), zone),
        "due_at": moment_iso(report.due_at, zone),
        "timezone": zone,
        "pledge": pledge_context(view.pledge, view.contact.locale),
    }


def _to_signatory(kind: EmailKind, mail: ReportMail, context: dict[str, Any]) -> Draft:
    return Draft(
        kind=kind,
        to=[mail.view.contact.email],
        locale=mail.view.contact.locale,
        country=mail.view.organisation.country,
        campaign_id=mail.view.campaign.id,
        invitation_id=mail.view.invitation.id,
        context={**_basics(mail), **context},
    )


def _to_reviewer(
    kind: EmailKind, mail: ReportMail, links: LinkContext, ref: MailRef, context: dict[str, Any]
) -> Draft:
    # The reviewer the cycle names (its terms were read when it opened). One the campaign has
    # dropped since still gets the email; the review page refuses their decision.
    reviewer = str(_param(ref, "reviewer")).strip().lower()
    report, zone = mail.report, mail.timezone
    # The cycle's own review deadline when it says; else counted like the cycle counts it: from
    # the request (sent as the review starts), or for a reminder from the submission.
    review_due = ref.params.get("review_due_at")
    started = ref.planned_at if kind == "review_request" else (report.submitted_at or ref.planned_at)
    due = (
        datetime.fromisoformat(str(review_due))
        if review_due
        else started + timedelta(days=mail.settings.review_days)
    )
    return Draft(
        kind=kind,
        to=[reviewer],
        locale=COORDINATOR_LOCALE,
        campaign_id=mail.view.campaign.id,
        invitation_id=mail.view.invitation.id,
        context={
            **_basics(mail),
            "reviewer": reviewer,
            "submitted_at": moment_iso(report.submitted_at, zone),
            "on_time": bool(report.on_time),
            "review_due_at": moment_iso(due, zone),
            "link": review_link(links, report, reviewer, ref.planned_at),
            **context,
        },
    )


# ---- to the signatory -----------------------------------------------------------------


def report_request(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """A cycle opened: the period, the due date and the link to the report form."""
    mail = _load(session, ref)
    return _to_signatory(
        EmailKind.report_request, mail, {"link": report_link(links, mail.report, ref.planned_at)}
    )


def report_reminder(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """Reminder n of m before the report's due date, with the link."""
    mail = _load(session, ref)
    return _to_signatory(
        EmailKind.report_reminder,
        mail,
        {
            "number": int(ref.params.get("number", 1)),
            "total": int(ref.params.get("total", 1)),
            "link": report_link(links, mail.report, ref.planned_at),
        },
    )


def report_escalation(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """One level of the ladder for an overdue report, to the recipient recorded on the escalation."""
    mail = _load(session, ref)
    row = session.get(Escalation, int(_param(ref, "escalation_id")))
    if row is None:
        raise not_found("escalation", ref.params["escalation_id"])
    levels = int(ref.params.get("levels", row.level))
    return Draft(
        kind=EmailKind.report_escalation,
        to=[row.recipient_email],
        cc=[c for c in (row.cc or "").split(", ") if c],
        locale=mail.view.contact.locale if row.recipient_role in SIGNATORY_ROLES else COORDINATOR_LOCALE,
        country=mail.view.organisation.country if row.recipient_role in SIGNATORY_ROLES else None,
        campaign_id=mail.view.campaign.id,
        invitation_id=mail.view.invitation.id,
        context={
            **_basics(mail),
            "level": row.level,
            "levels": levels,
            "recipient_role": row.recipient_role,
            # The planned recipient had no address (no escalation contact on file): say so.
            "fallback": row.recipient_role != ref.params.get("role", row.recipient_role),
            "last_level": row.level >= levels,
            # The link is the signatory's credential: only the contact gets it.
            "link": report_link(links, mail.report, ref.planned_at)
            if row.recipient_role == "contact"
            else "",
        },
    )


def report_accepted(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """A reviewer accepted the report."""
    mail = _load(session, ref)
    return _to_signatory(
        EmailKind.report_accepted,
        mail,
        {
            "decided_at": moment_iso(mail.report.decided_at, mail.timezone),
            "note": mail.report.decision_note or "",
            "link": report_link(links, mail.report, ref.planned_at),
        },
    )


def _previous_version(session: Session, report: Report) -> Report:
    previous = session.exec(
        select(Report).where(
            Report.campaign_id == report.campaign_id,
            Report.organisation_id == report.organisation_id,
            Report.cycle == report.cycle,
            Report.version == report.version - 1,
        )
    ).first()
    if previous is None or previous.status is not ReportStatus.sent_back:
        raise Conflict(f"report {report.id} does not revise a report sent back")
    return previous


def report_sent_back(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """The reviewer sent the report back: the note, the comments, the new due date, the new form."""
    mail = _load(session, ref)
    previous = _previous_version(session, mail.report)
    texts = {
        c["key"]: c["text"] for c in pledge_context(mail.view.pledge, mail.view.contact.locale)["commitments"]
    }
    comments = [
        {
            "key": item.commitment_key,
            "text": texts.get(item.commitment_key, ""),
            "comment": item.reviewer_comment,
        }
        for item in reports.items_of(session, previous.id or 0)
        if item.reviewer_comment
    ]
    due = ref.params.get("due_at")
    due_at = datetime.fromisoformat(str(due)) if due else mail.report.due_at
    draft = _to_signatory(
        EmailKind.report_sent_back,
        mail,
        {
            "previous_version": previous.version,
            "note": previous.decision_note or "",
            "comments": comments,
            "link": report_link(links, mail.report, ref.planned_at),
        },
    )
    draft.context["due_at"] = moment_iso(due_at, mail.timezone)
    return draft


# ---- to the reviewers ---------------------------------------------------------------------


def review_request(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """A report was submitted: to one reviewer, with their own review link."""
    return _to_reviewer(EmailKind.review_request, _load(session, ref), links, ref, {})


def review_reminder(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """Reminder n of m to one reviewer before the review's due date."""
    return _to_reviewer(
        EmailKind.review_reminder,
        _load(session, ref),
        links,
        ref,
        {"number": int(ref.params.get("number", 1)), "total": int(ref.params.get("total", 1))},
    )


# ---- standing -----------------------------------------------------------------------------


def standing_changed(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """The signatory's standing moved: to the signatory contact or to the coordinator."""
    mail = _load(session, ref)
    audience = str(ref.params.get("audience", "signatory"))
    context = {
        "from_standing": str(_param(ref, "from")),
        "to_standing": str(_param(ref, "to")),
        "audience": audience,
        "register_link": f"{links.base_url}/register/{mail.view.campaign.register_key}",
        # The form, while there is still something to submit.
        "link": report_link(links, mail.report, ref.planned_at)
        if audience == "signatory" and mail.report.status is ReportStatus.draft
        else "",
    }
    if audience == "coordinator":
        return Draft(
            kind=EmailKind.standing_changed,
            to=[coordinator_address(mail.view.campaign)],
            locale=COORDINATOR_LOCALE,
            campaign_id=mail.view.campaign.id,
            invitation_id=mail.view.invitation.id,
            context={**_basics(mail), **context},
        )
    if audience != "signatory":
        raise InvalidInput.for_field("params.audience", "'signatory' or 'coordinator'")
    return _to_signatory(EmailKind.standing_changed, mail, context)
