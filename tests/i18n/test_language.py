"""A reader's language: catalogs from .po files, CLDR formats, plural rules, negotiation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import DictLoader

from pledgeflow.i18n import Catalogs, LocalisedEnvironments, choose_locale

PO_AR = r"""
msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\n"
"Plural-Forms: nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);\n"

msgid "Dear %(name)s,"
msgstr "السيد/السيدة %(name)s،"

msgid "%(num)s organisation"
msgid_plural "%(num)s organisations"
msgstr[0] "لا منظمات"
msgstr[1] "منظمة واحدة"
msgstr[2] "منظمتان"
msgstr[3] "%(num)s منظمات"
msgstr[4] "%(num)s منظمة"
msgstr[5] "%(num)s منظمة"

#, fuzzy
msgid "Sign"
msgstr "وقّع"
"""


def _catalogs(tmp_path: Path) -> Catalogs:
    folder = tmp_path / "ar" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "pages.po").write_text(PO_AR, encoding="utf-8")
    return Catalogs(tmp_path)


def test_a_po_file_translates_and_a_fuzzy_entry_does_not(tmp_path: Path) -> None:
    arabic = _catalogs(tmp_path).language("ar")
    assert arabic.gettext("Dear %(name)s,", name="Omar") == "السيد/السيدة Omar،"
    assert arabic.gettext("Sign") == "Sign"  # fuzzy: not yet reviewed, English shows
    assert arabic.direction == "rtl"


def test_arabic_plurals_follow_cldr(tmp_path: Path) -> None:
    arabic = _catalogs(tmp_path).language("ar")
    forms = [
        arabic.ngettext("%(num)s organisation", "%(num)s organisations", n) for n in (0, 1, 2, 3, 11, 100)
    ]
    assert forms == ["لا منظمات", "منظمة واحدة", "منظمتان", "3 منظمات", "11 منظمة", "100 منظمة"]


def test_english_needs_no_catalog_and_unknown_languages_fall_back(tmp_path: Path) -> None:
    catalogs = _catalogs(tmp_path)
    assert catalogs.locales == ["ar", "en"]
    assert catalogs.best_locale("ar-JO") == "ar"
    assert catalogs.best_locale("ne") == "en"
    assert catalogs.has("ar-jo") and catalogs.has("en") and not catalogs.has("ne")
    english = catalogs.language("en")
    assert english.ngettext("%(num)s organisation", "%(num)s organisations", 1) == "1 organisation"
    assert english.direction == "ltr"


def test_dates_and_numbers_in_their_cldr_form(tmp_path: Path) -> None:
    catalogs = _catalogs(tmp_path)
    deadline = date(2027, 1, 30)
    assert catalogs.language("en").date(deadline) == "January 30, 2027"
    assert catalogs.language("ar", country="JO").date("2027-01-30") == "30 كانون الثاني 2027"
    assert catalogs.language("ar", country="JO").formats.territory == "JO"
    signed = datetime(2027, 1, 30, 13, 5, tzinfo=UTC)
    assert "14:05" in catalogs.language("en").moment(signed, ZoneInfo("Africa/Lagos"))
    assert catalogs.language("en").moment(signed).endswith(" UTC")


def test_each_locale_gets_an_environment_with_its_translations(tmp_path: Path) -> None:
    loader = DictLoader({"p.html": '<p dir="{{ direction }}">{{ _("Dear %(name)s,", name=who) }}</p>'})
    environments = LocalisedEnvironments(_catalogs(tmp_path), loader=loader, autoescape=True)
    arabic, _ = environments.get("ar")
    english, _ = environments.get("fr")  # no French catalog here: English
    assert arabic.get_template("p.html").render(who="<b>") == '<p dir="rtl">السيد/السيدة &lt;b&gt;،</p>'
    assert english.get_template("p.html").render(who="Ama") == '<p dir="ltr">Dear Ama,</p>'


def test_the_page_language_is_negotiated_in_the_callers_order() -> None:
    available = ["ar", "en", "fr", "pt", "sw"]
    assert choose_locale(available, None, "fr-CI") == "fr"
    assert choose_locale(available, "pt", "fr") == "pt"  # ?lang= before the contact's own
    assert choose_locale(available, None, None, accept_language="de;q=0.9, sw-TZ;q=0.8, en;q=0.5") == "sw"
    assert choose_locale(available, "ne", accept_language="am") == "en"
