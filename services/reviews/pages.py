"""What the report and review pages show, and the checks behind their forms.

The pages behind `/r/{token}` (the signatory's report form) and `/rv/{token}` (a reviewer's
decision) load a report version with everything they show through here; the routes only read the
link, call these functions and render. Problems are catalog keys with their values: the page
translates them.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlmodel import Session, col, select

from models.arusha import ArushaFactor
from models.common import utcnow
from models.report import Evidence, ItemStatus, Report, ReportItem, ReportStatus
from models.review import ReviewSettings
from services import invitations
from services.invitations import InvitationView
from services.notifications.reviews import local_day, local_time
from services.reviews import reports
from services.reviews.reports import EvidenceRefused, EvidenceTooLarge, EvidenceTypeRefused, ItemInput

STATUSES = [s.value for s in ItemStatus]


@dataclass
class Problem:
    """One thing to correct, as a catalog key and its values (the page translates it)."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Entry:
    """One commitment on the report page: the pledge's text and what the signatory answered."""

    number: int
    key: str
    text: str
    factors: list[ArushaFactor]
    prompt: str
    status: str
    narrative: str
    links: str
    evidence: list[Evidence]
    comment: str | None = None  # the reviewer's, on the previous version (or on this one, decided)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ReportPage:
    """A report version with everything its pages show."""

    report: Report
    view: InvitationView
    settings: ReviewSettings

    @property
    def zone(self) -> str:
        return self.view.campaign.timezone

    @property
    def contact_suffix(self) -> str:
        """' (coordinator@...)' for the pages that say whom to ask, or nothing."""
        email = self.view.campaign.coordinator_email
        return f" ({email})" if email else ""

    @property
    def commitment_keys(self) -> list[str]:
        return [c.key for c in self.view.pledge.commitment_models()]


def load(session: Session, report_id: int) -> ReportPage | None:
    """The report version and its invitation, or None for an unknown report."""
    report = session.get(Report, report_id)
    if report is None:
        return None
    view = invitations.view(session, report.invitation_id)
    return ReportPage(report=report, view=view, settings=reports.settings_of(view.campaign))


def previous(session: Session, report: Report) -> Report | None:
    """The version before this one, if any."""
    if report.version <= 1:
        return None
    return session.exec(
        select(Report).where(
            Report.campaign_id == report.campaign_id,
            Report.organisation_id == report.organisation_id,
            Report.cycle == report.cycle,
            Report.version == report.version - 1,
        )
    ).first()


def _evidence(session: Session, report_id: int) -> list[Evidence]:
    return list(
        session.exec(select(Evidence).where(Evidence.report_id == report_id).order_by(col(Evidence.id)))
    )


def entries(
    session: Session, page: ReportPage, *, typed_links: Mapping[str, str] | None = None
) -> list[Entry]:
    """The commitments with the saved answers (and the links as typed, when some were refused)."""
    report = page.report
    items = {item.commitment_key: item for item in reports.items_of(session, report.id or 0)}
    earlier_version = previous(session, report)
    earlier: dict[str, ReportItem] = (
        {item.commitment_key: item for item in reports.items_of(session, earlier_version.id or 0)}
        if earlier_version
        else {}
    )
    evidence = _evidence(session, report.id or 0)
    prompts = page.settings.template.prompts
    found = []
    for number, commitment in enumerate(page.view.pledge.commitment_models(), start=1):
        item = items.get(commitment.key)
        status = item.status if item else None
        narrative = item.narrative if item else ""
        links = (typed_links or {}).get(commitment.key, item.links if item else "")
        comment = (
            item.reviewer_comment
            if item is not None and report.status in (ReportStatus.accepted, ReportStatus.sent_back)
            else (earlier[commitment.key].reviewer_comment if commitment.key in earlier else None)
        )
        found.append(
            Entry(
                number=number,
                key=commitment.key,
                text=commitment.text,
                factors=commitment.factors,
                prompt=prompts.get(commitment.key, ""),
                status=status.value if status is not None else "",
                narrative=narrative,
                links=links,
                evidence=[e for e in evidence if e.commitment_key == commitment.key],
                comment=comment,
            )
        )
    return found


def file_size(value: int) -> str:
    """A file's size as a reader says it (B, KB, MB)."""
    if value >= 1024 * 1024:
        return f"{value / 1048576:.1f} MB"
    if value >= 1024:
        return f"{value / 1024:.0f} KB"
    return f"{value} B"


def type_names(types: list[str]) -> str:
    """Media types as the file extensions a reader knows ("PDF, PNG")."""
    names = []
    for media_type in types:
        extension = mimetypes.guess_extension(media_type) or media_type
        names.append(extension.lstrip(".").upper())
    return ", ".join(dict.fromkeys(names))


def shown(session: Session, page: ReportPage) -> dict[str, Any]:
    """What both the report and the review page show about the version, in the campaign's zone."""
    report, zone = page.report, page.zone
    return {
        "report": report,
        "organisation": page.view.organisation,
        "campaign": page.view.campaign,
        "contact": page.view.contact,
        "pledge_title": page.view.pledge.title,
        "introduction": page.settings.template.introduction,
        "period_start": local_day(report.period_start, zone),
        "period_end": local_day(report.period_end - timedelta(seconds=1), zone),
        "due_at": local_time(report.due_at, zone),
        "overdue": report.status is ReportStatus.draft and utcnow() > report.due_at,
        "submitted_at": local_time(report.submitted_at, zone),
        "decided_at": local_time(report.decided_at, zone),
        "previous": previous(session, report),
        "size": file_size,
    }


def newest_version(session: Session, report: Report) -> int:
    """The newest version number of the report's cycle (for a page that points to it)."""
    newest = reports.latest(
        session, campaign_id=report.campaign_id, organisation_id=report.organisation_id, cycle=report.cycle
    )
    return newest.version if newest else report.version + 1


# ---- the report form ---------------------------------------------------------------------------


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def answers(
    form: Mapping[str, Any], keys: list[str]
) -> tuple[dict[str, ItemInput], dict[str, str], list[Problem]]:
    """What the form says per commitment: valid answers, the links as typed, and bad links."""
    found: dict[str, ItemInput] = {}
    typed: dict[str, str] = {}
    problems: list[Problem] = []
    for number, key in enumerate(keys, start=1):
        if f"narrative.{key}" not in form and f"status.{key}" not in form and f"links.{key}" not in form:
            continue  # not on this form: leave the saved answer alone
        raw_status = _text(form, f"status.{key}")
        lines = [line.strip() for line in _text(form, f"links.{key}").splitlines() if line.strip()]
        good = [line for line in lines if line.startswith(("http://", "https://"))]
        problems += [
            Problem("report.bad_link", {"number": number, "link": line}) for line in lines if line not in good
        ]
        found[key] = ItemInput(
            status=ItemStatus(raw_status) if raw_status in STATUSES else None,
            narrative=_text(form, f"narrative.{key}"),
            links=good,
        )
        typed[key] = "\n".join(lines)
    return found, typed, problems


@dataclass
class Upload:
    """One file sent with the form, for one commitment, not yet read."""

    number: int  # the commitment's number on the page
    key: str
    filename: str
    declared_type: str  # what the browser said (or guessed from the name)
    size: int
    file: IO[bytes]


def declared_type(content_type: str | None, filename: str) -> str:
    """The type a browser declared for a file, or the one its name suggests."""
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or declared or "application/octet-stream"


def store_uploads(
    session: Session, *, page: ReportPage, uploads: list[Upload], storage: Path, actor: str
) -> tuple[list[Problem], int]:
    """Store each file sent; the problems of the refused ones and the status that says why
    (413 too large, 415 content of a type not accepted, 422 otherwise)."""
    template = page.settings.template
    problems: list[Problem] = []
    statuses: set[int] = set()
    for upload in uploads:
        values: dict[str, Any] = {"number": upload.number, "file": upload.filename}
        try:
            # Refused from its size alone: a large file is never read into memory.
            reports.check_size(
                upload.filename, upload.size, settings=page.settings, commitment_key=upload.key
            )
            # The type is judged from the content in add_evidence, not from what the browser sent.
            upload.file.seek(0)
            reports.add_evidence(
                session,
                report=page.report,
                commitment_key=upload.key,
                filename=upload.filename,
                content_type=upload.declared_type,
                data=upload.file.read(template.max_file_mb * 1024 * 1024 + 1),
                settings=page.settings,
                storage=storage,
                actor=actor,
            )
        except EvidenceTooLarge as exc:
            values |= {"size": f"{exc.size / 1048576:.1f}", "limit": template.max_file_mb}
            problems.append(Problem("report.file_too_large", values))
            statuses.add(413)
        except EvidenceTypeRefused as exc:
            values |= {"type": exc.media_type, "types": type_names(template.allowed_types)}
            problems.append(Problem("report.file_type", values))
            statuses.add(415)
        except EvidenceRefused as exc:
            problems.append(Problem("report.file_refused", values | {"reason": exc.detail}))
            statuses.add(422)
    status = 413 if 413 in statuses else 415 if 415 in statuses else 422 if statuses else 200
    return problems, status


def missing_statuses(found: list[Entry]) -> list[Problem]:
    """A problem on each commitment without a status (a report is submitted complete)."""
    for entry in found:
        if not entry.status:
            entry.problems.append(
                Problem("report.missing_status", {"number": entry.number, "text": entry.text})
            )
    return [problem for entry in found if not entry.status for problem in entry.problems]


@dataclass
class VersionRef:
    """Which report version of which review cycle, once the session that loaded it is closed."""

    report_id: int
    version: int
    campaign_id: int
    organisation_id: int
    cycle: int
    organisation_name: str


def _version_ref(page: ReportPage) -> dict[str, Any]:
    report = page.report
    return {
        "report_id": report.id or 0,
        "version": report.version,
        "campaign_id": report.campaign_id,
        "organisation_id": report.organisation_id,
        "cycle": report.cycle,
        "organisation_name": page.view.organisation.name,
    }


@dataclass
class Submission(VersionRef):
    """A complete, saved draft (or a locked version) to hand to the review cycle."""

    locale: str
    zone: str
    due_at: datetime
    contact: str  # " (coordinator@...)" for the pages that say whom to ask
    actor: str
    locked: bool = False  # already submitted in the records: only the workflow is to be told
    on_time: bool = False
    submitted_at: datetime | None = None

    def locked_at(self, report: Report) -> Submission:
        """The same submission, once the records have locked the version."""
        return replace(self, locked=True, on_time=bool(report.on_time), submitted_at=report.submitted_at)


def submission(page: ReportPage, actor: str) -> Submission:
    """The submission of the page's report version."""
    report = page.report
    return Submission(
        **_version_ref(page),
        locale=page.view.contact.locale,
        zone=page.zone,
        due_at=report.due_at,
        contact=page.contact_suffix,
        actor=actor,
        locked=report.status is ReportStatus.submitted,
        on_time=bool(report.on_time),
        submitted_at=report.submitted_at,
    )


# ---- the reviewer's decision -------------------------------------------------------------------


@dataclass
class Decision(VersionRef):
    """A reviewer's checked decision, ready for the records and the review cycle."""

    reviewer: str
    accept: bool
    comments: dict[str, str]
    note: str


@dataclass
class DecisionRefused:
    """A decision form to show again: what to correct and what was typed."""

    problem: Problem
    comments: dict[str, str]
    note: str


def decision(page: ReportPage, reviewer: str, form: Mapping[str, Any]) -> Decision | DecisionRefused:
    """The reviewer's decision as the form gives it; sending back needs a comment or a note."""
    comments = {key: _text(form, f"comment.{key}").strip() for key in page.commitment_keys}
    note = _text(form, "note").strip()
    chosen = _text(form, "decision")
    if chosen not in ("accept", "send_back"):
        return DecisionRefused(Problem("review.choose"), comments, note)
    if chosen == "send_back" and not note and not any(comments.values()):
        return DecisionRefused(Problem("review.comment_required"), comments, note)
    return Decision(
        **_version_ref(page),
        reviewer=reviewer,
        accept=chosen == "accept",
        comments={key: text for key, text in comments.items() if text},
        note=note,
    )


# ---- evidence files ----------------------------------------------------------------------------


def evidence_file(
    session: Session, *, report_id: int, evidence_id: int, storage: Path
) -> tuple[Evidence, Path] | None:
    """A file of this report (and of no other) with where it is kept, or None."""
    evidence = session.get(Evidence, evidence_id)
    path = reports.evidence_path(storage, evidence.sha256) if evidence else None
    if evidence is None or evidence.report_id != report_id or path is None or not path.is_file():
        return None
    return evidence, path
