"""How a verdict on the audit log's hash chain reads, the same in the API and on the command line."""

from __future__ import annotations

from services.audit import ChainVerdict


def describe(verdict: ChainVerdict) -> str:
    """'intact: 42 entries, head 42' or 'broken at entry 7: entry 7 was altered ...'."""
    if verdict.ok:
        return (
            f"intact: {verdict.entries_checked} entries, head {verdict.head_seq} ({verdict.head_hash[:12]})"
        )
    return f"broken at entry {verdict.first_bad_seq}: {verdict.problem}"
