"""The enum labels emails show (Arusha key factors, standings), as msgids of the emails domain too.

Their source is models/arusha.py and models/labels.py, extracted into the `pages` domain. Gettext
domains are translated one at a time, so the emails catalog carries its own copy of each label an
email shows: a translator of `emails.po` sees every word of an email. At run time a reader's
catalogs merge all domains (the same msgid, the same text); tests/mail/test_labels.py keeps this
list equal to the models' labels.
"""

from __future__ import annotations

from pledgeflow.i18n import N_

EMAIL_LABELS: tuple[str, ...] = (
    # The ten key factors of the Revised Arusha Declaration (models/arusha.py).
    N_("Leadership and Commitment"),
    N_("Regulatory Framework"),
    N_("Transparency"),
    N_("Automation"),
    N_("Reform and Modernization"),
    N_("Audit and Investigation"),
    N_("Code of Conduct"),
    N_("Human Resource Management"),
    N_("Morale and Organizational Culture"),
    N_("Relationship with the Private Sector"),
    # A signatory's standing in the review cycles (models/labels.py).
    N_("good standing"),
    N_("report overdue"),
    N_("non-compliant"),
    N_("lapsed"),
)
