"""A form field's name as a person reads it in an error summary: the forms name their fields by the
API's error paths ("commitments.1.factors"), which say where but not in words.

Each word of a path is a msgid (translated in the reader's language when a `Language` is given);
a row of a list reads as "Commitment 2", a whole msgid per list so the number sits where the
language puts it.
"""

from __future__ import annotations

from jinja2 import pass_context
from jinja2.runtime import Context

from pledgeflow.i18n import N_, Language

# A row of a repeated list, counted from 1.
ROWS = {
    "commitments": N_("Commitment %(number)s"),
    "groups": N_("Group %(number)s"),
    "quorum": N_("Group %(number)s"),
    "ladder": N_("Level %(number)s"),
}
# The words of the paths the console's forms post, so that extraction gives them to translators.
WORDS = (
    N_("title"),
    N_("signature deadline"),
    N_("region"),
    N_("timezone"),
    N_("introduction"),
    N_("visibility"),
    N_("factors"),
    N_("text"),
    N_("policy"),
    N_("reminder days"),
    N_("reminder days before deadline"),
    N_("quiet hours"),
    N_("review"),
    N_("deadline"),
    N_("email"),
    N_("name"),
    N_("role"),
    N_("label"),
    N_("reason"),
    N_("file"),
    N_("at least"),
)


def field_label(name: str, language: Language | None = None) -> str:
    """'commitments.1.factors' → 'Commitment 2: factors'; 'policy.reminder_days' → 'Policy: reminder days'."""

    def say(message: str, **values: object) -> str:
        text = language.translations.gettext(message) if language else message
        return text % values if values else text

    parts: list[str] = []
    segments = name.split(".")
    for position, segment in enumerate(segments):
        previous = segments[position - 1] if position else ""
        if segment.isdigit() and parts:
            parts.pop()
            if previous in ROWS:
                parts.append(say(ROWS[previous], number=int(segment) + 1))
            else:
                # A list without a row name of its own: its name in the singular, counted from 1.
                words = previous.replace("_", " ")
                parts.append(f"{words[:-1] if words.endswith('s') else words} {int(segment) + 1}")
        else:
            parts.append(say(segment.replace("_", " ")))
    if parts:
        parts[0] = parts[0][:1].upper() + parts[0][1:]
    return ": ".join(parts)


@pass_context
def field_label_filter(context: Context, name: str) -> str:
    """{{ name | field_label }} in the page's language."""
    return field_label(name, context["language"])
