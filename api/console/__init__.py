"""The console: server-rendered pages for coordinators, reviewers, auditors and admins.

Each module is one part of the console with its own router; `ROUTERS` is the order they are
mounted in (a fixed path like /console/campaigns/new before /console/campaigns/{id}).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.console import campaign_actions, campaign_page, campaigns_list, sign_in

ROUTERS: list[APIRouter] = [
    sign_in.router,
    campaigns_list.router,
    campaign_actions.router,
    campaign_page.router,
]
