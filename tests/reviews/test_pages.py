"""The report and review pages behind emailed links, their emails (en and fr), and the whole cycle
through the pages on the time-skipping server: submit, send back, revise, accept.

What a page shows and saves is tested from minted links and seeded rows with an app that fails the
test if it reaches Temporal (`site`); a test that asks the review cycle uses `temporal_site`."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from babel.dates import format_date
from sqlmodel import Session, select

from api.app import create_app
from models.common import utcnow
from models.labels import label
from models.report import Evidence, ItemStatus, ReportStatus, Standing
from pledgeflow.config import PROJECT_ROOT
from pledgeflow.db import session_scope
from pledgeflow.links import LinkPurpose, LinkSigner
from pledgeflow.mail.render import EMAIL_TEMPLATES, EmailRenderer
from pledgeflow.worker import email_delivery
from services import escalations, notifications
from services.notifications import MailRef
from services.notifications.registry import REVIEW_COMPOSERS
from services.reviews import reports
from tests.conftest import TEST_SECRET
from tests.helpers import app_without_temporal, asgi_client, csrf_from, eventually, running_workers
from tests.i18n.page_text import seen
from tests.reviews import records as rr
from workflows.review import ReviewCycleWorkflow

DAY = timedelta(days=1)
UNTRANSLATED = re.compile(r"\b(?:email|standing|item|report)\.[a-z_]{2,}")


@pytest.fixture
def page_settings(settings, tmp_path):
    """The test's settings, with evidence files kept in the test's own folder."""
    return settings.model_copy(update={"data_dir": tmp_path})


def _app(page_settings, db, client=None):
    async def connect():
        if client is None:
            raise ConnectionError("connection refused")
        return client

    return create_app(page_settings, engine=db, connect_temporal=connect)


@pytest_asyncio.fixture
async def temporal_site(ts_env, page_settings, db, mailbox) -> AsyncIterator[httpx.AsyncClient]:
    """The app over HTTP, Temporal reachable (no review cycle runs unless a test starts one)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app(page_settings, db, ts_env.client)),
        base_url="http://testserver",
    ) as client:
        yield client


@pytest_asyncio.fixture
async def site(page_settings, db) -> AsyncIterator[httpx.AsyncClient]:
    """The app over HTTP for what a page shows and saves: reaching Temporal fails the test."""
    app = app_without_temporal(page_settings, db, why="showing or saving a report needs no review cycle")
    async with asgi_client(app) as client:
        yield client


async def _form(site, token, status=200):
    page = await site.get(f"/r/{token}")
    assert page.status_code == status, seen(page)
    return page, csrf_from(page.text)


def _fields(report_id, csrf, action="save", **answers):
    """The form's fields: answers as key=(status, narrative, links)."""
    data = {"csrf_token": csrf, "report_id": str(report_id), "action": action}
    for key, (status, narrative, links) in answers.items():
        data[f"status.{key}"] = status
        data[f"narrative.{key}"] = narrative
        data[f"links.{key}"] = links
    return data


def _items(db, report_id):
    with Session(db) as session:
        return {i.commitment_key: i for i in reports.items_of(session, report_id)}


def _evidence(db, report_id):
    with Session(db) as session:
        return list(session.exec(select(Evidence).where(Evidence.report_id == report_id)))


def _status(db, report_id):
    with Session(db) as session:
        return reports.get_or_raise(session, report_id).status


# ---- the emails ------------------------------------------------------------------------------


def test_every_report_email_composes_and_renders_in_en_and_fr(settings, db):
    seeded = rr.signed_campaign(db, count=1, locales=["fr"])
    first = rr.open_report(db, seeded)
    rr.fill(db, first)
    rr.submit(db, first)
    rr.decide(
        db, first, accept=False, comments={"c2": "Attach the signed code of conduct"}, note="Almost there"
    )
    due = utcnow() + 14 * DAY
    with session_scope(db) as session:
        revision = reports.new_version(
            session, report=reports.get_or_raise(session, first), due_at=due, at=utcnow()
        ).id
        escalation = escalations.record(
            session,
            invitation_id=seeded.invitations[0].id,
            level=2,
            role="coordinator",
            workflow_id="review-test",
            last_level=False,
            at=utcnow(),
            subject=f"report:{revision}",
        ).id
    planned = datetime(2027, 3, 1, 9, tzinfo=UTC)
    ref = {"campaign_id": seeded.campaign.id, "invitation_id": seeded.invitations[0].id}
    refs = {
        "report_request": {"report_id": first},
        "report_reminder": {"report_id": first, "number": 1, "total": 2},
        "report_escalation": {
            "report_id": revision,
            "escalation_id": escalation,
            "level": 2,
            "levels": 3,
            "role": "coordinator",
        },
        "review_request": {"report_id": first, "reviewer": rr.REVIEWER},
        "review_reminder": {"report_id": first, "reviewer": rr.REVIEWER, "number": 2, "total": 2},
        "report_accepted": {"report_id": first},
        "report_sent_back": {"report_id": revision, "due_at": due.isoformat()},
        "standing_changed": {"report_id": revision, "from": "good", "to": "overdue", "audience": "signatory"},
    }
    assert set(refs) == set(REVIEW_COMPOSERS) and set(refs) <= set(EMAIL_TEMPLATES)
    links = email_delivery(settings, db)._links
    renderer = EmailRenderer(PROJECT_ROOT / "templates", labels=label)
    rendered = {}
    with Session(db) as session:
        for kind, params in refs.items():
            draft = notifications.compose(
                session, links, kind=kind, ref=MailRef(planned, params=params, **ref)
            )
            assert draft.to and draft.campaign_id == seeded.campaign.id, kind
            for locale in ("en", "fr"):
                mail = renderer.render(kind, locale, draft.context)
                assert mail.locale == locale and mail.subject and "<html" in mail.html, kind
                for part in (mail.subject, mail.text, mail.html):
                    assert not UNTRANSLATED.search(part), (kind, locale, UNTRANSLATED.search(part))
                    assert "{{" not in part and "None" not in part, (kind, locale)
                rendered[kind, locale] = (draft, mail)
        coordinator = notifications.compose(
            session,
            links,
            kind="standing_changed",
            ref=MailRef(
                planned, params={**refs["standing_changed"], "audience": "coordinator", "to": "lapsed"}, **ref
            ),
        )
    signer = LinkSigner(TEST_SECRET)

    draft, mail = rendered["report_request", "fr"]
    assert draft.to == [seeded.contacts[0].email] and draft.locale == "fr"
    assert "Rapport d'auto-évaluation" in mail.subject and "Remplir le rapport" in mail.html
    claims = signer.read(rr.link_token(mail), LinkPurpose.report)
    assert claims.subject_id == first
    assert "Transparence" in seen(mail) and "Code de conduite" in seen(mail)
    _, mail = rendered["report_reminder", "en"]
    assert "Reminder 1 of 2" in mail.subject and "is due by" in seen(mail)

    draft, mail = rendered["review_request", "en"]
    assert draft.to == [rr.REVIEWER] and draft.locale == "en"
    assert "Organisation 1" in mail.subject and "on time" in seen(mail)
    claims = signer.read(rr.link_token(mail, rr.REVIEW_LINK), LinkPurpose.review)
    assert (claims.subject_id, claims.actor) == (first, rr.REVIEWER)
    _, mail = rendered["review_reminder", "en"]
    assert "Reminder 2 of 2" in mail.subject and "/rv/" in seen(mail)

    draft, mail = rendered["report_sent_back", "fr"]
    assert "Attach the signed code of conduct" in seen(mail) and "Almost there" in mail.html
    assert "Adopt and enforce a code of conduct" in seen(mail)
    assert format_date(due, "medium", locale="fr") in mail.subject  # CLDR: '15 juil. 2027'
    assert signer.read(rr.link_token(mail), LinkPurpose.report).subject_id == revision, (
        "the new version's form"
    )
    _, mail = rendered["report_sent_back", "en"]
    assert "version 1" in seen(mail) and "carried over to version 2" in seen(mail)

    draft, mail = rendered["report_escalation", "en"]
    assert draft.to == [seeded.coordinator.email] and "level 2 of 3" in mail.subject
    assert "/r/" not in seen(mail), "the form's link goes to the contact only"
    _, mail = rendered["report_accepted", "fr"]
    assert "accepté" in mail.subject and "en règle" in seen(mail)
    draft, mail = rendered["standing_changed", "fr"]
    assert draft.to == [seeded.contacts[0].email] and "rapport en retard" in mail.subject
    assert signer.read(rr.link_token(mail), LinkPurpose.report).subject_id == revision
    assert coordinator.to == [seeded.coordinator.email] and coordinator.locale == "en"
    mail = renderer.render("standing_changed", "en", coordinator.context)
    assert "changed from good standing to lapsed" in seen(mail) and "/r/" not in seen(mail)


# ---- the report form -------------------------------------------------------------------------


async def test_report_form_reads_well_on_a_phone_without_javascript(site, db):
    seeded = rr.signed_campaign(db, count=2, locales=["en", "fr"])
    report_id = rr.open_report(db, seeded)
    page, _ = await _form(site, rr.report_token(report_id))
    html = seen(page)
    assert '<meta name="viewport"' in html and "<script" not in html
    assert "Organisation 1: report for cycle 1" in html
    assert "Tell us how each commitment was implemented this year." in html
    assert "Where are the fees published?" in html
    assert "Publish all fees and charges" in html and 'data-factor="human_resource_management"' in html
    assert "Audit and Investigation" in html
    for status in ("not_started", "in_progress", "implemented", "not_applicable"):
        assert f'name="status.c1" value="{status}"' in html
    assert 'enctype="multipart/form-data"' in html and f'name="report_id" value="{report_id}"' in html
    assert 'name="files.c3"' in html and "Up to 1 MB per file" in html and "PDF" in html
    assert 'value="save"' in html and 'value="submit"' in html
    assert "samesite=strict" in page.headers["set-cookie"].lower()
    french, _ = await _form(site, rr.report_token(rr.open_report(db, seeded, 1)))
    assert (
        'lang="fr"' in seen(french)
        and "Enregistrer le brouillon" in seen(french)
        and "Mis en œuvre" in seen(french)
    )


async def test_save_draft_with_files_then_download_them(site, db):
    seeded = rr.signed_campaign(db, count=2)
    report_id, other_id = rr.open_report(db, seeded), rr.open_report(db, seeded, 1)
    token = rr.report_token(report_id)
    _, csrf = await _form(site, token)
    saved = await site.post(
        f"/r/{token}",
        data=_fields(
            report_id,
            csrf,
            c1=(
                "implemented",
                "Fees are on the portal.",
                "https://customs.example/fees\n\nhttps://customs.example/fees.pdf",
            ),
            c2=("", "Drafting the code.", ""),
        ),
        files=[
            ("files.c1", ("fees.pdf", rr.PDF, "application/pdf")),
            ("files.c3", ("", b"", "application/octet-stream")),
        ],
    )
    assert saved.status_code == 200, seen(saved)
    assert "Your draft is saved" in seen(saved)
    items = _items(db, report_id)
    assert (items["c1"].status, items["c1"].narrative) == (ItemStatus.implemented, "Fees are on the portal.")
    assert items["c1"].links == "https://customs.example/fees\nhttps://customs.example/fees.pdf"
    assert (items["c2"].status, items["c2"].narrative) == (None, "Drafting the code.")
    [evidence] = _evidence(db, report_id)
    digest = hashlib.sha256(rr.PDF).hexdigest()
    assert (evidence.commitment_key, evidence.filename, evidence.size, evidence.sha256) == (
        "c1",
        "fees.pdf",
        len(rr.PDF),
        digest,
    )
    assert (
        digest in seen(saved)
        and "fees.pdf" in seen(saved)
        and f"/r/{token}/evidence/{evidence.id}" in seen(saved)
    )
    assert _status(db, report_id) is ReportStatus.draft
    download = await site.get(f"/r/{token}/evidence/{evidence.id}")
    assert download.status_code == 200 and download.content == rr.PDF
    assert download.headers["content-type"] == "application/pdf"
    assert (
        download.headers["content-disposition"].startswith("attachment")
        and "fees.pdf" in download.headers["content-disposition"]
    )
    assert download.headers["x-content-type-options"] == "nosniff"
    # The file of another organisation's report is not reachable through this link.
    other_token = rr.report_token(other_id)
    _, other_csrf = await _form(site, other_token)
    await site.post(
        f"/r/{other_token}",
        data=_fields(other_id, other_csrf, c1=("", "", "")),
        files=[("files.c1", ("theirs.pdf", rr.PDF + b"2", "application/pdf"))],
    )
    [theirs] = _evidence(db, other_id)
    assert (await site.get(f"/r/{token}/evidence/{theirs.id}")).status_code == 404
    assert (await site.get(f"/r/{other_token}/evidence/{theirs.id}")).status_code == 200
    reloaded, _ = await _form(site, token)
    assert "Fees are on the portal." in seen(reloaded) and 'value="implemented" checked' in seen(reloaded)


async def test_oversized_and_disallowed_files_are_refused_and_the_draft_is_kept(site, db):
    seeded = rr.signed_campaign(db, count=1)
    report_id = rr.open_report(db, seeded)
    token = rr.report_token(report_id)
    _, csrf = await _form(site, token)
    big = await site.post(
        f"/r/{token}",
        data=_fields(report_id, csrf, c1=("in_progress", "Typed before the big file.", "")),
        files=[("files.c1", ("scan.pdf", rr.PDF + b"0" * (1_300_000), "application/pdf"))],
    )
    assert big.status_code == 413, seen(big)
    assert "scan.pdf is 1.2 MB; the limit is 1 MB" in seen(big) and "Commitment 1" in seen(big)
    assert "Typed before the big file." in seen(big)
    assert _items(db, report_id)["c1"].narrative == "Typed before the big file."
    exe = await site.post(
        f"/r/{token}",
        data=_fields(report_id, csrf, c2=("implemented", "Code adopted.", "")),
        files=[("files.c2", ("tool.exe", b"MZ\x90\x00", "application/x-msdownload"))],
    )
    assert exe.status_code == 415, seen(exe)
    assert "tool.exe is of type application/x-msdownload, which is not accepted" in seen(exe)
    items = _items(db, report_id)
    assert (items["c1"].narrative, items["c2"].narrative, items["c2"].status) == (
        "Typed before the big file.",
        "Code adopted.",
        ItemStatus.implemented,
    )
    assert _evidence(db, report_id) == [], "nothing refused is stored"
    empty = await site.post(
        f"/r/{token}",
        data=_fields(report_id, csrf, c3=("not_started", "", "")),
        files=[("files.c3", ("empty.pdf", b"", "application/pdf"))],
    )
    assert empty.status_code == 422 and "empty.pdf is empty" in seen(empty)
    bad_link = await site.post(
        f"/r/{token}",
        data=_fields(report_id, csrf, c3=("not_started", "Plan ready.", "www.no-scheme.example")),
    )
    assert bad_link.status_code == 422 and "“www.no-scheme.example” is not a web link" in seen(bad_link)
    assert "www.no-scheme.example" in seen(bad_link).split("</textarea>")[-2], (
        "the link is shown back to correct"
    )
    assert _items(db, report_id)["c3"].narrative == "Plan ready."
    assert _status(db, report_id) is ReportStatus.draft


async def test_missing_statuses_name_each_commitment_and_keep_the_draft(site, db):
    seeded = rr.signed_campaign(db, count=1)
    report_id = rr.open_report(db, seeded)
    token = rr.report_token(report_id)
    _, csrf = await _form(site, token)
    answer = await site.post(
        f"/r/{token}",
        data=_fields(
            report_id, csrf, "submit", c1=("implemented", "Published.", ""), c2=("", "Half done.", "")
        ),
    )
    assert answer.status_code == 422, seen(answer)
    assert (
        "Commitment 2 (“Adopt and enforce a code of conduct for staff and brokers.”): choose a status"
        in seen(answer)
    )
    assert "Commitment 3 (“Report solicitation" in seen(answer) and "Commitment 1 (" not in seen(answer)
    assert _status(db, report_id) is ReportStatus.draft
    assert _items(db, report_id)["c2"].narrative == "Half done."


async def test_a_form_for_another_organisations_report_is_refused(site, db):
    seeded = rr.signed_campaign(db, count=2)
    mine, theirs = rr.open_report(db, seeded), rr.open_report(db, seeded, 1)
    token = rr.report_token(mine)
    _, csrf = await _form(site, token)
    answer = await site.post(
        f"/r/{token}",
        data=_fields(theirs, csrf, c1=("implemented", "Not mine to say.", "")),
        files=[("files.c1", ("a.pdf", rr.PDF, "application/pdf"))],
    )
    assert answer.status_code == 403 and "another organisation" in seen(answer)
    assert _items(db, mine)["c1"].narrative == "" and _items(db, theirs)["c1"].narrative == ""
    assert _evidence(db, mine) == [] and _evidence(db, theirs) == []
    forged = await site.post(f"/r/{token}", data=_fields(mine, "forged", c1=("implemented", "x", "")))
    assert forged.status_code == 403 and _items(db, mine)["c1"].status is None


async def test_bad_report_links_get_clear_pages(site, db):
    seeded = rr.signed_campaign(db, count=1)
    report_id = rr.open_report(db, seeded)
    token = rr.report_token(report_id)
    assert (await site.get(f"/r/{token[:-3]}abc")).status_code == 400
    expired = LinkSigner(TEST_SECRET).make(report_id, LinkPurpose.report, datetime.now(UTC) - DAY)
    page = await site.get(f"/r/{expired}")
    assert page.status_code == 410 and "expired" in seen(page)
    page = await site.get(f"/r/{rr.report_token(987654)}")
    assert page.status_code == 404 and "This report does not exist" in seen(page)
    signing = LinkSigner(TEST_SECRET).make(report_id, LinkPurpose.sign, datetime.now(UTC) + DAY)
    assert (await site.get(f"/r/{signing}")).status_code == 400
    assert (await site.get(f"/rv/{token}")).status_code == 400, "a report link is not a review link"


async def test_a_locked_report_is_read_only_and_a_sent_back_one_points_to_the_new_version(site, db):
    seeded = rr.signed_campaign(db, count=1)
    report_id = rr.open_report(db, seeded)
    rr.fill(db, report_id)
    rr.submit(db, report_id)
    token = rr.report_token(report_id)
    page = await site.get(f"/r/{token}")
    assert page.status_code == 200 and 'data-status="submitted"' in seen(page)
    assert "waiting for the reviewer" in seen(page) and "<form" not in seen(page) and "Done: c2" in seen(page)
    rr.decide(db, report_id, accept=False, comments={"c1": "Give the address"})
    with session_scope(db) as session:
        reports.new_version(
            session, report=reports.get_or_raise(session, report_id), due_at=utcnow() + 14 * DAY, at=utcnow()
        )
    gone = await site.get(f"/r/{token}")
    assert (
        gone.status_code == 410
        and "A new version of this report exists" in seen(gone)
        and "Version 2" in seen(gone)
    )
    assert _items(db, report_id)["c1"].narrative == "Done: c1"


async def test_submission_on_a_locked_report_is_refused(temporal_site, db):
    site = temporal_site  # the review cycle is asked (and found not running)
    seeded = rr.signed_campaign(db, count=1)
    report_id = rr.open_report(db, seeded)
    token = rr.report_token(report_id)
    _, csrf = await _form(site, token)
    rr.fill(db, report_id)
    rr.submit(db, report_id)  # locked meanwhile, e.g. from another tab
    answer = await site.post(
        f"/r/{token}", data=_fields(report_id, csrf, "submit", c1=("not_started", "Overwrite?", ""))
    )
    assert answer.status_code == 409 and "already submitted" in seen(answer)
    assert (
        _items(db, report_id)["c1"].narrative == "Done: c1"
        and _status(db, report_id) is ReportStatus.submitted
    )
    saving = await site.post(
        f"/r/{token}", data=_fields(report_id, csrf, "save", c1=("not_started", "Overwrite?", ""))
    )
    assert saving.status_code == 409 and _items(db, report_id)["c1"].status is ItemStatus.implemented


async def test_no_running_cycle_refuses_the_submission_and_keeps_the_draft(temporal_site, db):
    site = temporal_site  # the review cycle is asked (and found not running)
    seeded = rr.signed_campaign(db, count=1)
    report_id = rr.open_report(db, seeded)
    token = rr.report_token(report_id)
    _, csrf = await _form(site, token)
    fields = _fields(
        report_id, csrf, "submit", **{k: ("implemented", f"Done {k}", "") for k in ("c1", "c2", "c3")}
    )
    answer = await site.post(f"/r/{token}", data=fields)
    assert (
        answer.status_code == 409
        and "cannot be submitted now" in seen(answer)
        and "not running" in seen(answer)
    )
    assert _status(db, report_id) is ReportStatus.draft and _items(db, report_id)["c3"].narrative == "Done c3"


async def test_temporal_down_keeps_the_draft_and_submits_nothing(page_settings, db):
    seeded = rr.signed_campaign(db, count=1)
    report_id = rr.open_report(db, seeded)
    token = rr.report_token(report_id)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app(page_settings, db)), base_url="http://testserver"
    ) as site:
        _, csrf = await _form(site, token)
        fields = _fields(
            report_id, csrf, "submit", **{k: ("implemented", f"Done {k}", "") for k in ("c1", "c2", "c3")}
        )
        answer = await site.post(f"/r/{token}", data=fields)
        assert answer.status_code == 503 and "Your draft is saved" in seen(answer)
    assert _status(db, report_id) is ReportStatus.draft and _items(db, report_id)["c1"].narrative == "Done c1"


# ---- the review page -------------------------------------------------------------------------


async def test_review_page_for_its_reviewer_only(temporal_site, db):
    site = temporal_site  # the review cycle is asked (and found not running)
    seeded = rr.signed_campaign(db, count=1)
    report_id = rr.open_report(db, seeded)
    token = rr.report_token(report_id)
    _, csrf = await _form(site, token)
    await site.post(
        f"/r/{token}",
        data=_fields(report_id, csrf, c1=("implemented", "", "")),
        files=[("files.c1", ("fees.pdf", rr.PDF, "application/pdf"))],
    )
    draft_review = await site.get(f"/rv/{rr.review_token(report_id)}")
    assert draft_review.status_code == 409 and "not waiting for a review" in seen(draft_review)
    rr.fill(db, report_id)
    rr.submit(db, report_id)
    review = rr.review_token(report_id)
    page = await site.get(f"/rv/{review}")
    assert page.status_code == 200, seen(page)
    assert "You review as monitor@regional-body.example" in seen(page) and 'name="comment.c2"' in seen(page)
    assert (
        'value="accept"' in seen(page) and 'value="send_back"' in seen(page) and "<script" not in seen(page)
    )
    [evidence] = _evidence(db, report_id)
    assert f"/rv/{review}/evidence/{evidence.id}" in seen(page)
    download = await site.get(f"/rv/{review}/evidence/{evidence.id}")
    assert download.status_code == 200 and download.content == rr.PDF
    review_csrf = csrf_from(page.text)
    empty = await site.post(
        f"/rv/{review}",
        data={"csrf_token": review_csrf, "report_id": str(report_id), "decision": "send_back"},
    )
    assert empty.status_code == 422 and "Say what needs revising" in seen(empty)
    outsider = rr.review_token(report_id, rr.OUTSIDER)
    refused = await site.get(f"/rv/{outsider}")
    assert (
        refused.status_code == 403
        and "other.monitor@regional-body.example is not among the reviewers" in seen(refused)
    )
    assert (await site.get(f"/rv/{outsider}/evidence/{evidence.id}")).status_code == 403
    forced = await site.post(
        f"/rv/{outsider}", data={"csrf_token": review_csrf, "report_id": str(report_id), "decision": "accept"}
    )
    assert forced.status_code in (403,) and _status(db, report_id) is ReportStatus.submitted
    # No review cycle is running for this report: the decision is refused and nothing is written.
    closed = await site.post(
        f"/rv/{review}", data={"csrf_token": review_csrf, "report_id": str(report_id), "decision": "accept"}
    )
    assert closed.status_code == 409 and "This review is closed" in seen(closed)
    with Session(db) as session:
        report = reports.get_or_raise(session, report_id)
        assert (report.status, report.decided_by) == (ReportStatus.submitted, None)


# ---- the whole cycle, through the pages, on the time-skipping server -------------------------


@pytest_asyncio.fixture
async def cycle_site(own_ts_env, page_settings, db, mailbox) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running_workers(own_ts_env.client, page_settings, db),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=_app(page_settings, db, own_ts_env.client)),
            base_url="http://testserver",
        ) as client,
    ):
        yield client


def _kind(mailbox, kind):
    return [m for m in mailbox.messages if m.kind == kind]


async def _mails(mailbox, kind, count):
    async def probe():
        return _kind(mailbox, kind)

    return await eventually(probe, lambda found: len(found) >= count)


async def _phase(handle, phase, **expected):
    def check(view):
        return view.phase == phase and all(getattr(view, k) == v for k, v in expected.items())

    return await eventually(lambda: handle.query(ReviewCycleWorkflow.view), check)


async def test_submit_send_back_revise_and_accept_through_the_pages(
    cycle_site, own_ts_env, page_settings, db, mailbox
):
    site = cycle_site
    seeded = rr.signed_campaign(db, count=1, locales=["fr"])
    cycle = await rr.start_cycle(own_ts_env.client, page_settings, seeded)
    [request] = await _mails(mailbox, "report_request", 1)
    assert request.recipients == [seeded.contacts[0].email] and "Rapport d'auto-évaluation" in request.subject
    view = await _phase(cycle.handle, "awaiting_report")
    token = rr.link_token(request)
    assert LinkSigner(TEST_SECRET).read(token, LinkPurpose.report).subject_id == view.report_id
    first = view.report_id

    page, csrf = await _form(site, token)
    assert "Enregistrer le brouillon" in seen(page)
    answers = {k: ("implemented", f"Fait : {k}", f"https://evidence.example/{k}") for k in ("c1", "c2", "c3")}
    submitted = await site.post(
        f"/r/{token}",
        data=_fields(first, csrf, "submit", **answers),
        files=[("files.c2", ("code.pdf", rr.PDF, "application/pdf"))],
    )
    assert submitted.status_code == 200, seen(submitted)
    assert "le rapport est soumis" in seen(submitted) and "dans les délais" in seen(submitted)
    with Session(db) as session:
        report = reports.get_or_raise(session, first)
        assert (report.status, report.on_time) == (ReportStatus.submitted, True)
    await _phase(cycle.handle, "awaiting_review", report_id=first)
    [review_request] = await _mails(mailbox, "review_request", 1)
    assert review_request.recipients == [rr.REVIEWER]
    again = await site.post(f"/r/{token}", data=_fields(first, csrf, "submit", **answers))
    assert again.status_code == 409 and "déjà été soumis" in seen(again)
    assert len(_kind(mailbox, "review_request")) == 1

    review = rr.link_token(review_request, rr.REVIEW_LINK)
    page = await site.get(f"/rv/{review}")
    assert page.status_code == 200 and "Fait : c2" in seen(page) and "code.pdf" in seen(page)
    sent_back = await site.post(
        f"/rv/{review}",
        data={
            "csrf_token": csrf_from(page.text),
            "report_id": str(first),
            "decision": "send_back",
            "comment.c1": "Give the address of the fee schedule",
            "note": "Good start; one gap.",
        },
    )
    assert sent_back.status_code == 200 and "The report was sent back" in seen(sent_back)
    view = await _phase(cycle.handle, "awaiting_report", version=2)
    second = view.report_id
    [notice] = await _mails(mailbox, "report_sent_back", 1)
    assert notice.recipients == [seeded.contacts[0].email]
    assert "Give the address of the fee schedule" in seen(notice) and "Good start; one gap." in seen(notice)
    new_token = rr.link_token(notice)
    assert LinkSigner(TEST_SECRET).read(new_token, LinkPurpose.report).subject_id == second
    decided_again = await site.post(
        f"/rv/{review}",
        data={"csrf_token": csrf_from(page.text), "report_id": str(first), "decision": "accept"},
    )
    assert decided_again.status_code == 409 and "already decided" in seen(decided_again)
    old = await site.get(f"/r/{token}")
    assert old.status_code == 410 and "nouvelle version" in seen(old)

    page, csrf = await _form(site, new_token)
    assert "Give the address of the fee schedule" in seen(page) and "Good start; one gap." in seen(page)
    assert "Fait : c3" in seen(page) and "code.pdf" in seen(page), "answers and files carried over"
    resubmitted = await site.post(
        f"/r/{new_token}",
        data=_fields(
            second, csrf, "submit", **{**answers, "c1": ("implemented", "https://customs.example/fees", "")}
        ),
    )
    assert resubmitted.status_code == 200, seen(resubmitted)
    [_, second_request] = await _mails(mailbox, "review_request", 2)
    second_review = rr.link_token(second_request, rr.REVIEW_LINK)
    page = await site.get(f"/rv/{second_review}")
    assert "Comment on version 1:" in seen(page) and "Give the address of the fee schedule" in seen(page)
    accepted = await site.post(
        f"/rv/{second_review}",
        data={"csrf_token": csrf_from(page.text), "report_id": str(second), "decision": "accept"},
    )
    assert accepted.status_code == 200 and "The report is accepted" in seen(accepted)
    result = await cycle.handle.result()
    assert (result.accepted, result.versions, result.report_id, result.standing) == (True, 2, second, "good")
    [accepted_mail] = await _mails(mailbox, "report_accepted", 1)
    assert accepted_mail.recipients == [seeded.contacts[0].email] and "accepté" in accepted_mail.subject
    with Session(db) as session:
        assert reports.get_or_raise(session, first).status is ReportStatus.sent_back
        final = reports.get_or_raise(session, second)
        assert (final.status, final.decided_by, final.version) == (ReportStatus.accepted, rr.REVIEWER, 2)
        assert (
            reports.standing_of(
                session, campaign_id=seeded.campaign.id, organisation_id=seeded.organisations[0].id
            )
            is Standing.good
        )
    locked = await site.get(f"/r/{new_token}")
    assert locked.status_code == 200 and 'data-status="accepted"' in seen(locked)


async def test_a_submission_locked_while_temporal_was_down_is_handed_over_on_retry(
    cycle_site, own_ts_env, page_settings, db, mailbox
):
    site = cycle_site
    seeded = rr.signed_campaign(db, count=1)
    cycle = await rr.start_cycle(own_ts_env.client, page_settings, seeded)
    view = await _phase(cycle.handle, "awaiting_report")
    token = rr.report_token(view.report_id)
    _, csrf = await _form(site, token)
    rr.fill(db, view.report_id)
    rr.submit(db, view.report_id)  # locked in the records; the cycle was never told
    # A reviewer cannot decide before the cycle waits for a review: nothing is written.
    # One link for the page and the post: a link made a second later is another link (its
    # expiry is part of it), and the form's CSRF field is bound to the link it was served for.
    review = rr.review_token(view.report_id)
    review_page = await site.get(f"/rv/{review}")
    early = await site.post(
        f"/rv/{review}",
        data={
            "csrf_token": csrf_from(review_page.text),
            "report_id": str(view.report_id),
            "decision": "accept",
        },
    )
    assert early.status_code == 409 and "waiting for the report" in seen(early)
    assert _status(db, view.report_id) is ReportStatus.submitted
    retried = await site.post(f"/r/{token}", data=_fields(view.report_id, csrf, "submit"))
    assert retried.status_code == 200 and "the report is submitted" in seen(retried)
    await _phase(cycle.handle, "awaiting_review", report_id=view.report_id)
    await _mails(mailbox, "review_request", 1)
    again = await site.post(f"/r/{token}", data=_fields(view.report_id, csrf, "submit"))
    assert again.status_code == 409
    await cycle.handle.terminate("test over")


async def test_reminders_carry_working_links_and_the_due_dates(
    cycle_site, own_ts_env, page_settings, db, mailbox
):
    site, env = cycle_site, own_ts_env
    seeded = rr.signed_campaign(db, count=1)
    cycle = await rr.start_cycle(env.client, page_settings, seeded, due_in=8 * DAY)
    view = await _phase(cycle.handle, "awaiting_report")
    await env.sleep(DAY + timedelta(hours=1))  # past due - 7 days
    [reminder] = await _mails(mailbox, "report_reminder", 1)
    assert "Reminder 1 of 2" in reminder.subject and reminder.recipients == [seeded.contacts[0].email]
    assert format_date(cycle.times.due_at, "medium", locale="en_GH") in reminder.subject
    token = rr.link_token(reminder)
    _, csrf = await _form(site, token)
    fields = _fields(
        view.report_id, csrf, "submit", **{k: ("implemented", f"Done {k}", "") for k in ("c1", "c2", "c3")}
    )
    assert (await site.post(f"/r/{token}", data=fields)).status_code == 200
    [request] = await _mails(mailbox, "review_request", 1)
    view = await _phase(cycle.handle, "awaiting_review")
    said = seen(request).replace("\n", " ")
    assert (
        format_date(view.review_due_at, "medium", locale="en") in said
        and f"{view.review_due_at:%H:%M}" in said
    )
    await env.sleep(view.review_due_at - await env.get_current_time() - 3 * DAY + timedelta(hours=1))
    [nudge] = await _mails(mailbox, "review_reminder", 1)
    assert nudge.recipients == [rr.REVIEWER] and "Reminder 1 of 2" in nudge.subject
    # The reminder counts the review's deadline from the submission's (wall-clock) time; this
    # server's clock runs a day ahead, so only the wording is checked here.
    assert "review the report of Organisation 1 by" in nudge.subject
    review = rr.link_token(nudge, rr.REVIEW_LINK)
    assert (await site.get(f"/rv/{review}")).status_code == 200
    await cycle.handle.terminate("test over")


async def test_an_overdue_report_submitted_late_then_accepted_restores_good_standing(
    cycle_site, own_ts_env, page_settings, db, mailbox
):
    site = cycle_site
    seeded = rr.signed_campaign(db, count=1)
    cycle = await rr.start_cycle(own_ts_env.client, page_settings, seeded, due_in=-DAY)
    view = await _phase(cycle.handle, "awaiting_report", standing="overdue")
    changes = await _mails(mailbox, "standing_changed", 2)
    assert sorted(r for m in changes for r in m.recipients) == sorted(
        [seeded.contacts[0].email, seeded.coordinator.email]
    )
    to_signatory = next(m for m in changes if m.recipients == [seeded.contacts[0].email])
    assert "report overdue" in to_signatory.subject and "/r/" in seen(to_signatory)
    register = (await site.get(f"/register/{seeded.campaign.register_key}.json")).json()
    assert register["signatories"][0]["standing"] == "overdue"
    token = rr.link_token(to_signatory)
    page, csrf = await _form(site, token)
    assert "overdue" in seen(page)
    fields = _fields(
        view.report_id, csrf, "submit", **{k: ("in_progress", f"Late: {k}", "") for k in ("c1", "c2", "c3")}
    )
    late = await site.post(f"/r/{token}", data=fields)
    assert late.status_code == 200 and "late (it was due by" in seen(late)
    [request] = await _mails(mailbox, "review_request", 1)
    assert ", late." in seen(request)
    review = rr.link_token(request, rr.REVIEW_LINK)
    page = await site.get(f"/rv/{review}")
    assert 'data-on-time="no"' in seen(page)
    done = await site.post(
        f"/rv/{review}",
        data={"csrf_token": csrf_from(page.text), "report_id": str(view.report_id), "decision": "accept"},
    )
    assert done.status_code == 200
    result = await cycle.handle.result()
    assert (result.accepted, result.standing) == (True, "good")
    await _mails(mailbox, "standing_changed", 4)
    register = (await site.get(f"/register/{seeded.campaign.register_key}.json")).json()
    assert register["signatories"][0]["standing"] == "good"
