"""Every page a signatory, reporter, reviewer or the public sees, in every language, through the real app.

Each page is asked for as its reader would (a contact's link, or a public page with `?lang=`), and
must come back in that language: `<html lang dir>` from it, the language switch, no known English
sentence left, dates in their CLDR form. Then which language wins when several are on offer.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import pytest
from starlette.requests import Request

from api.pages.messages import MESSAGES, UNAVAILABLE
from api.templating import PageRenderer
from pledgeflow.links import LinkPurpose, LinkSigner
from tests import factories
from tests.conftest import TEST_SECRET
from tests.helpers import csrf_from
from tests.i18n.page_text import seen
from tests.reviews import records as rr
from tests.signing.test_pages import _invited, page_site, site  # noqa: F401 - fixtures used by name

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
DEADLINE = date(2027, 1, 30)
DAY = timedelta(days=1)


def _language(code: str) -> pytest.ParameterSet:
    """A language to test; pt and sw wait for their catalogs (translated from pages.pot in parallel)."""
    po = TEMPLATES / "locales" / code / "LC_MESSAGES" / "pages.po"
    waiting = code in ("pt", "sw") and not po.exists()
    return pytest.param(
        code, marks=pytest.mark.skipif(waiting, reason=f"{code}/pages.po is not written yet (pages_tr)")
    )


LANGUAGES = [_language(code) for code in ("en", "fr", "ar", "pt", "sw")]

# Sentences of the pages themselves (not of the seeded pledge or names): none may be left in English.
ENGLISH = (
    "Sign the pledge",
    "Someone else should sign",
    "Please correct the following",
    "Arusha key factors",
    "Public register",
    "conditional commitment",
    "Withdraw the signature",
    "Self-assessment report",
    "Save draft",
    "Reporting period",
    "Accept the report",
    "This receipt is genuine",
    "This link is not valid",
    "Leadership and Commitment",
    "Audit and Investigation",
    "good standing",
    "organisations were invited",
    "The campaign's coordinator",
)

# The long CLDR date of DEADLINE as each language writes it (the organisations are in Ghana).
DEADLINES = {
    "en": "30 January 2027",
    "fr": "30 janvier 2027",
    "ar": "30 يناير 2027",
    "pt": "30 de janeiro de 2027",
    "sw": "30 Januari 2027",
}

HTML_TAG = re.compile(r'<html lang="([^"]+)" dir="(rtl|ltr)">')
SWITCH = re.compile(r'<a href="([^"]*)" lang="([^"]+)" hreflang="([^"]+)"( aria-current="true")?>')


def assert_in_language(html: str, code: str, what: str) -> None:
    """The page is in `code`: html lang and dir, the switch marks it, no English sentence is left."""
    found = HTML_TAG.search(html)
    assert found, f"{what}: no <html lang dir>"
    assert found.groups() == (code, "rtl" if code == "ar" else "ltr"), f"{what}: {found.group(0)}"
    links = SWITCH.findall(html)
    assert {lang for _, lang, _, _ in links} >= {"en", "fr", "ar"}, f"{what}: the language switch is missing"
    assert all(lang == hreflang for _, lang, hreflang, _ in links)
    assert [lang for _, lang, _, current in links if current] == [code], f"{what}: current language"
    if code != "en":
        text = seen(html)
        left = [sentence for sentence in ENGLISH if sentence in text]
        assert not left, f"{what} in {code} still says {left}"


def _link(invitation_id: int, purpose: LinkPurpose, expires: timedelta = DAY) -> str:
    return LinkSigner(TEST_SECRET).make(invitation_id, purpose, datetime.now(UTC) + expires)


@pytest.mark.parametrize("code", LANGUAGES)
async def test_signing_pages_are_in_the_contacts_language(page_site, db, code):  # noqa: F811
    seeded = factories.campaign_with_invitees(db, count=1, locales=[code], deadline=DEADLINE)
    factories.launch(db, seeded.campaign.id)
    token = _link(seeded.invitations[0].id, LinkPurpose.sign)
    page = await page_site.get(f"/s/{token}")
    assert page.status_code == 200
    assert_in_language(page.text, code, "the signing page")
    assert DEADLINES[code] in page.text and DEADLINE.isoformat() not in page.text
    assert "<bdi>Organisation 1</bdi>" in page.text and '<bdi class="hash">' in page.text
    assert page.text.count('name="lang" value="' + code + '"') == 3, "each form carries the language"

    # A form sent without what it needs answers in the language it was shown in, beside each field.
    refused = await page_site.post(
        f"/s/{token}/sign",
        data={"signer_name": "", "signer_title": "", "csrf_token": csrf_from(page.text), "lang": code},
    )
    assert refused.status_code == 422
    assert_in_language(refused.text, code, "the refused signing form")
    assert 'id="signer_name-error"' in refused.text and 'id="signer_title-error"' in refused.text
    assert 'id="consent-error"' in refused.text and 'href="#signer_name"' in refused.text
    for field in ("signer_name", "signer_title"):
        # The error sits just before its field, so a screen reader meets it there.
        error_at = refused.text.index(f'id="{field}-error"')
        assert error_at < refused.text.index(f'id="{field}" name="{field}"') < error_at + 300


@pytest.mark.parametrize("code", LANGUAGES)
async def test_pages_of_a_signatory_and_the_public_are_in_their_language(page_site, db, code):  # noqa: F811
    seeded = rr.signed_campaign(db, count=1, locales=[code])
    invitation_id = seeded.invitations[0].id
    report_id = rr.open_report(db, seeded)
    key = seeded.campaign.register_key
    pages = {
        "the receipt": f"/receipts/PF-TEST-1?lang={code}",
        "the withdrawal page": f"/w/{_link(invitation_id, LinkPurpose.withdraw)}",
        "the report form": f"/r/{rr.report_token(report_id)}",
        "the register index": f"/register?lang={code}",
        "the register": f"/register/{key}?lang={code}",
        "an already signed link": f"/s/{_link(invitation_id, LinkPurpose.sign)}",
        "an expired report link": f"/r/{_link(report_id, LinkPurpose.report, -DAY)}",
    }
    for what, path in pages.items():
        page = await page_site.get(path)
        assert page.status_code in (200, 409, 410), f"{what}: {page.status_code}"
        assert_in_language(page.text, code, what)
    register = await page_site.get(f"/register/{key}?lang={code}")
    assert "<bdi>Organisation 1</bdi>" in register.text
    # One organisation invited, one signed: the singular form, in every language.
    assert "1 organisations" not in register.text and "1 were" not in register.text

    rr.fill(db, report_id)
    rr.submit(db, report_id)
    review = await page_site.get(f"/rv/{rr.review_token(report_id)}?lang={code}")
    assert review.status_code == 200
    assert_in_language(review.text, code, "the review page")
    submitted = await page_site.get(f"/r/{rr.report_token(report_id)}")
    assert_in_language(submitted.text, code, "a submitted report")


@pytest.mark.parametrize("code", LANGUAGES)
async def test_link_error_pages_are_in_the_readers_language(page_site, db, code):  # noqa: F811
    seeded = factories.campaign_with_invitees(db, count=1, locales=[code])
    factories.launch(db, seeded.campaign.id)
    invitation_id = seeded.invitations[0].id
    errors = {
        # The link names nobody: the reader's ?lang=.
        "a tampered link": (f"/s/{_link(invitation_id, LinkPurpose.sign)[:-4]}abcd?lang={code}", 400),
        "an expired link": (f"/s/{_link(invitation_id, LinkPurpose.sign, -DAY)}?lang={code}", 410),
        "an unknown invitation": (f"/s/{_link(987654, LinkPurpose.sign)}?lang={code}", 404),
        "an unknown receipt": (f"/receipts/PF-NOPE?lang={code}", 404),
        "an unknown register": (f"/register/nothing-here?lang={code}", 404),
        # The link names the contact: their language, with no ?lang= at all.
        "nothing to withdraw": (f"/w/{_link(invitation_id, LinkPurpose.withdraw)}", 409),
        "the contact's expired link": (f"/s/{_link(invitation_id, LinkPurpose.sign, -DAY)}", 410),
    }
    for what, (path, status) in errors.items():
        page = await page_site.get(path)
        assert page.status_code == status, f"{what}: {page.status_code}"
        assert_in_language(page.text, code, what)


def _request(code: str) -> Request:
    """A real request for a page, as a reader of `code` who just chose it with the switch sends it."""
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/s/some-token",
            "query_string": f"lang={code}".encode(),
            "headers": [],
        }
    )


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_message_and_done_page_is_translated(code):
    """Each kind of message page with every value it may carry: no English left, dates localised."""
    pages = PageRenderer(TEMPLATES).for_request(_request(code))
    when = datetime(2027, 1, 30, 14, 5, tzinfo=UTC)
    values = {
        "name": "Kwame Mensah",
        "organisation": "Ghana Revenue Authority",
        "campaign": "Accra clearance integrity",
        "date": when,
        "due": when,
        "state": "sent",
        "reason": "not_running",
        "phase": "awaiting_report",
        "version": 2,
        "latest": 3,
        "cycle": 1,
        "receipt": "PF-TEST-1",
        "reviewer": "monitor@regional-body.example",
        "email": "ama@org1.example",
        "seconds": 5,
    }
    english = PageRenderer(TEMPLATES).for_request(_request("en"))
    for kind in MESSAGES:
        if kind.startswith("done."):
            page = pages.done(locale=None, key=kind, zone="Africa/Accra", **values)
            original = english.done(locale=None, key=kind, zone="Africa/Accra", **values)
        else:
            page = pages.message(locale=None, status=409, key=kind, contact="coord@example.org", **values)
            original = english.message(
                locale=None, status=409, key=kind, contact="coord@example.org", **values
            )
        html = page.body.decode()
        assert_in_language(html, code, kind)
        assert "%(" not in html, f"{kind}: a placeholder was left unfilled"
        if code != "en":
            body = re.search(r"<h1>(.*?)</h1>\s*<p>(.*?)</p>", seen(html), re.S)
            english_body = re.search(r"<h1>(.*?)</h1>\s*<p>(.*?)</p>", seen(original.body.decode()), re.S)
            assert body and english_body and body.groups() != english_body.groups(), f"{kind} is English"
        if "%(date)s" in MESSAGES[kind].body:
            assert "2027-01-30" not in html and "2027" in html, f"{kind}: the date is not in CLDR form"
    for body_key in UNAVAILABLE:
        html = pages.unavailable(locale=None, body_key=body_key).body.decode()
        assert_in_language(html, code, body_key)


async def test_decline_and_delegate_answer_in_the_contacts_language(site, ts_env, settings, db, mailbox):  # noqa: F811
    seeded, tokens = await _invited(ts_env, settings, db, mailbox, count=4, locales=["ar", "fr"])
    answers = []
    for token, action, data in (
        (tokens[0], "decline", {"reason": "لسنا وسيطًا مرخّصًا"}),
        (tokens[1], "decline", {"reason": "Nous ne sommes pas un commissionnaire agréé"}),
        (tokens[2], "delegate", {"delegate_name": "Layla", "delegate_email": "layla@org3.example"}),
        (tokens[3], "delegate", {"delegate_name": "Awa", "delegate_email": "awa@org4.example"}),
    ):
        page = await site.get(f"/s/{token}")
        # The language is the form's own (its hidden field), whatever the browser prefers.
        answer = await site.post(
            f"/s/{token}/{action}",
            data={**data, "csrf_token": csrf_from(page.text), "lang": seeded.contacts[len(answers)].locale},
            headers={"Accept-Language": "en"},
        )
        assert answer.status_code == 200, answer.text
        answers.append(answer.text)
    for html, code, what in zip(
        answers, ["ar", "fr", "ar", "fr"], ["declined", "declined", "delegated", "delegated"], strict=True
    ):
        assert_in_language(html, code, f"the {what} page")
    assert "<bdi>layla@org3.example</bdi>" in answers[2]


# ---- which language wins -------------------------------------------------------------------------


def _lang(html: str) -> str:
    found = HTML_TAG.search(html)
    assert found
    return found.group(1)


async def test_lang_beats_the_contact_which_beats_accept_language_which_beats_english(page_site, db):  # noqa: F811
    seeded = factories.campaign_with_invitees(db, count=2, locales=["fr", "ne"])
    factories.launch(db, seeded.campaign.id)
    french, nepali = (_link(i.id, LinkPurpose.sign) for i in seeded.invitations)
    arabic_browser = {"Accept-Language": "ar-JO,ar;q=0.9,en;q=0.5"}
    assert _lang((await page_site.get(f"/s/{french}?lang=ar", headers=arabic_browser)).text) == "ar"
    assert _lang((await page_site.get(f"/s/{french}?lang=en", headers=arabic_browser)).text) == "en"
    assert _lang((await page_site.get(f"/s/{french}", headers=arabic_browser)).text) == "fr"
    # A contact in a language without catalogs: the browser's, then English.
    assert _lang((await page_site.get(f"/s/{nepali}", headers=arabic_browser)).text) == "ar"
    assert _lang((await page_site.get(f"/s/{nepali}")).text) == "en"
    # Public pages: ?lang=, then Accept-Language, then English.
    key = seeded.campaign.register_key
    assert _lang((await page_site.get(f"/register/{key}?lang=fr", headers=arabic_browser)).text) == "fr"
    assert _lang((await page_site.get(f"/register/{key}", headers=arabic_browser)).text) == "ar"
    assert _lang((await page_site.get(f"/register/{key}")).text) == "en"


async def test_an_unknown_lang_falls_back(page_site, db):  # noqa: F811
    seeded = factories.campaign_with_invitees(db, count=1, locales=["fr"])
    factories.launch(db, seeded.campaign.id)
    token = _link(seeded.invitations[0].id, LinkPurpose.sign)
    assert _lang((await page_site.get(f"/s/{token}?lang=zz")).text) == "fr"
    key = seeded.campaign.register_key
    assert _lang((await page_site.get(f"/register/{key}?lang=zz")).text) == "en"
    french_browser = {"Accept-Language": "fr-CI"}
    assert _lang((await page_site.get(f"/register/{key}?lang=zz", headers=french_browser)).text) == "fr"


async def test_the_switch_keeps_the_link_token_and_the_other_parameters(page_site, db):  # noqa: F811
    seeded = factories.campaign_with_invitees(db, count=1, locales=["fr"])
    factories.launch(db, seeded.campaign.id)
    url = f"/s/{_link(seeded.invitations[0].id, LinkPurpose.sign)}?utm=mail&lang=fr"
    page = await page_site.get(url)
    links = {lang: unescape(href) for href, lang, _, _ in SWITCH.findall(page.text)}
    assert links["ar"] == "?utm=mail&lang=ar"
    followed = await page_site.get(urljoin(str(page.url), links["ar"]))
    assert followed.status_code == 200 and _lang(followed.text) == "ar"
    assert followed.url.path == page.url.path, "the switch stays on the same signed link"
    names = {
        lang: name for lang, name in re.findall(r'lang="([a-z]+)" hreflang="[a-z]+"[^>]*>([^<]+)<', page.text)
    }
    assert names["ar"] == "العربية" and names["fr"] == "français" and names["en"] == "English"
