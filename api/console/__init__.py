"""The console: server-rendered pages for coordinators, reviewers, auditors and admins.

Each module is one part of the console with its own router; `ROUTERS` is the order they are
mounted in (a fixed path like /console/campaigns/new before /console/campaigns/{id}).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.console import (
    campaign_actions,
    campaign_form,
    campaign_page,
    campaigns_list,
    escalations,
    invitees,
    language_switch,
    launch,
    people,
    plans,
    programmes,
    reports_summary,
    review_queue,
    sharing,
    sign_in,
    tokens,
)

ROUTERS: list[APIRouter] = [
    sign_in.router,
    language_switch.router,
    campaigns_list.router,
    # /console/campaigns/new before the routes that read /console/campaigns/{id}.
    campaign_form.router,
    sharing.router,
    invitees.router,
    launch.router,
    reports_summary.router,
    campaign_actions.router,
    campaign_page.router,
    escalations.router,
    plans.router,
    programmes.router,
    review_queue.router,
    people.router,
    tokens.router,
]
