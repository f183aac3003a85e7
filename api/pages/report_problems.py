"""The report and review forms' problems and notices, by the key `services.reviews.pages` gives them.

The service names each problem by a key with its values (it knows no language); this table is
what the reader reads, as msgids translated on the page.
"""

from __future__ import annotations

from pledgeflow.i18n import N_

PROBLEMS: dict[str, str] = {
    "report.bad_link": N_(
        "Commitment %(number)s: “%(link)s” is not a web link (it must start with http:// or "
        "https://). It was not saved."
    ),
    "report.file_too_large": N_(
        "Commitment %(number)s: %(file)s is %(size)s MB; the limit is %(limit)s MB. It was not stored."
    ),
    "report.file_type": N_(
        "Commitment %(number)s: %(file)s is of type %(type)s, which is not accepted (%(types)s). "
        "It was not stored."
    ),
    "report.file_refused": N_("Commitment %(number)s: %(file)s was not stored: %(reason)s"),
    "report.missing_status": N_("Commitment %(number)s (“%(text)s”): choose a status."),
    "report.invalid": N_("The report was not saved: %(reason)s"),
    "review.choose": N_("Choose to accept the report or to send it back."),
    "review.comment_required": N_(
        "Say what needs revising (a note or a comment on a commitment) to send the report back."
    ),
    "report.saved": N_("Your draft is saved. You can come back to it with the same link."),
}


def problem_text(key: str) -> str:
    """The msgid of a problem or notice key (KeyError: a key nobody wrote)."""
    return PROBLEMS[key]
