"""Schemathesis over every operation of the OpenAPI schema, as a coordinator, against the real app.

The app runs with its real database (SQLite, or PLEDGEFLOW_TEST_DATABASE_URL), a real Temporal test
server and real workers (with the loopback SMTP server), over records seeded through the services so
that generated requests also reach real ids. Every response must conform to the schema (status,
content type, body), no response is a 5xx, and every error is a problem+json document.

Bounded for a 2-core machine: PLEDGEFLOW_FUZZ_EXAMPLES examples per operation (default 40, no
per-example deadline). The figures (operations, requests, statuses, 5xx) are printed at the end and
written to PLEDGEFLOW_FUZZ_REPORT (a JSON file) when that is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.deps import MAX_RECORD_ID
from pledgeflow.config import Settings
from pledgeflow.dev.mail_sink import MailSink
from tests import factories
from tests.conftest import TEST_SECRET, _empty_all_tables
from tests.helpers import running_workers

pytestmark = pytest.mark.db  # it runs on SQLite and on PostgreSQL (about 40 s each on 2 cores)

EXAMPLES = int(os.environ.get("PLEDGEFLOW_FUZZ_EXAMPLES", "40"))
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "errors"}


@dataclass
class Figures:
    """What the run did, for the lead's closing note."""

    operations: set[str] = field(default_factory=set)
    started: set[str] = field(default_factory=set)  # operations whose test ran (a -k run does part)
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.monotonic)

    def record(self, label: str, status: int, detail: str) -> None:
        self.operations.add(label)
        self.requests += 1
        self.statuses[status] += 1
        if status >= 500:
            self.server_errors.append(f"{label} -> {status}: {detail[:300]}")

    def summary(self) -> dict[str, Any]:
        return {
            "operations": len(self.operations),
            "requests": self.requests,
            "5xx": sum(n for s, n in self.statuses.items() if s >= 500),
            "statuses": {str(s): n for s, n in sorted(self.statuses.items())},
            "examples_per_operation": EXAMPLES,
            "seconds": round(time.monotonic() - self.started_at, 1),
        }


class WorkersThread:
    """The real workers, on their own event loop: the fuzzer's calls block the test's thread."""

    def __init__(self, address: str, settings: Settings, engine: Engine) -> None:
        self._address, self._settings, self._engine = address, settings, engine
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        client = await Client.connect(self._address, namespace=self._settings.temporal_namespace)
        async with running_workers(client, self._settings, self._engine):
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> WorkersThread:
        self._thread.start()
        assert self._ready.wait(60), "the workers did not start"
        return self

    def __exit__(self, *_: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)


class ServedApp:
    """The app as a server runs it: the client gets the 500 problem, the exception goes to the log.

    Starlette re-raises an unexpected error after sending its 500 (for the server to log); the ASGI
    client of Schemathesis would raise it into the test instead of counting the 500.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception:
            logging.getLogger(__name__).exception("the app failed (it answered a 500)")


@dataclass
class Stack:
    app: FastAPI
    token: str
    ids: dict[str, int]
    figures: Figures


@pytest.fixture(scope="module")
def fuzz_stack(
    request: pytest.FixtureRequest,
    engine: Engine,
    database_url: str,
    mail_sink: MailSink,
    ts_env: WorkflowEnvironment,
) -> Iterator[Stack]:
    """The app, its workers and seeded records: a draft campaign with a pledge and three invitees."""
    _empty_all_tables(engine)
    queue = f"tq-fuzz-{uuid.uuid4().hex[:8]}"
    app_settings = Settings(
        env="test",
        database_url=database_url,
        smtp_host=mail_sink.host,
        smtp_port=mail_sink.port,
        secret_key=TEST_SECRET,
        public_base_url="http://testserver",
        task_queue=queue,
        email_task_queue=f"{queue}-email",
        temporal_address=ts_env.client.service_client.config.target_host,
        # Schemathesis' own ignored-auth check sends refused tokens from this one address; the
        # failed-auth limit would then answer 429 to everything after (tests/access/test_rate_limits.py
        # covers the limits themselves).
        rate_limit_enabled=False,
    )
    seeded = factories.campaign_with_invitees(engine, count=3)
    ids = {
        "campaign_id": seeded.campaign.id or 0,
        "organisation_id": seeded.organisations[0].id or 0,
        "contact_id": seeded.contacts[0].id or 0,
        "invitation_id": seeded.invitations[0].id or 0,
    }

    async def connect() -> Client:
        # A client of the app's own event loop (Schemathesis runs the app in its own thread).
        return await Client.connect(app_settings.temporal_address, namespace=app_settings.temporal_namespace)

    app = create_app(app_settings, engine=engine, connect_temporal=connect)
    figures = Figures()
    with WorkersThread(app_settings.temporal_address, app_settings, engine):
        yield Stack(app=app, token=seeded.token, ids=ids, figures=figures)
    summary = {**figures.summary(), "database": engine.dialect.name}
    # Past pytest's capture, so the figures show without -s.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print("\nSchemathesis figures: " + json.dumps(summary), flush=True)
    if os.environ.get("PLEDGEFLOW_FUZZ_REPORT"):
        with open(os.environ["PLEDGEFLOW_FUZZ_REPORT"], "w", encoding="utf-8") as report:
            json.dump({**summary, "server_errors": figures.server_errors}, report, indent=2)


def _seeded(value: Any, ids: dict[str, int]) -> Any:
    """The value with every valid id (by its name: campaign_id, organisation_id...) made a seeded one."""
    if isinstance(value, dict):
        return {
            name: ids[name]
            if name in ids and isinstance(v, int) and 1 <= v <= MAX_RECORD_ID
            else _seeded(v, ids)
            for name, v in value.items()
        }
    if isinstance(value, list):
        return [_seeded(item, ids) for item in value]
    return value


def _with_seeded_ids(values: Any, ids: dict[str, int]) -> st.SearchStrategy[Any]:
    """The generated values, or the same with the seeded records' ids, so requests reach real rows.

    Only ids that are already valid are swapped: a negative case stays negative.
    """
    swapped = _seeded(values, ids)
    return st.just(values) if swapped == values else st.sampled_from([values, swapped])


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_stack: Stack) -> schemathesis.BaseSchema:
    """The app's own OpenAPI schema, loaded over ASGI, with the seeded ids mixed into generation."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", ServedApp(fuzz_stack.app))
    ids = fuzz_stack.ids

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> st.SearchStrategy[Any]:
        return _with_seeded_ids(path_parameters, ids)

    @schema.hook
    def flatmap_query(context: Any, query: dict[str, Any] | None) -> st.SearchStrategy[Any]:
        return _with_seeded_ids(query, ids)

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
        return _with_seeded_ids(body, ids)

    return schema


def _documented_operations() -> list[str]:
    """Every operation of the OpenAPI schema ("GET /campaigns"), read from an app built for that."""
    engine = create_engine("sqlite://")
    app = create_app(Settings(env="test", secret_key=TEST_SECRET, database_url="sqlite://"), engine=engine)
    labels = [f"{method.upper()} {path}" for path, item in app.openapi()["paths"].items() for method in item]
    engine.dispose()
    return labels


OPERATIONS = _documented_operations()


def _problem_failures(label: str, response: schemathesis.Response) -> list[str]:
    """Why an error response is not a problem document (empty when it is one)."""
    if response.status_code < 400:
        return []
    content_type = response.headers.get("content-type", [""])[0]
    if content_type != "application/problem+json":
        return [f"{label} {response.status_code} answered {content_type!r}"]
    body = response.json()
    if not set(body) >= PROBLEM_FIELDS or body["status"] != response.status_code:
        return [f"{label} {response.status_code} is not a problem: {response.text[:200]}"]
    return []


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_conforms_and_never_fails(
    label: str, fuzz_schema: schemathesis.BaseSchema, fuzz_stack: Stack
) -> None:
    """Valid and invalid requests alike: no 5xx, problem+json errors, responses as documented."""
    fuzz_stack.figures.started.add(label)
    method, path = label.split(" ", 1)
    operation = fuzz_schema[path][method]
    # The token is a fixed header: negative cases mutate the rest of the request, not the credentials
    # (an unauthenticated request is Schemathesis' own ignored_auth check).
    auth = {"Authorization": f"Bearer {fuzz_stack.token}"}
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE, headers=auth),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, headers=auth),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same requests every run, so a failure reproduces
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: schemathesis.Case[Any]) -> None:
        response = case.call()
        fuzz_stack.figures.record(label, response.status_code, response.text)
        assert _problem_failures(label, response) == []
        # Every default check (no 5xx, documented status, content type, headers, body schema, invalid
        # data rejected, ignored auth...) except positive_data_acceptance: a schema-valid request may
        # still be refused by the domain with a documented 4xx (an unknown organisation id, a
        # spreadsheet without rows), which a schema cannot express.
        case.validate_response(response, headers=auth, excluded_checks=[positive_data_acceptance])

    run()


def test_the_run_covered_every_operation(fuzz_stack: Stack) -> None:
    """After the fuzz test: every documented operation was called, and none answered a 5xx."""
    if fuzz_stack.figures.started != set(OPERATIONS):
        pytest.skip("only part of the operations were fuzzed in this run")
    assert fuzz_stack.figures.operations == set(OPERATIONS)
    assert fuzz_stack.figures.server_errors == []
