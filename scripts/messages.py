"""Extract every domain's msgids into templates/locales/<domain>.pot and update each language's .po.

    .venv/bin/python scripts/messages.py            # extract and update
    .venv/bin/python scripts/messages.py --add sw   # start a language: empty .po files to translate

New msgids arrive empty, changed ones marked fuzzy (Babel's update, as `pybabel update`); a
translator then fills them in Poedit, Weblate or Crowdin, or by hand.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from pledgeflow.i18n import DOMAINS
from pledgeflow.i18n.extraction import extract

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "templates" / "locales"


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(out, catalog, width=100, sort_by_file=True, ignore_obsolete=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--add", metavar="LOCALE", help="create empty catalogs for a new language")
    args = parser.parse_args()
    languages = sorted(p.parent.name for p in LOCALES.glob("*/LC_MESSAGES"))
    if args.add and args.add not in languages:
        languages.append(args.add)
    for domain in DOMAINS:
        template = extract(ROOT, domain)
        _write(LOCALES / f"{domain}.pot", template)
        for code in languages:
            po_path = LOCALES / code / "LC_MESSAGES" / f"{domain}.po"
            if po_path.exists():
                with po_path.open("rb") as source:
                    catalog = read_po(source, locale=code.replace("-", "_"), domain=domain)
            else:
                catalog = Catalog(locale=code.replace("-", "_"), domain=domain, project="pledgeflow")
            catalog.update(template, update_header_comment=False)
            _write(po_path, catalog)
        print(f"{domain}: {len(template)} msgids")


if __name__ == "__main__":
    main()
