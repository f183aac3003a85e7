"""No link token, API token or Authorization value reaches a log line (issue #10, section 2)."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request

from api.app import create_app
from pledgeflow.dev.mail_sink import free_port
from pledgeflow.log_redaction import REDACTED, RedactingFilter, redact
from pledgeflow.observability import configure_logging
from tests import factories
from tests.conftest import TEST_SECRET
from tests.helpers import csrf_from, running_workers, sign_token
from tests.i18n.page_text import seen
from tests.serving import serving
from workflows import client as workflow_client

pytestmark = pytest.mark.any_database  # what a process writes to its logs

API_TOKEN = "pf_" + "Q7x-" * 10 + "abc"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '127.0.0.1:5 - "GET /s/eyJzIjoxfQ.abcDEF_123-x HTTP/1.1" 200',
            '127.0.0.1:5 - "GET /s/[redacted] HTTP/1.1" 200',
        ),
        ("POST /s/eyJzIjoxfQ.abcDEF_123-x/sign", "POST /s/[redacted]/sign"),
        (
            "/w/tok.en /r/tok.en/evidence/3 /rv/tok.en",
            "/w/[redacted] /r/[redacted]/evidence/3 /rv/[redacted]",
        ),
        ("GET /receipts/PF-2026-7KQ2.json", "GET /receipts/[redacted]"),
        ("GET /register/Abc_def-123?x=1", "GET /register/[redacted]?x=1"),
        ("link eyJzIjoxMiwicCI6InNpZ24ifQ.eJpE2j_tPMpvGuq2 expired", "link [redacted] expired"),
        (f"token {API_TOKEN} refused", "token pf_[redacted] refused"),
        (f"Authorization: Bearer {API_TOKEN}", "Authorization: Bearer [redacted]"),
        ("{'authorization': 'Basic dXNlcjpwYXNz'}", "{'authorization': 'Basic [redacted]'}"),
        (
            "GET /campaigns/12 HTTP/1.1 200; GET /register 200",
            "GET /campaigns/12 HTTP/1.1 200; GET /register 200",
        ),
    ],
)
def test_every_kind_of_secret_is_redacted_and_nothing_else(line, expected):
    assert redact(line) == expected


def test_the_filter_redacts_arguments_one_by_one_and_the_traceback():
    try:
        raise ValueError("no invitation for /s/eyJzIjoxfQ.secretpart")
    except ValueError as exc:
        record = logging.LogRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s" %d',
            ("1.2.3.4:5", "GET", "/s/a.b", 200),
            (type(exc), exc, exc.__traceback__),
        )
    assert RedactingFilter().filter(record)
    assert record.args == ("1.2.3.4:5", "GET", f"/s/{REDACTED}", 200)
    assert record.getMessage() == f'1.2.3.4:5 - "GET /s/{REDACTED}" 200'
    assert record.exc_text is not None and "secretpart" not in record.exc_text
    assert f"ValueError: no invitation for /s/{REDACTED}" in record.exc_text


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """The root logger's output, as `pledgeflow api` configures it; restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize("json_logs", [False, True], ids=["text", "json"])
async def test_a_signing_and_a_server_error_leave_no_token_in_the_logs(
    json_logs, log_output, ts_env, settings, db, mailbox
):
    configure_logging(json=json_logs, stream=log_output)

    async def connect():
        return ts_env.client

    app: FastAPI = create_app(settings, engine=db, connect_temporal=connect)

    async def explode(token: str, request: Request) -> None:
        # A failure whose message holds the token, bare and inside the URL.
        raise RuntimeError(f"cannot handle {token} at {request.url}")

    app.add_api_route("/s/{token}/explode", explode)

    seeded = factories.campaign_with_invitees(db, count=1)
    factories.launch(db, seeded.campaign.id)
    async with (
        running_workers(ts_env.client, settings, db),
        serving(app) as base_url,
        httpx.AsyncClient(base_url=base_url) as client,
    ):
        await workflow_client.start_campaign(ts_env.client, settings, seeded.campaign.id)
        [invitation_mail] = await mailbox.wait_for_async(1)
        token = sign_token(invitation_mail)
        page = await client.get(f"/s/{token}")
        assert page.status_code == 200
        form = {"signer_name": "Kwame Mensah", "signer_title": "Director", "consent": "yes"}
        signed = await client.post(f"/s/{token}/sign", data=form | {"csrf_token": csrf_from(page.text)})
        assert signed.status_code == 200 and "Receipt PF-" in seen(signed)
        failed = await client.get(f"/s/{token}/explode")
        assert failed.status_code == 500
        refused = await client.get("/campaigns", headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert refused.status_code == 401
    output = log_output.getvalue()
    lines = output.splitlines()
    if json_logs:
        entries = [json.loads(line) for line in lines if line.startswith("{")]
        messages = [e["message"] for e in entries]
        assert any(e.get("exception") for e in entries)
    else:
        messages = lines
    access = [m for m in messages if '"GET /s/' in m or '"POST /s/' in m]
    assert [m.split('"')[1] for m in access] == [
        f"GET /s/{REDACTED} HTTP/1.1",
        f"POST /s/{REDACTED}/sign HTTP/1.1",
        f"GET /s/{REDACTED}/explode HTTP/1.1",
    ]
    assert any(m.endswith(f"unhandled error on GET /s/{REDACTED}/explode") for m in messages)
    assert f"RuntimeError: cannot handle {REDACTED} at http://127.0.0.1:" in output
    assert token not in output and token.split(".")[0] not in output
    assert API_TOKEN not in output


@pytest.mark.parametrize("json_logs", ["true", "false"], ids=["json", "text"])
def test_the_pledgeflow_api_process_writes_no_token_to_stderr(tmp_path, json_logs):
    port = free_port()
    token = "eyJzIjoxMiwicCI6InNpZ24iLCJlIjoxNzk4NzYxNjAwfQ.eJpE2j_tPMpvGuq2VMK2ZcEZ4vo"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLEDGEFLOW_")},
        "PLEDGEFLOW_ENV": "test",
        "PLEDGEFLOW_SECRET_KEY": TEST_SECRET,
        "PLEDGEFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'api.db'}",
        "PLEDGEFLOW_TEMPORAL_ADDRESS": "127.0.0.1:1",  # never reached by these requests
        "PLEDGEFLOW_LOG_JSON": json_logs,
    }
    api = subprocess.Popen(
        [str(Path(sys.executable).parent / "pledgeflow"), "api", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/livez", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and api.poll() is None, "the API did not start"
                time.sleep(0.1)
        assert httpx.get(f"{base}/s/{token}").status_code == 400
        # A real server error: the database was never migrated ("no such table").
        assert httpx.get(f"{base}/register/Abc_def-123xyz.json").status_code == 500
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        assert httpx.get(f"{base}/campaigns", headers=headers).status_code == 500
    finally:
        api.send_signal(signal.SIGTERM)
        _, stderr = api.communicate(timeout=30)
    assert f"GET /s/{REDACTED} HTTP/1.1" in stderr
    assert f"GET /register/{REDACTED} HTTP/1.1" in stderr
    assert f"unhandled error on GET /register/{REDACTED}" in stderr and "no such table" in stderr
    assert "[SQL parameters hidden due to hide_parameters=True]" in stderr
    assert token not in stderr and "Abc_def-123xyz" not in stderr and API_TOKEN not in stderr
    if json_logs == "true":
        access = [json.loads(line) for line in stderr.splitlines() if '"uvicorn.access"' in line]
        assert len(access) == 4  # /livez, the link page, the register key, /campaigns
