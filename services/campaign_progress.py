"""Where a campaign stands, from the records: the list's counts, the funnel, signatures per day and
the invitations table (one query per figure, never one per invitation)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func
from sqlmodel import Session, col, select

from models.campaign import Campaign
from models.contact import Contact
from models.email_message import EmailKind, EmailMessage, EmailStatus
from models.invitation import Invitation, InvitationStatus
from models.organisation import Organisation
from models.quorum import StakeholderGroup
from models.signature import Signature

ANSWERED = (InvitationStatus.signed, InvitationStatus.declined, InvitationStatus.delegated)


@dataclass
class Tally:
    """A campaign's invitations by status (the list's columns)."""

    invited: int = 0
    signed: int = 0
    declined: int = 0


@dataclass
class Funnel:
    """Invited → delivered → opened → answered (signed, declined, handed over)."""

    invited: int = 0
    delivered: int = 0
    opened: int = 0
    signed: int = 0
    declined: int = 0
    handed_over: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass
class InvitationRow:
    """One row of the invitations table (and of its CSV/XLSX download)."""

    id: int
    organisation: str
    organisation_id: int
    kind: str
    country: str
    contact: str
    email: str
    status: InvitationStatus
    groups: list[str]
    sent_at: datetime | None
    opened_at: datetime | None
    responded_at: datetime | None
    deadline: date | None


@dataclass
class InvitationFilter:
    """The table's filters, from the page's query string (empty: any)."""

    status: str = ""
    group: str = ""
    country: str = ""

    def query(self) -> str:
        """The same filters as a query string (for the download links)."""
        pairs = [
            (k, v)
            for k, v in (("status", self.status), ("group", self.group), ("country", self.country))
            if v
        ]
        return "&".join(f"{k}={v}" for k, v in pairs)


def groups_of(campaign: Campaign) -> list[StakeholderGroup]:
    """The campaign's stakeholder groups as defined."""
    return [StakeholderGroup.model_validate(g) for g in campaign.quorum]


def tallies(session: Session, campaign_ids: list[int]) -> dict[int, Tally]:
    """Invited / signed / declined per campaign, in one grouped query."""
    if not campaign_ids:
        return {}
    rows = session.exec(
        select(Invitation.campaign_id, Invitation.status, func.count())
        .where(col(Invitation.campaign_id).in_(campaign_ids))
        .where(Invitation.status != InvitationStatus.pending)
        .group_by(col(Invitation.campaign_id), col(Invitation.status))
    ).all()
    found: dict[int, Tally] = {cid: Tally() for cid in campaign_ids}
    for campaign_id, status, count in rows:
        tally = found[campaign_id]
        if status is not InvitationStatus.cancelled:
            tally.invited += count
        if status is InvitationStatus.signed:
            tally.signed += count
        elif status is InvitationStatus.declined:
            tally.declined += count
    return found


def funnel(session: Session, campaign_id: int) -> Funnel:
    """The funnel: counts by status, emails the SMTP server accepted, first openings."""
    by_status = dict(
        session.exec(
            select(Invitation.status, func.count())
            .where(Invitation.campaign_id == campaign_id)
            .group_by(col(Invitation.status))
        ).all()
    )
    delivered = session.exec(
        select(func.count(distinct(col(EmailMessage.invitation_id))))
        .where(EmailMessage.campaign_id == campaign_id)
        .where(EmailMessage.kind == EmailKind.invitation.value)
        .where(EmailMessage.status == EmailStatus.accepted)
    ).one()
    opened = session.exec(
        select(func.count())
        .select_from(Invitation)
        .where(Invitation.campaign_id == campaign_id)
        .where(col(Invitation.opened_at).is_not(None))
    ).one()
    not_invited = by_status.get(InvitationStatus.pending, 0) + by_status.get(InvitationStatus.cancelled, 0)
    return Funnel(
        invited=sum(by_status.values()) - not_invited,
        delivered=delivered,
        opened=opened,
        signed=by_status.get(InvitationStatus.signed, 0),
        declined=by_status.get(InvitationStatus.declined, 0),
        handed_over=by_status.get(InvitationStatus.delegated, 0),
        by_status={str(s): n for s, n in sorted(by_status.items())},
    )


def signatures_per_day(session: Session, campaign: Campaign) -> list[tuple[date, int]]:
    """Signatures (not withdrawn) per day in the campaign's time zone, oldest first."""
    moments = session.exec(
        select(Signature.signed_at)
        .where(Signature.campaign_id == campaign.id)
        .where(col(Signature.withdrawn_at).is_(None))
        .order_by(col(Signature.signed_at))
    ).all()
    zone = ZoneInfo(campaign.timezone)
    days = Counter(m.astimezone(zone).date() for m in moments)
    return sorted(days.items())


def _member(group: StakeholderGroup, organisation: Organisation) -> bool:
    if group.organisation_ids:
        return organisation.id in group.organisation_ids
    return organisation.kind in group.kinds


def invitation_rows(session: Session, campaign: Campaign, chosen: InvitationFilter) -> list[InvitationRow]:
    """The campaign's invitations with organisation, contact and groups, filtered, in id order."""
    query = (
        select(Invitation, Organisation, Contact)
        .join(Organisation, col(Organisation.id) == Invitation.organisation_id)
        .join(Contact, col(Contact.id) == Invitation.contact_id)
        .where(Invitation.campaign_id == campaign.id)
        .order_by(col(Invitation.id))
    )
    if chosen.status:
        query = query.where(Invitation.status == chosen.status)
    if chosen.country:
        query = query.where(Organisation.country == chosen.country.upper())
    groups = groups_of(campaign)
    rows = []
    for invitation, organisation, contact in session.exec(query).all():
        names = [g.name for g in groups if _member(g, organisation)]
        if chosen.group and chosen.group not in names:
            continue
        rows.append(
            InvitationRow(
                id=invitation.id or 0,
                organisation=organisation.name,
                organisation_id=organisation.id or 0,
                kind=organisation.kind.value,
                country=organisation.country,
                contact=contact.name,
                email=contact.email,
                status=invitation.status,
                groups=names,
                sent_at=invitation.sent_at,
                opened_at=invitation.opened_at,
                responded_at=invitation.responded_at,
                deadline=invitation.deadline,
            )
        )
    return rows


def countries(session: Session, campaign_id: int) -> list[str]:
    """The countries of the invited organisations (the filter's choices)."""
    return list(
        session.exec(
            select(Organisation.country)
            .distinct()
            .join(Invitation, col(Invitation.organisation_id) == Organisation.id)
            .where(Invitation.campaign_id == campaign_id)
            .order_by(col(Organisation.country))
        ).all()
    )


def organisation_names(session: Session, ids: list[int]) -> dict[int, str]:
    """Names of organisations by id (a group's required organisations)."""
    if not ids:
        return {}
    rows = session.exec(select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(ids))).all()
    return {i: n for i, n in rows if i is not None}


def open_invitation_ids(session: Session, campaign_id: int) -> list[int]:
    """Invitations that have not answered and can still be reminded."""
    ids = session.exec(
        select(Invitation.id)
        .where(Invitation.campaign_id == campaign_id)
        .where(Invitation.status == InvitationStatus.sent)
        .order_by(col(Invitation.id))
    ).all()
    return [i for i in ids if i is not None]


EXPORT_HEADER = [
    "invitation",
    "organisation",
    "kind",
    "country",
    "contact",
    "email",
    "status",
    "groups",
    "sent_at",
    "opened_at",
    "responded_at",
    "deadline",
]


def export_cells(row: InvitationRow) -> list[Any]:
    """One row of the download, in EXPORT_HEADER's order."""

    def when(value: datetime | date | None) -> str:
        return value.isoformat() if value else ""

    return [
        row.id,
        row.organisation,
        row.kind,
        row.country,
        row.contact,
        row.email,
        row.status.value,
        "; ".join(row.groups),
        when(row.sent_at),
        when(row.opened_at),
        when(row.responded_at),
        when(row.deadline),
    ]
