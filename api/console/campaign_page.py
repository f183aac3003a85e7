"""One campaign: a draft's checklist, or a launched campaign's live view and its invitations.

The live parts (quorum bars, funnel, signatures over time) are one fragment, `_live.html`, that
htmx reloads every few seconds from /live; without JavaScript the page is complete on load.
Quorum comes from the campaign workflow's query (what the API's progress endpoint uses); the
rest from the records, through services/campaign_progress.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import Response

from api.console import charts
from api.console.flash import Sentence, ngettext, sentence
from api.console.signed_in import ConsoleDep, Staff, StaffDep
from api.console.tables import download
from api.deps import ContextDep, RecordId, SessionDep, campaign_for
from models.campaign import Campaign, CampaignStatus
from models.invitation import InvitationStatus
from pledgeflow.errors import PledgeflowError
from pledgeflow.i18n import N_
from services import campaign_progress, campaigns, quorum_sentence
from services.campaign_progress import InvitationFilter
from workflows import client as workflow_client
from workflows.campaign_messages import CampaignProgress

router = APIRouter(prefix="/console/campaigns", include_in_schema=False)
LIVE = (CampaignStatus.launched, CampaignStatus.in_force)


@dataclass(frozen=True)
class GroupView:
    """A group's quorum as the page shows it."""

    name: str
    rule: str
    members: int
    signed: int
    target: int
    met: bool
    impossible: bool
    required: list[str]
    bar: charts.QuorumBar


def _filter(request: Request) -> InvitationFilter:
    q = request.query_params
    status = q.get("status", "")
    return InvitationFilter(
        status=status if status in InvitationStatus.__members__ else "",
        group=q.get("group", "")[:120],
        country=q.get("country", "")[:2],
    )


def _draft_steps(session: Session, campaign: Campaign) -> list[tuple[str, str, bool, Sentence]]:
    """(label msgid, url, done, what is set) for each set-up step; the page translates them."""
    base = f"/console/campaigns/{campaign.id}"
    pledge = campaigns.current_pledge(session, campaign.id or 0)
    invited = campaigns.count_invitations(session, campaign.id or 0)
    groups = campaign_progress.groups_of(campaign)
    deadline = campaign.signature_deadline
    details = (
        sentence(
            N_("%(title)s, %(region)s, deadline %(deadline)s"),
            title=campaign.title,
            region=campaign.region,
            deadline=deadline,
        )
        if deadline
        else Sentence(
            N_("%(title)s, %(region)s, deadline not set"),
            {"title": campaign.title, "region": campaign.region},
        )
    )
    return [
        (N_("Details"), f"{base}/edit/details", bool(deadline), details),
        (
            N_("Pledge"),
            f"{base}/edit/pledge",
            pledge is not None,
            Sentence(N_("version %(version)s"), {"version": str(pledge.version)})
            if pledge
            else Sentence(N_("no pledge yet")),
        ),
        (
            N_("Groups and quorum"),
            f"{base}/edit/groups",
            True,
            ngettext("%(num)s group", "%(num)s groups", len(groups)).sentences[0]
            if groups
            else Sentence(N_("no groups: everyone invited must sign")),
        ),
        (
            N_("Chasing"),
            f"{base}/edit/chasing",
            True,
            Sentence(N_("custom plan") if campaign.policy else N_("the default plan")),
        ),
        (
            N_("Reviews"),
            f"{base}/edit/reviews",
            True,
            Sentence(N_("set") if campaign.review else N_("the default cadence")),
        ),
        (
            N_("Invitees"),
            f"{base}/invitees",
            invited > 0,
            ngettext("%(num)s organisation", "%(num)s organisations", invited).sentences[0]
            if invited
            else Sentence(N_("none chosen")),
        ),
        (N_("Launch"), f"{base}/launch", False, Sentence(N_("not launched"))),
    ]


async def _workflow_progress(context: Any, campaign_id: int) -> CampaignProgress | None:
    try:
        return await workflow_client.campaign_progress(await context.temporal(), campaign_id)
    except PledgeflowError:
        return None  # the page still shows the records; the fragment says the quorum is unknown


def _groups(
    session: Session, campaign: Campaign, progress: CampaignProgress | None
) -> tuple[str, list[GroupView]]:
    """The quorum as one sentence, and each group's bar with its rule in words."""
    defined = {g.name: g for g in campaign_progress.groups_of(campaign)}
    named = {i for g in defined.values() for i in [*g.required, *g.organisation_ids]}
    names = campaign_progress.organisation_names(session, sorted(named))
    groups = progress.groups if progress else []
    sizes = {group.name: group.members for group in groups}
    sentence = quorum_sentence.in_force_sentence(list(defined.values()), names, sizes)
    views = []
    for group in groups:
        rule = defined.get(group.name)
        views.append(
            GroupView(
                name=group.name,
                rule=quorum_sentence.describe_group(rule, names, group.members) if rule else group.rule,
                members=group.members,
                signed=group.signed,
                target=group.target,
                met=group.met,
                impossible=group.impossible,
                required=[names.get(i, f"#{i}") for i in (rule.required if rule else [])],
                bar=charts.quorum_bar(group.signed, group.target, group.members),
            )
        )
    return sentence, views


async def _live(session: Session, campaign: Campaign, context: Any) -> dict[str, Any]:
    progress = await _workflow_progress(context, campaign.id or 0)
    per_day = campaign_progress.signatures_per_day(session, campaign)
    in_force_when, groups = _groups(session, campaign, progress)
    return {
        "progress": progress,
        "in_force_when": in_force_when,
        "groups": groups,
        "funnel": campaign_progress.funnel(session, campaign.id or 0),
        "per_day": per_day,
        "steps": charts.cumulative_steps(per_day),
        "chart": charts,
    }


@router.get("/{campaign_id}")
async def campaign_page(
    campaign_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: StaffDep,
    context: ContextDep,
) -> Response:
    """A draft's set-up checklist, or the live campaign with its invitations."""
    campaign = campaign_for(session, staff.user, campaign_id)
    writable = _writable(session, staff, campaign_id)
    if campaign.status is CampaignStatus.draft:
        return tools.renderer.render(
            request,
            "console/campaigns/page.html",
            staff=staff,
            campaign=campaign,
            writable=writable,
            steps=_draft_steps(session, campaign),
            live=None,
        )
    chosen = _filter(request)
    return tools.renderer.render(
        request,
        "console/campaigns/page.html",
        staff=staff,
        campaign=campaign,
        writable=writable and campaign.status in LIVE,
        steps=[],
        live=await _live(session, campaign, context),
        rows=campaign_progress.invitation_rows(session, campaign, chosen),
        chosen=chosen,
        statuses=[s.value for s in InvitationStatus],
        group_names=[g.name for g in campaign_progress.groups_of(campaign)],
        countries=campaign_progress.countries(session, campaign_id),
    )


@router.get("/{campaign_id}/live")
async def campaign_live(
    campaign_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: StaffDep,
    context: ContextDep,
) -> Response:
    """The live fragment alone (htmx polls it)."""
    campaign = campaign_for(session, staff.user, campaign_id)
    return tools.renderer.render(
        request,
        "console/campaigns/_live.html",
        staff=staff,
        campaign=campaign,
        live=await _live(session, campaign, context),
    )


@router.get("/{campaign_id}/invitations.{kind}")
def invitations_download(
    campaign_id: RecordId,
    kind: Literal["csv", "xlsx"],
    request: Request,
    session: SessionDep,
    staff: StaffDep,
) -> Response:
    """The invitations table as CSV or an Excel workbook, with the page's filters; cells a
    spreadsheet would run are quoted."""
    campaign = campaign_for(session, staff.user, campaign_id)
    rows = [
        campaign_progress.export_cells(row)
        for row in campaign_progress.invitation_rows(session, campaign, _filter(request))
    ]
    return download(
        f"campaign-{campaign_id}-invitations",
        campaign_progress.EXPORT_HEADER,
        rows,
        as_xlsx=kind == "xlsx",
        sheet_title="Invitations",
    )


def _writable(session: Session, staff: Staff, campaign_id: int) -> bool:
    """Whether this person may act on the campaign (writers on their own or shared campaigns)."""
    if not staff.can_write:
        return False
    try:
        campaign_for(session, staff.user, campaign_id, write=True)
    except PledgeflowError:
        return False
    return True
