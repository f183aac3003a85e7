"""Every stored history replays against the current workflow code (see docs/histories.md).

A failure here means a change to workflow code would break workflows already running: guard the
change with `workflow.patched(...)`, or, if nothing of the old shape runs anywhere any more,
record the histories again on purpose (`python -m scripts.record_histories`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import workflow

from services.audit.history.replay import replay, workflow_type_of
from services.audit.history.upload import read_history_file
from workflows.client import registered_workflows

HISTORIES = Path(__file__).parent / "histories"
STORED = sorted(HISTORIES.glob("*.json"))


def test_histories_are_stored():
    assert STORED, f"no histories in {HISTORIES}; run `python -m scripts.record_histories`"


@pytest.mark.parametrize("path", STORED, ids=[p.stem for p in STORED])
async def test_history_replays_cleanly(path: Path):
    verdict = await replay(read_history_file(path), workflows=registered_workflows())
    assert verdict.clean, (
        f"{path.name}: {verdict.describe()}. The workflow code no longer does what this history "
        "records: guard the change with workflow.patched(...), or re-record (docs/histories.md)."
    )


def test_every_workflow_type_has_a_history():
    recorded = {workflow_type_of(read_history_file(p)) for p in STORED}
    registered = {workflow._Definition.must_from_class(w).name for w in registered_workflows()}
    missing = registered - recorded
    assert not missing, (
        f"no stored history for {sorted(missing)}: add a scenario to scripts/record_histories.py"
    )
