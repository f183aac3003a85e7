"""How the timeline words each workflow, activity, email, update and signal: one table per kind.

A sentence is a format string over the decoded fields of the call (missing fields read "?") or
a function of those fields. Add a line when you add an activity, update, signal or email kind;
anything not listed still reads sensibly: its name in words and the fields that identify it
(`generic`), so a new step never breaks or hides from the timeline.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Fields = Mapping[str, Any]
Sentence = str | Callable[[Fields], str]

# Fields that identify what a call is about, shown by the generic sentence, in this order.
KEY_FIELDS = (
    "kind",
    "step",
    "event",
    "status",
    "reason",
    "level",
    "role",
    "name",
    "email",
    "signer_name",
    "deadline",
)
MAX_FIELD_CHARS = 80
MAX_KEY_FIELDS = 4

ROLES = {
    "contact": "the contact",
    "escalation_contact": "the escalation contact",
    "coordinator": "the coordinator",
    "focal_point": "the focal point",
}


class _Lenient(string.Formatter):
    """str.format that writes '?' for a field the payload does not have, instead of failing."""

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        try:
            return super().get_field(field_name, args, kwargs)
        except (KeyError, IndexError, AttributeError, TypeError, ValueError):
            return "?", field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        try:
            return str(super().format_field(value, format_spec))
        except (TypeError, ValueError):
            return str(value)


_FORMATTER = _Lenient()


def render(sentence: Sentence, fields: Fields, *, otherwise: str) -> str:
    """The sentence with the fields filled in; `otherwise` when the data does not fit it."""
    try:
        if callable(sentence):
            return sentence(fields)
        return _FORMATTER.vformat(sentence, (), fields)
    except (KeyError, IndexError, AttributeError, TypeError, ValueError):
        return otherwise


def humanize(name: str) -> str:
    """'record_signature' -> 'record signature'; 'PledgeWorkflow' -> 'pledge workflow'."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").replace("-", " ")
    return " ".join(spaced.split()).lower()


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_FIELD_CHARS else text[: MAX_FIELD_CHARS - 1] + "…"


def key_fields(fields: Fields) -> str:
    """The few scalar fields that say what a call was about: ids first, then kind, step, reason ..."""
    scalars = {k: v for k, v in fields.items() if isinstance(v, str | int | float | bool) and v != ""}
    ids = [k for k in scalars if k.endswith("_id") and k != "workflow_id"]
    named = [k for k in KEY_FIELDS if k in scalars]
    chosen = (ids + [k for k in named if k not in ids])[:MAX_KEY_FIELDS]
    return ", ".join(
        f"{k.removesuffix('_id') if k.endswith('_id') else k} {_short(scalars[k])}" for k in chosen
    )


def generic(label: str, fields: Fields) -> str:
    """'Activity “send_fax” completed (invitation 3, kind urgent)': the fallback for any name."""
    about = key_fields(fields)
    return f"{label} ({about})" if about else label


def role(value: Any) -> str:
    """A recipient role in words."""
    return ROLES.get(str(value), humanize(str(value)))


# ---- workflows ---------------------------------------------------------------------------

WORKFLOW_STARTED: dict[str, Sentence] = {
    "PledgeWorkflow": (
        "Invited: pledge opened for organisation {organisation_id} of campaign {campaign_id} "
        "(invitation {invitation_id})"
    ),
    "CampaignWorkflow": "Campaign {campaign_id} launched",
}

# Fields: the workflow's decoded result.
WORKFLOW_COMPLETED: dict[str, Sentence] = {
    "PledgeWorkflow": "Pledge workflow ended for organisation {organisation_id} (status {status})",
    "CampaignWorkflow": (
        "Campaign {campaign_id} ended ({status}): {signed} signed, {declined} declined of {invited} invited"
    ),
}

# ---- emails (the send_email activity, by kind) -------------------------------------------


def _reminder(fields: Fields) -> str:
    params = fields.get("params") or {}
    count = f" {params['number']} of {params['total']}" if "number" in params and "total" in params else ""
    return f"Reminder{count} emailed (invitation {fields.get('invitation_id', '?')})"


def _escalation(fields: Fields) -> str:
    params = fields.get("params") or {}
    to = f" to {role(params['role'])}" if params.get("role") else ""
    level = f", level {params['level']}" if params.get("level") else ""
    last = ", the last level" if params.get("last_level") else ""
    return f"Escalated{to} by email (invitation {fields.get('invitation_id', '?')}{level}{last})"


EMAILS: dict[str, Sentence] = {
    "invitation": "Invitation emailed (invitation {invitation_id})",
    "signature_confirmation": "Signature receipt emailed (invitation {invitation_id})",
    "decline_notice": "Coordinator emailed about the decline (invitation {invitation_id})",
    "delegation_notice": "Delegation notice emailed (invitation {invitation_id})",
    "reminder": _reminder,
    "escalation": _escalation,
    "expiry_notice": "Expiry notice emailed (invitation {invitation_id})",
    "deadline_extended": "Deadline extension emailed (invitation {invitation_id})",
    "withdrawal_notice": "Withdrawal notice emailed (invitation {invitation_id})",
    "campaign_cancelled": "Cancellation emailed (invitation {invitation_id})",
    "pact_in_force": "Pact-in-force notice emailed",
    "progress_notice": (
        "Coordinator emailed: {params[group]} passed {params[mark]}% "
        "({params[signed]} of {params[target]} signed)"
    ),
    "quorum_unreachable": "Coordinator warned that the quorum can no longer be reached",
    "quorum_broken": "Coordinator warned that the quorum was broken",
}

# What send_email's result adds to the sentence, by outcome.
EMAIL_OUTCOMES: dict[str, str] = {
    "accepted": "",
    "already_accepted": " (sent earlier; not sent again)",
    "refused": " but the mail server refused it",
}


def email_sent(fields: Fields) -> str:
    """The sentence for one send_email call: by kind, then what the mail server said."""
    kind = str(fields.get("kind", ""))
    fallback = generic(f"Email “{kind}” sent", {k: v for k, v in fields.items() if k != "kind"})
    sentence = EMAILS.get(kind)
    text = render(sentence, fields, otherwise=fallback) if sentence else fallback
    result = fields.get("result")
    if isinstance(result, Mapping):
        outcome = str(result.get("outcome", ""))
        suffix = EMAIL_OUTCOMES.get(outcome, f" ({humanize(outcome)})" if outcome else "")
        if outcome == "refused" and result.get("detail"):
            suffix += f": {_short(result['detail'])}"
        text += suffix
    return text


# ---- activities (fields: the input's fields, and "result") -------------------------------


def _planned(fields: Fields) -> str:
    ranges = (fields.get("result") or {}).get("ranges") or []
    total = sum(int(r.get("count", 0)) for r in ranges if isinstance(r, Mapping))
    return f"Launch planned: {total} invitation(s) in {len(ranges)} batch(es)"


def _invited(fields: Fields) -> str:
    members = (fields.get("result") or {}).get("members") or []
    statuses = [str(m.get("status", "")) for m in members if isinstance(m, Mapping)]
    refused = statuses.count("undeliverable")
    tail = f", {refused} undeliverable" if refused else ""
    return (
        f"Invitations {fields.get('first_invitation_id', '?')} to {fields.get('last_invitation_id', '?')} "
        f"sent: {len(statuses) - refused} organisation(s) invited{tail}"
    )


def _in_force(fields: Fields) -> str:
    groups = [g for g in fields.get("groups") or [] if isinstance(g, Mapping)]
    counts = "; ".join(
        f"{g.get('name', '?')}: {g.get('signed', '?')} of {g.get('target', '?')}" for g in groups
    )
    return "Pact in force, recorded" + (f" ({counts})" if counts else "")


def _broadcast(fields: Fields) -> str:
    reached = fields.get("result")
    count = f"{reached} pledge workflow(s)" if isinstance(reached, int) else "the pledge workflows"
    return f"Signal “{fields.get('signal', '?')}” sent to {count} ({fields.get('audience', 'all')})"


def _ended(fields: Fields) -> str:
    reason = f": “{fields['reason']}”" if fields.get("reason") else ""
    return f"Campaign {fields.get('status') or 'ended'} in the records by {fields.get('actor', '?')}{reason}"


def _added(fields: Fields) -> str:
    ranges = (fields.get("result") or {}).get("ranges") or []
    return f"{sum(int(r.get('count', 0)) for r in ranges if isinstance(r, Mapping))} invitation(s) created"


def _completed_signature(fields: Fields) -> str:
    signature = fields.get("signature") or {}
    signer = signature.get("signer_name", "?") if isinstance(signature, Mapping) else "?"
    receipt = signature.get("receipt_id", "?") if isinstance(signature, Mapping) else "?"
    return f"Signature recorded for {signer}, campaign told, receipt {receipt} emailed"


def _cycle_planned(fields: Fields) -> str:
    times = (fields.get("result") or {}).get("times") or {}
    opens = times.get("opens_at", "?") if isinstance(times, Mapping) else "?"
    due = times.get("due_at", "?") if isinstance(times, Mapping) else "?"
    return f"Review cycle {fields.get('cycle', '?')} planned: opens {opens}, report due {due}"


ACTIVITIES: dict[str, Sentence] = {
    "complete_signature": _completed_signature,
    "plan_review_cycle": _cycle_planned,
    "open_cycle_report": "Report {result} opened for the cycle (organisation {organisation_id})",
    "new_report_version": "Report {report_id} sent back: revision {result} due {due_at}",
    "set_standing": "Standing of organisation {organisation_id} set to {standing} ({reason})",
    "email_checkpoint": "Audit checkpoint emailed: head {result[head_seq]}, intact {result[intact]}",
    "send_email": email_sent,
    "plan_launch": _planned,
    "invite_batch": _invited,
    "record_signature": "Signature recorded: {signer_name}, {signer_title} (receipt {receipt_id})",
    "record_decline": "Decline recorded (invitation {invitation_id}): “{reason}”",
    "delegate_invitation": (
        "Invitation {invitation_id} handed to {name} <{email}>; their invitation is {result[invitation_id]}"
    ),
    "record_escalation": "Escalation level {level} to {role} recorded (invitation {invitation_id})",
    "record_withdrawal": "Withdrawal recorded (invitation {invitation_id}): “{reason}”",
    "reopen_invitation": "Invitation {invitation_id} reopened",
    "set_invitation_deadline": "Deadline of invitation {invitation_id} set to {deadline}",
    "close_invitation": "Invitation {invitation_id} closed",
    "expire_invitation": "Invitation {invitation_id} expired at its deadline",
    "mark_in_force": _in_force,
    "announce_in_force": "Pact in force announced by email ({result} message(s))",
    "broadcast_to_pledges": _broadcast,
    "mark_campaign_ended": _ended,
    "extend_campaign_deadline": "Campaign deadline moved to {deadline} in the records by {actor}",
    "add_invitees": _added,
}

# ---- updates (fields: the request's fields, and "result" once completed) ----------------


def _signed(fields: Fields) -> str:
    result = fields.get("result")
    receipt = (
        f"; receipt {result['receipt_id']}" if isinstance(result, Mapping) and "receipt_id" in result else ""
    )
    title = f" ({fields['signer_title']})" if fields.get("signer_title") else ""
    invitation = fields.get("invitation_id", "?")
    return f"Signed by {fields.get('signer_name', '?')}{title} through invitation {invitation}{receipt}"


def _by_actor(what: str, fields: Fields) -> str:
    reason = f": “{fields['reason']}”" if fields.get("reason") else ""
    return f"{what} by {fields.get('actor', '?')}{reason}"


UPDATES: dict[str, Sentence] = {
    "report_submitted": "Report {report_id} version {version} submitted (on time: {on_time})",
    "report_decided": "Report {report_id} decided by {reviewer}: accepted {accepted}",
    "sign": _signed,
    "decline": "Declined through invitation {invitation_id}: “{reason}”",
    "delegate": "Delegated through invitation {invitation_id} to {name} <{email}>",
    "withdraw": "Signature withdrawn through invitation {invitation_id}: “{reason}”",
    "reopen": "Reopened by {actor} until {deadline}",
    "extend_deadline": "Deadline extended to {deadline} by {actor}",
    "close": lambda f: _by_actor("Campaign closed", f),
    "cancel": lambda f: _by_actor("Campaign cancelled", f),
    "add_invitees": "Invitees added by {actor}",
}

# ---- signals (fields: the signal's argument) ---------------------------------------------

SIGNALS: dict[str, Sentence] = {
    "member_changed": "Organisation {organisation_id} {event} (invitation {invitation_id})",
    "campaign_ended": "The campaign was {reason}",
    "campaign_deadline_changed": "The campaign's deadline changed to {deadline}",
    "pact_in_force": "The pact came in force",
    "escalation_handled": "Escalation {escalation_id} handled by {actor}",
}
