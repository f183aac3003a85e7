"""The console in French and Arabic through the real app: the reader's language (the switch's
cookie, then Accept-Language), `<html lang dir>`, no English sentence left, and a language switch
that only ever sends the reader back to a page of this site."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import httpx
import pytest

from api.console.flash import flash, ngettext
from api.console.language_switch import same_site_path
from api.console.rendering import LANGUAGE_COOKIE
from api.console.reports_summary import CHART_WIDTH, LABEL_WIDTH
from models.user import Role
from pledgeflow.i18n import load_catalogs
from tests import factories
from tests.console.launched import launched, sign
from tests.console.staff import console_client, person, post_form
from tests.console.test_reports_summary import _reported
from tests.helpers import app_without_temporal

# Sentences and words the console shows in English; none of them may be left in fr or ar pages.
ENGLISH = [
    "Campaigns you can see",
    "New campaign",
    "Skip to the content",
    "Sign out",
    "collective action for integrity in customs",
    "Deadline",
    "Declined",
    "Signatures over time",
    "Signatures per day",
    "The pact is in force",
    "Remind now",
    "Extend the deadline",
    "Add invitees",
    "No invitation matches these filters.",
    "Invitations, filtered",
    "signatures from",
    "signed; needs",
    "invited, ",
    "Everyone invited must sign",
    "Set-up",
    "no pledge yet",
    "none chosen",
    "not launched",
    "the default plan",
    "Groups and quorum",
    "Please check these fields",
    "Save and continue",
    "Create the draft and continue",
    "The last day to sign",
    "Public register",
    "launched",
    "draft",
]
EXPECTED = {
    "fr": ["Campagnes que vous pouvez voir", "Signatures au fil du temps", "Entonnoir", "Date limite"],
    "ar": ["الحملات التي يمكنك الاطلاع عليها", "التوقيعات عبر الزمن", "مسار الاستجابة", "الموعد النهائي"],
}
DIRECTION = {"fr": "ltr", "ar": "rtl"}


def _text(html: str) -> str:
    """What a reader sees: the text between tags (attribute values and scripts left out)."""
    body = html.split("<body>", 1)[-1]
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def _english_left(html: str) -> list[str]:
    text = _text(html)
    # Whole words only: "draft" must not match inside a campaign's own title.
    return [s for s in ENGLISH if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text)]


def _client(client: httpx.AsyncClient, lang: str) -> httpx.AsyncClient:
    client.cookies.set(LANGUAGE_COOKIE, lang)
    return client


@pytest.mark.parametrize("lang", ["fr", "ar"])
async def test_the_console_reads_in_french_and_arabic(console, mailbox, lang):
    run = await launched(console, mailbox, prefix="Live ")
    draft = factories.campaign_with_invitees(console.engine, count=0, with_pledge=False, prefix="Draft ")
    amina = person(console.engine, Role.coordinator, email=run.seeded.coordinator.email)
    async with console_client(console.app) as signatory:
        await sign(signatory, run.tokens[0])
    pages = {
        "list": "/console/campaigns",
        "live": f"/console/campaigns/{run.id}",
        "draft": f"/console/campaigns/{draft.campaign.id}",
        "new": "/console/campaigns/new",
    }
    async with console_client(console.app, amina) as client:
        _client(client, lang)
        answers = {name: await client.get(url) for name, url in pages.items()}
        # A form sent back with its errors is translated too (the error summary, the labels).
        invalid = await post_form(
            client, "/console/campaigns/new", "/console/campaigns/new", {"title": "", "action": "continue"}
        )
    for name, page in answers.items():
        assert page.status_code == 200, (name, page.text[:300])
        assert f'<html lang="{lang}" dir="{DIRECTION[lang]}">' in page.text, name
        assert _english_left(page.text) == [], (lang, name)
    assert invalid.status_code == 422, invalid.text[:300]
    assert f'<html lang="{lang}" dir="{DIRECTION[lang]}">' in invalid.text
    assert _english_left(invalid.text) == [], (lang, "invalid form")
    listed = answers["list"].text
    for sentence in EXPECTED[lang][:1]:
        assert sentence in listed
    live = answers["live"].text
    for sentence in EXPECTED[lang][1:3]:
        assert sentence in live
    assert EXPECTED[lang][3] in answers["list"].text
    if lang == "ar":
        # Six plural forms: one signature reads as the singular ("توقيع واحد"), not "1 توقيعات".
        assert "توقيع واحد" in live
        # A Latin organisation name in an Arabic table keeps its own direction.
        assert "<bdi>Live Organisation 1</bdi>" in live
    else:
        assert "1 signature du" in live


async def test_accept_language_is_used_when_no_language_was_chosen(settings, db):
    app = app_without_temporal(settings, db, why="the list reads the records only")
    amina = person(db, Role.coordinator)
    async with console_client(app, amina) as client:
        french = await client.get("/console/campaigns", headers={"Accept-Language": "fr-CI,fr;q=0.9"})
        unknown = await client.get("/console/campaigns", headers={"Accept-Language": "ne,am;q=0.8"})
        client.cookies.set(LANGUAGE_COOKIE, "ar")
        chosen = await client.get("/console/campaigns", headers={"Accept-Language": "fr"})
    assert '<html lang="fr" dir="ltr">' in french.text and "Nouvelle campagne" in french.text
    assert '<html lang="en" dir="ltr">' in unknown.text and "New campaign" in unknown.text
    assert '<html lang="ar" dir="rtl">' in chosen.text, "the reader's choice beats the browser's"


async def test_the_language_switch_sets_the_cookie_and_goes_back(settings, db):
    app = app_without_temporal(settings, db, why="the switch only sets a cookie")
    amina = person(db, Role.coordinator)
    async with console_client(app, amina) as client:
        page = await client.get("/console/campaigns")
        # Every language is offered, in its own name, linking back to this page.
        assert 'href="/console/language?lang=ar&amp;next=/console/campaigns"' in page.text
        assert ">العربية</a>" in page.text and ">français</a>" in page.text
        filtered = await client.get("/console/campaigns?status=launched")
        assert 'next=/console/campaigns%3Fstatus%3Dlaunched"' in filtered.text, "the page's query is kept"
        switched = await client.get("/console/language?lang=ar&next=/console/campaigns?status=launched")
        assert switched.status_code == 303
        assert switched.headers["location"] == "/console/campaigns?status=launched"
        cookie = switched.headers["set-cookie"]
        assert cookie.startswith(f"{LANGUAGE_COOKIE}=ar;") and "samesite=lax" in cookie.lower()
        after = await client.get(switched.headers["location"])
        assert '<html lang="ar" dir="rtl">' in after.text
        assert 'aria-current="true">العربية</a>' in after.text
        unknown = await client.get("/console/language?lang=xx&next=/console/campaigns")
        assert unknown.status_code == 303 and "set-cookie" not in unknown.headers


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/console",
        "//evil.example/console",
        "/\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/console\r\nSet-Cookie: x=1",
        "",
    ],
)
async def test_the_language_switch_never_sends_the_reader_to_another_site(settings, db, target):
    app = app_without_temporal(settings, db, why="the switch only sets a cookie")
    async with console_client(app) as client:
        answer = await client.get("/console/language", params={"lang": "fr", "next": target})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/campaigns"
    assert same_site_path(target) == "/console/campaigns"


def test_a_same_site_path_passes_unchanged() -> None:
    assert same_site_path("/console/campaigns/3?status=sent") == "/console/campaigns/3?status=sent"
    assert same_site_path("/sign-in?next=/console/people") == "/sign-in?next=/console/people"


def test_a_flash_is_translated_where_it_is_shown_with_names_isolated(settings) -> None:
    catalogs = load_catalogs(settings.templates_dir)
    arabic, french = catalogs.language("ar"), catalogs.language("fr")
    shared = flash("Shared with %(name)s (%(email)s).", name="Bola <Partner>", email="b@wco.example")
    assert shared.shown(arabic) == (
        "تمت المشاركة مع <bdi>Bola &lt;Partner&gt;</bdi> (<bdi>b@wco.example</bdi>)."
    )
    assert shared.shown(french) == "Partagée avec Bola &lt;Partner&gt; (b@wco.example)."
    # A day is written as the reader writes it, never as an ISO string.
    moved = flash("The deadline is now %(deadline)s; no one was emailed.", deadline=date(2027, 1, 9))
    assert (
        unescape(moved.shown(french))
        == "La date limite est désormais le 9 janvier 2027 ; aucun e-mail n'a été envoyé."
    )
    assert "2027-01-09" not in moved.shown(arabic) and "يناير" in moved.shown(arabic)
    reminded = ngettext("Reminded %(num)s organisation.", "Reminded %(num)s organisations.", 2)
    assert reminded.shown(arabic) == "أُرسل تذكير إلى منظمتين (2)."
    assert reminded.shown(french) == "2 organisations relancées."
    assert ngettext("Reminded %(num)s organisation.", "Reminded %(num)s organisations.", 1).shown(french) == (
        "1 organisation relancée."
    )


async def test_the_reports_chart_mirrors_in_arabic_without_flipping_its_numbers(settings, db):
    seeded = _reported(db)
    owner = person(db, Role.coordinator, email="coordinator@wco.example")
    app = app_without_temporal(settings, db, why="the summary reads the records only")
    async with console_client(app, owner) as client:
        english = (await client.get(f"/console/campaigns/{seeded.campaign.id}/reports")).text
        client.cookies.set(LANGUAGE_COOKIE, "ar")
        arabic = (await client.get(f"/console/campaigns/{seeded.campaign.id}/reports")).text

    def first_bar(html: str) -> tuple[float, float]:
        found = re.search(r'<rect class="bar-implemented" x="([\d.]+)" y="\d+" width="([\d.]+)"', html)
        assert found, "no bar drawn"
        return float(found.group(1)), float(found.group(2))

    (ltr_x, width), (rtl_x, rtl_width) = first_bar(english), first_bar(arabic)
    assert ltr_x == LABEL_WIDTH and width == rtl_width
    # Mirrored: the bar starts at the right, just left of the factor's number.
    assert rtl_x + rtl_width == pytest.approx(CHART_WIDTH - LABEL_WIDTH, abs=0.1)
    assert f'<text x="{CHART_WIDTH}" y="14" class="chart-label" text-anchor="end">' in arabic
    assert 'text-anchor="end"' not in english
    assert "قدّمت 1 من أصل 2 منظمة تقاريرها" in arabic
