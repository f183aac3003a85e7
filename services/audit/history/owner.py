"""Which campaign a workflow belongs to, read from its id (the shapes workflows/ids.py builds).

Only the campaign-scoped kinds name a campaign: "campaign-12", "pledge-12-7" and "review-12-7-2"
belong to campaign 12. Any other id belongs to no campaign, even when a number follows its
kind: "audit-checkpoint-2026-12-01T09:00:00Z" is the audit checkpoint, not campaign 2026.
Access checks use this to show a coordinator only the histories of campaigns they can see, so
a new campaign-scoped kind must be added here, and everything else stays for auditors.
"""

from __future__ import annotations

import re

# One pattern per builder in workflows/ids.py; the campaign is always the first number.
_CAMPAIGN_SCOPED = (
    re.compile(r"campaign-(?P<campaign_id>[0-9]+)"),  # campaign_workflow_id
    re.compile(r"pledge-(?P<campaign_id>[0-9]+)-[0-9]+"),  # pledge_workflow_id
    re.compile(r"review-(?P<campaign_id>[0-9]+)-[0-9]+-[0-9]+"),  # review_workflow_id
)


_LARGEST_ID = 2**63 - 1  # no table holds a larger id; a bigger number would overflow the query


def campaign_of(workflow_id: str) -> int | None:
    """The campaign id in a campaign-scoped workflow id, or None when the id names no campaign."""
    for pattern in _CAMPAIGN_SCOPED:
        found = pattern.fullmatch(workflow_id)
        if found:
            campaign_id = int(found.group("campaign_id"))
            return campaign_id if campaign_id <= _LARGEST_ID else None
    return None
