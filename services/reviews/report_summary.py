"""What a cycle's reports add up to: per organisation, per commitment and per Arusha key factor.

`summarise` and `to_csv` are pure functions over the records; `summary` reads the records they
need, so the API and the command line give the same answers.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, func, select

from models.arusha import ArushaFactor
from models.campaign import Campaign
from models.commitment import Commitment
from models.organisation import Organisation
from models.report import ItemStatus, Report, ReportItem, ReportStatus, SignatoryStanding, Standing
from models.signature import Signature
from services import campaigns
from services.imports.formulas import SafeCsvWriter

NO_REPORT = "none"


@dataclass
class CommitmentInfo:
    key: str
    text: str
    factors: list[str]


@dataclass
class OrganisationSummary:
    organisation_id: int
    organisation_name: str
    report_id: int | None
    version: int | None
    reported: bool  # at least one version was submitted in this cycle
    on_time: bool | None  # of the first submission; None while nothing was submitted
    submitted_at: datetime | None  # of the first submission
    status: str  # accepted, sent_back, submitted, draft or none
    standing: str
    commitments: dict[str, str | None]  # commitment key -> item status of the latest version


@dataclass
class FactorCounts:
    factor: str
    number: int
    label: str
    implemented: int = 0
    in_progress: int = 0
    not_started: int = 0
    not_applicable: int = 0


@dataclass
class ReportSummary:
    campaign_id: int
    cycle: int | None
    commitments: list[CommitmentInfo]
    organisations: list[OrganisationSummary]
    factors: list[FactorCounts]
    expected: int = 0
    reported: int = 0
    on_time: int = 0
    late: int = 0
    accepted: int = 0


@dataclass
class StandingEntry:
    organisation_id: int
    organisation_name: str
    standing: str
    since: datetime | None = None
    withdrawn: bool = False


@dataclass
class SummaryRecords:
    """The records one summary is computed from."""

    campaign_id: int
    cycle: int | None
    commitments: list[Commitment]
    organisations: dict[int, str]  # id -> name: signatories and whoever reported
    versions: list[Report]  # every version of every report of the cycle
    items: dict[int, list[ReportItem]]  # report id -> items
    standings: dict[int, Standing] = field(default_factory=dict)


def report_status(latest: Report | None) -> str:
    """How the summary names where an organisation's report is."""
    if latest is None:
        return NO_REPORT
    if latest.status is ReportStatus.draft:
        # A draft after version 1 is the revision of a report sent back.
        return ReportStatus.sent_back.value if latest.version > 1 else ReportStatus.draft.value
    return latest.status.value


def summarise(records: SummaryRecords) -> ReportSummary:
    """The summary of one cycle; factor counts cover the latest versions of reports that were made
    (a first draft never submitted is not counted)."""
    by_org: dict[int, list[Report]] = defaultdict(list)
    for report in records.versions:
        by_org[report.organisation_id].append(report)
    factors = {f: FactorCounts(factor=f.value, number=f.number, label=f.label) for f in ArushaFactor}
    commitment_factors = {c.key: c.factors for c in records.commitments}
    organisations: list[OrganisationSummary] = []
    for org_id, name in sorted(records.organisations.items(), key=lambda pair: (pair[1].lower(), pair[0])):
        versions = sorted(by_org.get(org_id, []), key=lambda r: r.version)
        latest = versions[-1] if versions else None
        submitted = [r for r in versions if r.submitted_at is not None]
        first = submitted[0] if submitted else None
        statuses = (
            {item.commitment_key: item.status for item in records.items.get(latest.id or 0, [])}
            if latest
            else {}
        )
        organisations.append(
            OrganisationSummary(
                organisation_id=org_id,
                organisation_name=name,
                report_id=latest.id if latest else None,
                version=latest.version if latest else None,
                reported=first is not None,
                on_time=first.on_time if first else None,
                submitted_at=first.submitted_at if first else None,
                status=report_status(latest),
                standing=records.standings.get(org_id, Standing.good).value,
                commitments={c.key: _value(statuses.get(c.key)) for c in records.commitments},
            )
        )
        if first is None:
            continue
        for key, status in statuses.items():
            if status is None:
                continue
            for factor in commitment_factors.get(key, []):
                counts = factors[factor]
                setattr(counts, status.value, getattr(counts, status.value) + 1)
    return ReportSummary(
        campaign_id=records.campaign_id,
        cycle=records.cycle,
        commitments=[
            CommitmentInfo(key=c.key, text=c.text, factors=[f.value for f in c.factors])
            for c in records.commitments
        ],
        organisations=organisations,
        factors=list(factors.values()),
        expected=len(organisations),
        reported=sum(1 for o in organisations if o.reported),
        on_time=sum(1 for o in organisations if o.on_time is True),
        late=sum(1 for o in organisations if o.on_time is False),
        accepted=sum(1 for o in organisations if o.status == ReportStatus.accepted.value),
    )


def _value(status: ItemStatus | None) -> str | None:
    return status.value if status is not None else None


def timeliness(organisation: OrganisationSummary) -> str:
    """'on_time', 'late', or '' while nothing was submitted."""
    if organisation.on_time is None:
        return ""
    return "on_time" if organisation.on_time else "late"


CSV_COLUMNS = [
    "campaign_id",
    "cycle",
    "organisation_id",
    "organisation",
    "reported",
    "timeliness",
    "report_status",
    "version",
    "submitted_at",
    "standing",
    "commitment",
    "commitment_text",
    "factors",
    "item_status",
]


def to_csv(summary: ReportSummary) -> str:
    """One row per organisation and commitment, with the commitment's Arusha key factors.

    Organisation names and commitment texts come from users: a cell a spreadsheet would run as a
    formula is written as text (see services.imports.formulas).
    """
    out = io.StringIO()
    writer = SafeCsvWriter(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for org in summary.organisations:
        for commitment in summary.commitments:
            writer.writerow(
                [
                    summary.campaign_id,
                    summary.cycle or "",
                    org.organisation_id,
                    org.organisation_name,
                    "yes" if org.reported else "no",
                    timeliness(org),
                    org.status,
                    org.version or "",
                    org.submitted_at.isoformat(timespec="seconds") if org.submitted_at else "",
                    org.standing,
                    commitment.key,
                    commitment.text,
                    "; ".join(ArushaFactor(f).label for f in commitment.factors),
                    org.commitments.get(commitment.key) or "",
                ]
            )
    return out.getvalue()


# ---- reading the records ----------------------------------------------------------------------


def current_cycle(session: Session, campaign_id: int) -> int | None:
    """The newest cycle any report of the campaign belongs to."""
    value = session.exec(select(func.max(Report.cycle)).where(Report.campaign_id == campaign_id)).one()
    return int(value) if value is not None else None


def latest_reports(session: Session, *, campaign_id: int, cycle: int) -> list[Report]:
    """The newest version of each organisation's report for a cycle."""
    rows = session.exec(
        select(Report)
        .where(Report.campaign_id == campaign_id, Report.cycle == cycle)
        .order_by(col(Report.organisation_id), col(Report.version).desc())
    ).all()
    newest: dict[int, Report] = {}
    for report in rows:
        newest.setdefault(report.organisation_id, report)
    return list(newest.values())


def _standings(session: Session, campaign_id: int) -> dict[int, SignatoryStanding]:
    rows = session.exec(select(SignatoryStanding).where(SignatoryStanding.campaign_id == campaign_id)).all()
    return {row.organisation_id: row for row in rows}


def _signatories(session: Session, campaign_id: int) -> dict[int, tuple[str, bool]]:
    """Organisations that signed: id -> (name, withdrawn)."""
    rows = session.exec(
        select(Signature, Organisation)
        .join(Organisation, col(Organisation.id) == Signature.organisation_id)
        .where(Signature.campaign_id == campaign_id)
    ).all()
    return {org.id or 0: (org.name, sig.withdrawn_at is not None) for sig, org in rows}


def records_for(session: Session, campaign: Campaign, cycle: int | None = None) -> SummaryRecords:
    """The records of one cycle (the newest when not given)."""
    campaign_id = campaign.id or 0
    cycle = cycle if cycle is not None else current_cycle(session, campaign_id)
    versions = (
        list(
            session.exec(select(Report).where(Report.campaign_id == campaign_id, Report.cycle == cycle)).all()
        )
        if cycle is not None
        else []
    )
    items: dict[int, list[ReportItem]] = defaultdict(list)
    if versions:
        for item in session.exec(
            select(ReportItem)
            .where(col(ReportItem.report_id).in_([r.id for r in versions]))
            .order_by(col(ReportItem.id))
        ).all():
            items[item.report_id].append(item)
    organisations = {
        org_id: name
        for org_id, (name, withdrawn) in _signatories(session, campaign_id).items()
        if not withdrawn
    }
    missing = {r.organisation_id for r in versions} - set(organisations)
    if missing:
        for org in session.exec(select(Organisation).where(col(Organisation.id).in_(missing))).all():
            organisations[org.id or 0] = org.name
    return SummaryRecords(
        campaign_id=campaign_id,
        cycle=cycle,
        commitments=campaigns.launched_pledge(session, campaign).commitment_models(),
        organisations=organisations,
        versions=versions,
        items=dict(items),
        standings={org_id: row.standing for org_id, row in _standings(session, campaign_id).items()},
    )


def summary(session: Session, campaign: Campaign, cycle: int | None = None) -> ReportSummary:
    """The summary of one cycle of the campaign's reports (the newest cycle when not given)."""
    return summarise(records_for(session, campaign, cycle))


def standings(session: Session, campaign_id: int) -> list[StandingEntry]:
    """Every signatory's standing (good until a cycle says otherwise), by organisation name."""
    rows = _standings(session, campaign_id)
    entries = [
        StandingEntry(
            organisation_id=org_id,
            organisation_name=name,
            standing=(rows[org_id].standing if org_id in rows else Standing.good).value,
            since=rows[org_id].since if org_id in rows else None,
            withdrawn=withdrawn,
        )
        for org_id, (name, withdrawn) in _signatories(session, campaign_id).items()
    ]
    return sorted(entries, key=lambda e: (e.organisation_name.lower(), e.organisation_id))
