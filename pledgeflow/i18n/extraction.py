"""Which msgids each domain holds, extracted from the sources as `pybabel extract` would.

`make messages` writes templates/locales/<domain>.pot from this and updates every language's
.po (new msgids empty, changed ones fuzzy); the catalog completeness test compares each .po with
a fresh extraction, so a string added in a template without its translations fails the suite.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}

_JINJA = "jinja2.ext.babel_extract"
_OPTIONS = {"extensions": "jinja2.ext.i18n", "encoding": "utf-8"}

# First pattern that matches a file decides its method; "ignore" keeps it out of the domain.
METHODS: dict[str, list[tuple[str, str]]] = {
    "emails": [
        ("templates/email/**.html", _JINJA),
        ("templates/email/**.txt", _JINJA),
        ("services/notifications/**.py", "python"),
    ],
    "pages": [
        ("templates/pages/console/**", "ignore"),
        ("templates/pages/**.html", _JINJA),
        ("api/console/**", "ignore"),
        ("api/**.py", "python"),
        ("services/notifications/**", "ignore"),
        ("services/**.py", "python"),
        ("models/**.py", "python"),
    ],
    "console": [
        ("templates/pages/console/**.html", _JINJA),
        ("api/console/**.py", "python"),
    ],
}


def extract(root: Path, domain: str) -> Catalog:
    """Every msgid of one domain, with where it is used (file:line) as translators' tools show it."""
    catalog = Catalog(
        domain=domain,
        project="pledgeflow",
        copyright_holder="pledgeflow contributors",
        charset="utf-8",
    )
    methods = METHODS[domain]
    options = {pattern: _OPTIONS for pattern, method in methods if method == _JINJA}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root),
        method_map=methods,
        options_map=options,
        keywords=KEYWORDS,
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog
