"""Which campaign a workflow belongs to, read from its id (workflows/ids.py puts the campaign first).

"campaign-12" and "pledge-12-7" belong to campaign 12; so will any later id that follows the same
rule ("<kind>-<campaign>-..."). Access checks use this to show a coordinator only the histories
of campaigns they can see.
"""

from __future__ import annotations

import re

_WORKFLOW_ID = re.compile(
    r"^[a-z][a-z0-9_]*(?:-[a-z][a-z0-9_]*)*-(?P<campaign_id>\d+)(?:-[A-Za-z0-9_.:-]+)?$"
)


def campaign_of(workflow_id: str) -> int | None:
    """The campaign id in a workflow id, or None when the id does not name one."""
    found = _WORKFLOW_ID.match(workflow_id)
    return int(found.group("campaign_id")) if found else None
