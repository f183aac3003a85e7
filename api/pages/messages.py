"""The pages that only say something (link errors, closed reports, outages) and the 'done' pages.

Each kind names its heading and body as msgids; the page renderer translates them into the
reader's language with the values the route gives (`%(name)s`). A kind that is not here is a
bug, so looking one up raises. Bodies with a count give a plural (`%(num)s` is the count).
"""

from __future__ import annotations

from dataclasses import dataclass

from pledgeflow.i18n import N_


@dataclass(frozen=True)
class MessageText:
    """A heading and a body (msgids); with `plural`, the body is the singular of `count`'s plural."""

    heading: str
    body: str
    plural: str | None = None
    count: str = ""


def ngettext(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular and plural msgid pair for extraction (gettext's `ngettext` keyword)."""
    return singular, plural


def counted(heading: str, forms: tuple[str, str], count: str) -> MessageText:
    """A message whose body is said in the plural form of the value `count` (seconds, files...)."""
    return MessageText(heading, forms[0], plural=forms[1], count=count)


MESSAGES: dict[str, MessageText] = {
    # ---- links that cannot be used -------------------------------------------------------------
    "link.tampered": MessageText(
        N_("This link is not valid"),
        N_(
            "The link was changed or is incomplete. Open it again from the email, or ask the "
            "coordinator for a new one."
        ),
    ),
    "link.expired": MessageText(
        N_("This link has expired"),
        N_("The link expired on %(date)s. Please contact the campaign's coordinator for a new one."),
    ),
    "link.expired_now": MessageText(
        N_("This link has expired"),
        N_("The invitation has expired. Please contact the campaign's coordinator for a new one."),
    ),
    "link.unknown": MessageText(
        N_("This invitation does not exist"),
        N_("The invitation named by this link is unknown. Ask the coordinator for a new link."),
    ),
    "link.signed": MessageText(
        N_("This pledge was already signed"),
        N_("%(name)s signed it on behalf of %(organisation)s on %(date)s."),
    ),
    "link.declined": MessageText(
        N_("This invitation was declined"),
        N_("It was declined on %(date)s. If this was a mistake, contact the coordinator."),
    ),
    "link.declined_now": MessageText(
        N_("This invitation was declined"),
        N_("The invitation was already declined. If this was a mistake, contact the coordinator."),
    ),
    "link.delegated": MessageText(
        N_("This invitation was handed to a colleague"),
        N_("This link no longer works: a colleague received an invitation of their own."),
    ),
    "link.cancelled": MessageText(
        N_("This campaign was cancelled"),
        N_("The campaign “%(campaign)s” was cancelled; nothing more is needed from you."),
    ),
    "link.closed": MessageText(
        N_("This campaign is closed"),
        N_("The campaign “%(campaign)s” is closed and no longer takes answers."),
    ),
    "link.not_open": MessageText(
        N_("This invitation is not open"),
        N_("The invitation is %(state)s. Contact the coordinator if you need help."),
    ),
    "link.not_signed": MessageText(
        N_("Nothing to withdraw"),
        N_("There is no signature to withdraw for this link (status: %(state)s)."),
    ),
    "form.csrf": MessageText(
        N_("Your form has expired"),
        N_(
            "For your security the form must be sent from the page it came from. Go back, reload "
            "the page and try again."
        ),
    ),
    # ---- outages and limits ------------------------------------------------------------------
    "error.database": counted(
        N_("The service is briefly unavailable"),
        ngettext(
            "Our database did not answer, so nothing was done. Please try again in %(num)s second.",
            "Our database did not answer, so nothing was done. Please try again in %(num)s seconds.",
        ),
        count="seconds",
    ),
    "rate.limited": counted(
        N_("Too many requests"),
        ngettext(
            "This page was opened too many times from your network in a short while. Wait "
            "%(num)s second and try again.",
            "This page was opened too many times from your network in a short while. Wait "
            "%(num)s seconds and try again.",
        ),
        count="seconds",
    ),
    # ---- receipts and the register -----------------------------------------------------------
    "receipt.unknown": MessageText(
        N_("Unknown receipt"),
        N_("No signature has the receipt id %(receipt)s. Check the id in your confirmation email."),
    ),
    "register.unknown": MessageText(
        N_("No register here"), N_("There is no public register at this address.")
    ),
    "plan.unknown": MessageText(
        N_("No action plan here"), N_("There is no public action plan at this address.")
    ),
    # ---- reports and reviews -----------------------------------------------------------------
    "report.unknown": MessageText(
        N_("This report does not exist"),
        N_("The report named by this link is unknown. Ask the coordinator for a new link."),
    ),
    "report.superseded": MessageText(
        N_("A new version of this report exists"),
        N_(
            "Version %(version)s was sent back for revision on %(date)s. Version %(latest)s is "
            "the one to complete: use the link in the most recent email about it."
        ),
    ),
    "report.other_organisation": MessageText(
        N_("This link is for another organisation's report"),
        N_(
            "The form you sent belongs to a different report than this link. Nothing was saved. "
            "Open your report again from your own email."
        ),
    ),
    "report.locked": MessageText(
        N_("This report was already submitted"),
        N_(
            "Version %(version)s was submitted on %(date)s and can no longer change. Open the "
            "link again to read it."
        ),
    ),
    "report.cycle_closed": MessageText(
        N_("This report cannot be submitted now"),
        N_(
            "The review cycle is not waiting for this report (state: %(reason)s). Your draft is "
            "saved; nothing was submitted. Contact the coordinator if you need help."
        ),
    ),
    "report.not_forwarded": MessageText(
        N_("The report is locked but was not passed on"),
        N_(
            "The report is recorded as submitted, but the review cycle did not take it "
            "(%(reason)s). Contact the coordinator."
        ),
    ),
    "report.evidence_unknown": MessageText(
        N_("No such file"), N_("This file is not part of the report behind this link.")
    ),
    "review.not_reviewer": MessageText(
        N_("You are not a reviewer of this report"),
        N_("%(reviewer)s is not among the reviewers of this campaign. Nothing was recorded."),
    ),
    "review.not_submitted": MessageText(
        N_("This report is not waiting for a review"),
        N_("Version %(version)s of the report of %(organisation)s has not been submitted."),
    ),
    "review.decided_accepted": MessageText(
        N_("This report was already decided"),
        N_("It was accepted by %(reviewer)s on %(date)s. Nothing more was recorded."),
    ),
    "review.decided_sent_back": MessageText(
        N_("This report was already decided"),
        N_("It was sent back for revision by %(reviewer)s on %(date)s. Nothing more was recorded."),
    ),
    "review.closed": MessageText(
        N_("This review is closed"),
        N_(
            "The review cycle is not waiting for a decision on this report (%(phase)s). Nothing was recorded."
        ),
    ),
    # ---- what was done -----------------------------------------------------------------------
    "done.signed": MessageText(
        N_("Thank you: the pledge is signed"),
        N_(
            "%(name)s signed on behalf of %(organisation)s. A confirmation with your receipt is on "
            "its way by email."
        ),
    ),
    "done.declined": MessageText(
        N_("You declined the invitation"), N_("The campaign's coordinator has been told.")
    ),
    "done.delegated": MessageText(
        N_("The invitation was handed over"),
        N_("%(email)s will receive an invitation of their own. This link no longer works."),
    ),
    "done.withdrawn": MessageText(
        N_("The signature was withdrawn"),
        N_("The withdrawal is recorded and the campaign's coordinator has been told."),
    ),
    "done.report_submitted_on_time": MessageText(
        N_("Thank you: the report is submitted"),
        N_(
            "The report of %(organisation)s for cycle %(cycle)s (version %(version)s) was "
            "submitted on %(date)s, on time (due by %(due)s). The reviewers have been told; their "
            "decision will come by email."
        ),
    ),
    "done.report_submitted_late": MessageText(
        N_("Thank you: the report is submitted"),
        N_(
            "The report of %(organisation)s for cycle %(cycle)s (version %(version)s) was "
            "submitted on %(date)s, late (it was due by %(due)s). The reviewers have been told; "
            "their decision will come by email."
        ),
    ),
    "done.report_accepted": MessageText(
        N_("The report is accepted"),
        N_(
            "Your decision on version %(version)s of the report of %(organisation)s is recorded. "
            "The organisation is told by email."
        ),
    ),
    "done.report_sent_back": MessageText(
        N_("The report was sent back"),
        N_(
            "Your comments on version %(version)s of the report of %(organisation)s are recorded. "
            "The organisation is told by email and gets a new version to revise."
        ),
    ),
}

# The bodies of the 503 page: what became of the reader's request while a service did not answer.
UNAVAILABLE_HEADING = N_("Something went wrong")
UNAVAILABLE: dict[str, str] = {
    "error.unavailable_body": N_(
        "The service is briefly unavailable. Your answer was not recorded; please try again in a minute."
    ),
    "link.pending_body": N_(
        "Your answer reached us, but recording it is taking longer than usual. Open the link "
        "again in a minute: it will show whether your answer was recorded."
    ),
    "report.unavailable_body": N_(
        "The service is briefly unavailable. Your draft is saved, but it was not submitted; please "
        "submit again in a minute."
    ),
    "report.submit_pending_body": N_(
        "The report is submitted and locked, but the reviewers could not be told yet. Press Submit "
        "again in a minute; nothing will be lost."
    ),
    "review.unavailable_body": N_(
        "The service is briefly unavailable. Your decision was not recorded; please try again in a minute."
    ),
    "review.pending_body": N_(
        "Your decision is recorded, but the review cycle could not be told yet. The coordinator can "
        "see it; please tell them if no email follows within the hour."
    ),
}

# States named inside a message (an invitation's status, a review cycle's phase), as a reader says them.
STATES: dict[str, str] = {
    "pending": N_("not yet sent"),
    "sent": N_("open"),
    "signed": N_("signed"),
    "declined": N_("declined"),
    "delegated": N_("handed to a colleague"),
    "expired": N_("expired"),
    "unresponsive": N_("without an answer"),
    "withdrawn": N_("withdrawn"),
    "cancelled": N_("cancelled"),
    "undeliverable": N_("undeliverable"),
    "opening": N_("opening"),
    "awaiting_report": N_("waiting for the report"),
    "awaiting_review": N_("waiting for the review"),
    "submitting": N_("passing the report on"),
    "deciding": N_("recording a decision"),
    "accepted": N_("accepted"),
    "closed": N_("closed"),
    "not_running": N_("not running"),
}


def message_text(kind: str) -> MessageText:
    """The heading and body of a kind of message page (KeyError: a kind nobody wrote)."""
    return MESSAGES[kind]


def state(value: str) -> str:
    """The msgid naming a status or phase; an unknown one is shown as it is (isolated by the page)."""
    return STATES.get(value.replace(" ", "_"), value)
