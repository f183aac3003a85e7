"""Workflow histories for auditors: export them, replay them against the code, tell them as a timeline.

`export` fetches a workflow's runs from Temporal and writes them as the Temporal CLI does,
`upload` reads such a file back, `replay` checks a history against the current workflow code,
`timeline` turns a history into sentences (worded by `sentences`). The API (`api/audit.py`) and
the command line (`pledgeflow audit`) both use these.
"""
