"""A launched campaign for the dashboard's tests: real workflows, invitations emailed to the test
mailbox, and answers given through the signing links in those emails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
from sqlmodel import col, func, select

from models.email_message import EmailKind, EmailMessage, EmailStatus
from models.invitation import Invitation
from models.organisation import OrganisationKind
from models.quorum import RuleKind, StakeholderGroup
from pledgeflow.db import session_scope
from tests import factories
from tests.factories import Seeded
from tests.helpers import csrf_from, eventually, sign_token
from workflows import client as workflow_client

KINDS = [OrganisationKind.trade_association, OrganisationKind.customs_broker]
GROUPS = [
    StakeholderGroup(
        name="Associations", kinds=[OrganisationKind.trade_association], rule=RuleKind.at_least, n=2
    ),
    StakeholderGroup(name="Brokers", kinds=[OrganisationKind.customs_broker], rule=RuleKind.all),
]


@dataclass
class Launched:
    seeded: Seeded
    tokens: list[str]  # one per invitation, in the seeded order

    @property
    def id(self) -> int:
        return self.seeded.campaign.id or 0


async def launched(
    console, mailbox, *, count: int = 5, groups: list[StakeholderGroup] | None = None, **extra: Any
) -> Launched:
    """Organisations alternate association / broker (3 and 2 of 5); all invited by the workflow.

    With `groups` None, the two groups of GROUPS; with [], everyone invited must sign.
    """
    seeded = factories.campaign_with_invitees(
        console.engine,
        count=count,
        kinds=KINDS,
        quorum=GROUPS if groups is None else groups,
        **({"deadline": date.today() + timedelta(days=30)} | extra),
    )
    campaign_id = seeded.campaign.id or 0
    factories.launch(console.engine, campaign_id)
    await workflow_client.start_campaign(console.temporal, console.settings, campaign_id)
    tokens = []
    for contact in seeded.contacts:
        [invitation] = await mailbox.wait_for_async(1, to=contact.email)
        tokens.append(sign_token(invitation))
    return Launched(seeded=seeded, tokens=tokens)


async def sign(client: httpx.AsyncClient, token: str, name: str = "Kwame Mensah") -> None:
    page = await client.get(f"/s/{token}")
    assert page.status_code == 200, page.text[:300]
    form = {
        "signer_name": name,
        "signer_title": "Director",
        "consent": "yes",
        "csrf_token": csrf_from(page.text),
    }
    answer = await client.post(f"/s/{token}/sign", data=form)
    assert answer.status_code == 200, answer.text[:300]


async def decline(client: httpx.AsyncClient, token: str) -> None:
    page = await client.get(f"/s/{token}")
    answer = await client.post(
        f"/s/{token}/decline", data={"reason": "Not us", "csrf_token": csrf_from(page.text)}
    )
    assert answer.status_code == 200, answer.text[:300]


async def progress_signed(console, campaign_id: int, signed: int) -> None:
    """Wait until the campaign workflow counts `signed` signatures."""

    async def probe() -> int:
        return (await workflow_client.campaign_progress(console.temporal, campaign_id)).signed

    await eventually(probe, lambda n: n == signed)


def db_counts(engine, campaign_id: int) -> tuple[int, int]:
    """(delivered, opened) as the records hold them."""
    with session_scope(engine) as session:
        delivered = session.exec(
            select(func.count(func.distinct(EmailMessage.invitation_id)))
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
    return delivered, opened
