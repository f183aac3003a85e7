"""Reports: open one per cycle, save drafts, attach evidence, submit (lock), decide, summarise."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, func, select

from models.campaign import Campaign
from models.organisation import Organisation
from models.report import (
    Evidence,
    EvidencePublic,
    ItemStatus,
    Report,
    ReportItem,
    ReportItemPublic,
    ReportPublic,
    ReportStatus,
    SignatoryStanding,
    Standing,
)
from models.review import ReviewSettings
from pledgeflow.errors import Conflict, FieldProblem, Forbidden, InvalidInput, not_found
from services import audit, campaigns
from services.reviews import evidence_types


def settings_of(campaign: Campaign) -> ReviewSettings:
    """The campaign's review settings (yearly reports by default)."""
    return ReviewSettings.model_validate(campaign.review or {})


def open_next_cycle_now(session: Session, *, campaign_id: int, after: int, actor: str, at: datetime) -> int:
    """The number of the next review cycle, which a coordinator opens now: one past the newest
    cycle with a report (or past `after`, the last one opened this way); recorded once."""
    campaign = campaigns.get_or_raise(session, campaign_id)
    if campaign.in_force_at is None:
        raise Conflict(
            f"campaign {campaign_id} is not in force: review cycles start once the pact is",
            errors=[FieldProblem("status", f"the campaign is {campaign.status.value}")],
        )
    newest = session.exec(select(func.max(Report.cycle)).where(Report.campaign_id == campaign_id)).one()
    cycle = max(newest or 0, after) + 1
    subject = f"campaign:{campaign_id}:review-cycle:{cycle}"
    if not audit.exists(session, kind="review.cycle_opened_now", subject=subject):
        audit.append(
            session,
            kind="review.cycle_opened_now",
            actor=actor,
            campaign_id=campaign_id,
            subject=subject,
            data={"cycle": cycle},
            at=at,
        )
    return cycle


def get_or_raise(session: Session, report_id: int) -> Report:
    """The report, or NotFound."""
    report = session.get(Report, report_id)
    if report is None:
        raise not_found("report", report_id)
    return report


def items_of(session: Session, report_id: int) -> list[ReportItem]:
    """The report's items in the pledge's order (ids follow creation)."""
    return list(
        session.exec(select(ReportItem).where(ReportItem.report_id == report_id).order_by(col(ReportItem.id)))
    )


def latest(session: Session, *, campaign_id: int, organisation_id: int, cycle: int) -> Report | None:
    """The newest version of an organisation's report for a cycle."""
    return session.exec(
        select(Report)
        .where(
            Report.campaign_id == campaign_id,
            Report.organisation_id == organisation_id,
            Report.cycle == cycle,
        )
        .order_by(col(Report.version).desc())
    ).first()


def open_report(
    session: Session,
    *,
    campaign_id: int,
    organisation_id: int,
    invitation_id: int,
    cycle: int,
    period_start: datetime,
    period_end: datetime,
    due_at: datetime,
    at: datetime,
) -> Report:
    """The first draft of a cycle's report, one item per commitment (idempotent)."""
    existing = latest(session, campaign_id=campaign_id, organisation_id=organisation_id, cycle=cycle)
    if existing is not None:
        return existing
    campaign = campaigns.get_or_raise(session, campaign_id)
    pledge = campaigns.launched_pledge(session, campaign)
    report = Report(
        campaign_id=campaign_id,
        organisation_id=organisation_id,
        invitation_id=invitation_id,
        cycle=cycle,
        period_start=period_start,
        period_end=period_end,
        due_at=due_at,
        opened_at=at,
    )
    session.add(report)
    session.flush()
    session.add_all(
        ReportItem(report_id=report.id or 0, commitment_key=c.key) for c in pledge.commitment_models()
    )
    audit.append(
        session,
        kind="report.requested",
        campaign_id=campaign_id,
        subject=f"report:{report.id}",
        data={"organisation_id": organisation_id, "cycle": cycle, "due_at": due_at.isoformat()},
        at=at,
    )
    return report


def _require_draft(report: Report) -> None:
    if report.status is not ReportStatus.draft:
        raise Conflict(
            f"report {report.id} version {report.version} is {report.status.value} and locked",
            errors=[
                FieldProblem("status", "a submitted report cannot change; a sent-back one has a new version")
            ],
        )


@dataclass
class ItemInput:
    """What the form sends for one commitment."""

    status: ItemStatus | None
    narrative: str
    links: list[str]


def save_draft(session: Session, *, report: Report, items: dict[str, ItemInput], actor: str) -> Report:
    """Save what was entered; statuses may still be missing (they are checked on submission)."""
    _require_draft(report)
    known = {item.commitment_key: item for item in items_of(session, report.id or 0)}
    unknown = sorted(set(items) - set(known))
    if unknown:
        raise InvalidInput(
            f"unknown commitments: {', '.join(unknown)}",
            errors=[FieldProblem(f"items.{key}", "not a commitment of this pledge") for key in unknown],
        )
    bad_links = [
        FieldProblem(f"items.{key}.links", f"'{link}' is not an http(s) link")
        for key, entry in items.items()
        for link in entry.links
        if not link.startswith(("http://", "https://"))
    ]
    if bad_links:
        raise InvalidInput(bad_links[0].reason, errors=bad_links)
    for key, entry in items.items():
        item = known[key]
        item.status = entry.status
        item.narrative = entry.narrative.strip()[:20000]
        item.links = "\n".join(link.strip() for link in entry.links if link.strip())[:4000]
        session.add(item)
    session.flush()
    return report


class EvidenceRefused(InvalidInput):
    """An upload that is too large or of a type the campaign does not accept."""


class EvidenceTypeRefused(EvidenceRefused):
    """An upload whose content is of a type the campaign does not accept (whatever it claimed)."""

    def __init__(self, detail: str, *, media_type: str, errors: list[FieldProblem]) -> None:
        super().__init__(detail, errors=errors)
        self.media_type = media_type


class EvidenceTooLarge(EvidenceRefused):
    """An upload over the campaign's size limit (judged before the file is read)."""

    def __init__(self, detail: str, *, size: int, errors: list[FieldProblem]) -> None:
        super().__init__(detail, errors=errors)
        self.size = size


def check_size(filename: str, size: int, *, settings: ReviewSettings, commitment_key: str) -> None:
    """Refuse a file over the campaign's limit, from its size alone (EvidenceTooLarge)."""
    limit_mb = settings.template.max_file_mb
    if size > limit_mb * 1024 * 1024:
        raise EvidenceTooLarge(
            f"{filename} is {size / 1048576:.1f} MB; the limit is {limit_mb} MB",
            size=size,
            errors=[FieldProblem(f"items.{commitment_key}.files", "file too large")],
        )


def add_evidence(
    session: Session,
    *,
    report: Report,
    commitment_key: str,
    filename: str,
    content_type: str,
    data: bytes,
    settings: ReviewSettings,
    storage: Path,
    actor: str,
) -> Evidence:
    """Store a file by its SHA-256 after checking its size and the type its content shows.

    `content_type` is what the client declared: it is kept only to tell text/csv from text/plain.
    The stored type is the sniffed one, so a download is never served as what the uploader claimed.
    """
    _require_draft(report)
    field = f"items.{commitment_key}.files"
    check_size(filename, len(data), settings=settings, commitment_key=commitment_key)
    if not data:
        raise EvidenceRefused(f"{filename} is empty", errors=[FieldProblem(field, "empty file")])
    media_type = evidence_types.sniff(data, declared=content_type)
    if media_type not in settings.template.allowed_types:
        claimed = f" (declared {content_type})" if content_type and content_type != media_type else ""
        raise EvidenceTypeRefused(
            f"{filename} is {media_type}{claimed}; accepted: {', '.join(settings.template.allowed_types)}",
            media_type=media_type,
            errors=[FieldProblem(field, f"content of type {media_type}{claimed} is not accepted")],
        )
    digest = hashlib.sha256(data).hexdigest()
    path = storage / digest[:2] / digest
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    evidence = Evidence(
        report_id=report.id or 0,
        commitment_key=commitment_key,
        filename=Path(filename).name[:255] or "evidence",
        content_type=media_type,
        size=len(data),
        sha256=digest,
    )
    session.add(evidence)
    session.flush()
    audit.append(
        session,
        kind="report.evidence_added",
        actor=actor,
        campaign_id=report.campaign_id,
        subject=f"report:{report.id}",
        data={
            "commitment": commitment_key,
            "sha256": digest,
            "size": len(data),
            "filename": evidence.filename,
        },
    )
    return evidence


def evidence_path(storage: Path, sha256: str) -> Path:
    """Where an evidence file is kept."""
    return storage / sha256[:2] / sha256


def submit(session: Session, *, report: Report, at: datetime, actor: str) -> Report:
    """Lock this version for review; every commitment needs a status (idempotent once locked)."""
    if report.status is ReportStatus.submitted:
        return report
    _require_draft(report)
    missing = [item.commitment_key for item in items_of(session, report.id or 0) if item.status is None]
    if missing:
        raise InvalidInput(
            f"choose a status for every commitment; missing: {', '.join(missing)}",
            errors=[FieldProblem(f"items.{key}.status", "a status is required") for key in missing],
        )
    report.status = ReportStatus.submitted
    report.submitted_at = at
    report.on_time = at <= report.due_at
    session.add(report)
    audit.append(
        session,
        kind="report.submitted",
        actor=actor,
        campaign_id=report.campaign_id,
        subject=f"report:{report.id}",
        data={"cycle": report.cycle, "version": report.version, "on_time": report.on_time},
        at=at,
    )
    return report


def require_reviewer(session: Session, report: Report, reviewer_email: str) -> None:
    """Only the campaign's reviewers decide on its reports."""
    campaign = campaigns.get_or_raise(session, report.campaign_id)
    allowed = {str(e).lower() for e in settings_of(campaign).reviewers}
    if reviewer_email.lower() not in allowed:
        raise Forbidden(
            f"{reviewer_email} is not a reviewer of campaign {report.campaign_id}",
            errors=[FieldProblem("reviewer", "not assigned to this report")],
        )


def decide(
    session: Session,
    *,
    report: Report,
    accept: bool,
    comments: dict[str, str],
    note: str,
    reviewer_email: str,
    at: datetime,
) -> Report:
    """Accept, or send back with comments per commitment (a new draft version follows)."""
    require_reviewer(session, report, reviewer_email)
    if report.status in (ReportStatus.accepted, ReportStatus.sent_back) and report.decided_by:
        if report.decided_by == reviewer_email.lower() and (report.status is ReportStatus.accepted) == accept:
            return report  # replayed
        raise Conflict(f"report {report.id} was already decided by {report.decided_by}")
    if report.status is not ReportStatus.submitted:
        raise Conflict(f"report {report.id} is {report.status.value}: only a submitted report is decided")
    items = {item.commitment_key: item for item in items_of(session, report.id or 0)}
    unknown = sorted(set(comments) - set(items))
    if unknown:
        raise InvalidInput(
            f"unknown commitments: {', '.join(unknown)}",
            errors=[FieldProblem(f"comments.{k}", "not a commitment of this pledge") for k in unknown],
        )
    if not accept and not (note.strip() or any(c.strip() for c in comments.values())):
        raise InvalidInput.for_field("comments", "say what needs revising when sending a report back")
    for key, comment in comments.items():
        items[key].reviewer_comment = comment.strip() or None
        session.add(items[key])
    report.status = ReportStatus.accepted if accept else ReportStatus.sent_back
    report.decided_at = at
    report.decided_by = reviewer_email.lower()
    report.decision_note = note.strip() or None
    session.add(report)
    audit.append(
        session,
        kind="report.accepted" if accept else "report.sent_back",
        actor=f"reviewer:{reviewer_email.lower()}",
        campaign_id=report.campaign_id,
        subject=f"report:{report.id}",
        data={"cycle": report.cycle, "version": report.version, "comments": comments, "note": note},
        at=at,
    )
    return report


def new_version(session: Session, *, report: Report, due_at: datetime, at: datetime) -> Report:
    """The draft that revises a sent-back report: its answers and evidence carried over (idempotent)."""
    current = latest(
        session, campaign_id=report.campaign_id, organisation_id=report.organisation_id, cycle=report.cycle
    )
    if current is not None and current.version > report.version:
        return current
    revision = Report(
        campaign_id=report.campaign_id,
        organisation_id=report.organisation_id,
        invitation_id=report.invitation_id,
        cycle=report.cycle,
        version=report.version + 1,
        period_start=report.period_start,
        period_end=report.period_end,
        due_at=due_at,
        opened_at=at,
    )
    session.add(revision)
    session.flush()
    for item in items_of(session, report.id or 0):
        session.add(
            ReportItem(
                report_id=revision.id or 0,
                commitment_key=item.commitment_key,
                status=item.status,
                narrative=item.narrative,
                links=item.links,
            )
        )
    for evidence in session.exec(select(Evidence).where(Evidence.report_id == report.id)).all():
        session.add(
            Evidence(
                report_id=revision.id or 0,
                commitment_key=evidence.commitment_key,
                filename=evidence.filename,
                content_type=evidence.content_type,
                size=evidence.size,
                sha256=evidence.sha256,
                uploaded_at=evidence.uploaded_at,
            )
        )
    session.flush()
    return revision


def standing_of(session: Session, *, campaign_id: int, organisation_id: int) -> Standing:
    """A signatory's current standing (good until a cycle says otherwise)."""
    row = session.exec(
        select(SignatoryStanding).where(
            SignatoryStanding.campaign_id == campaign_id, SignatoryStanding.organisation_id == organisation_id
        )
    ).first()
    return row.standing if row else Standing.good


def set_standing(
    session: Session, *, campaign_id: int, organisation_id: int, standing: Standing, reason: str, at: datetime
) -> bool:
    """Record a new standing; False when it was already that (a replayed activity)."""
    row = session.exec(
        select(SignatoryStanding).where(
            SignatoryStanding.campaign_id == campaign_id, SignatoryStanding.organisation_id == organisation_id
        )
    ).first()
    previous = row.standing if row else Standing.good
    if previous is standing:
        return False
    if row is None:
        row = SignatoryStanding(campaign_id=campaign_id, organisation_id=organisation_id)
    row.standing = standing
    row.since = at
    session.add(row)
    audit.append(
        session,
        kind="standing.changed",
        campaign_id=campaign_id,
        subject=f"organisation:{organisation_id}",
        data={"from": previous.value, "to": standing.value, "reason": reason},
        at=at,
    )
    return True


def public_view(session: Session, report: Report) -> ReportPublic:
    """The report with its items, links and evidence."""
    organisation = session.get(Organisation, report.organisation_id)
    evidence = session.exec(
        select(Evidence).where(Evidence.report_id == report.id).order_by(col(Evidence.id))
    ).all()
    return ReportPublic(
        **report.model_dump(exclude={"invitation_id", "opened_at"}),
        organisation_name=organisation.name if organisation else "",
        items=[
            ReportItemPublic(
                commitment_key=item.commitment_key,
                status=item.status,
                narrative=item.narrative,
                links=[line for line in item.links.splitlines() if line],
                reviewer_comment=item.reviewer_comment,
                evidence=[
                    EvidencePublic(
                        id=e.id or 0,
                        filename=e.filename,
                        content_type=e.content_type,
                        size=e.size,
                        sha256=e.sha256,
                    )
                    for e in evidence
                    if e.commitment_key == item.commitment_key
                ],
            )
            for item in items_of(session, report.id or 0)
        ],
    )
