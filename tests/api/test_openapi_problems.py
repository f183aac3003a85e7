"""The OpenAPI schema documents what the API answers: problem+json errors, 400s, local quiet hours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import create_engine

from api.app import create_app
from models.policy import ChasePolicy, QuietHours
from pledgeflow.config import Settings
from tests import factories
from tests.conftest import TEST_SECRET
from tests.helpers import app_without_temporal, asgi_client, settings_without_temporal

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    engine = create_engine("sqlite://")
    app = create_app(Settings(env="test", secret_key=TEST_SECRET, database_url="sqlite://"), engine=engine)
    schema: dict[str, Any] = app.openapi()
    engine.dispose()
    return schema


def _operations(openapi: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
    ]


def test_every_error_response_is_documented_as_a_problem_only(openapi):
    errors = [
        (label, status, response)
        for label, operation in _operations(openapi)
        for status, response in operation["responses"].items()
        if int(status) >= 400
    ]
    assert len(errors) > 150
    for label, status, response in errors:
        assert response["content"] == PROBLEM, (label, status)
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    problem = openapi["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert problem["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldProblemModel"}


def test_every_validated_operation_documents_its_422_and_every_body_its_400(openapi):
    for label, operation in _operations(openapi):
        if operation.get("parameters") or "requestBody" in operation:
            assert operation["responses"]["422"]["description"] != "Validation Error", label
        if "requestBody" in operation:
            assert operation["responses"]["400"]["description"] == "The body could not be parsed", label


def test_quiet_hours_are_documented_as_local_clock_times(openapi):
    """JSON Schema's format "time" needs a zone offset; quiet hours are in the recipient's zone."""
    quiet = openapi["components"]["schemas"]["QuietHours"]["properties"]
    for name, default in (("start", "19:00:00"), ("end", "08:00:00")):
        assert "format" not in quiet[name]
        assert quiet[name]["type"] == "string"
        assert quiet[name]["pattern"] == "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
        assert quiet[name]["default"] == default
    assert QuietHours().model_dump(mode="json")["start"] == "19:00:00"


@pytest.mark.parametrize("value", ["19:00", "19:00:00", "07:30"])
def test_a_clock_time_is_read(value):
    hours, minutes = int(value[:2]), int(value[3:5])
    assert QuietHours(start=value).start.hour == hours and QuietHours(start=value).start.minute == minutes


@pytest_asyncio.fixture
async def api(database_url, db) -> AsyncIterator[httpx.AsyncClient]:
    app = app_without_temporal(
        settings_without_temporal(database_url, TEST_SECRET),
        db,
        why="creating a campaign does not need Temporal",
    )
    async with asgi_client(app) as client:
        yield client


@pytest.mark.parametrize(
    "value", ["19:00:00+02:00", "19:00:00Z", "7pm", "24:00", "19:00\n", 68400, "19:00:00.5"]
)
async def test_a_quiet_hour_with_a_zone_or_not_a_clock_time_is_a_422_naming_it(api, db, value):
    _, token = factories.coordinator(db)
    policy = ChasePolicy().model_dump(mode="json")
    policy["quiet_hours"]["start"] = value
    response = await api.post(
        "/campaigns",
        json={"title": "T", "region": "GH", "timezone": "Africa/Accra", "policy": policy},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [problem] = response.json()["errors"]
    assert problem == {
        "field": "policy.quiet_hours.start",
        "reason": "expected a time of day as HH:MM or HH:MM:SS, without a time zone",
    }


async def test_a_body_that_is_not_json_is_a_422_naming_the_body(api, db):
    _, token = factories.coordinator(db)
    response = await api.post(
        "/campaigns",
        content=b'{"title": ',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "body", "reason": "not valid JSON: Expecting value at character 10"}
    ]


async def test_a_body_that_cannot_be_decoded_is_the_documented_400_problem(api, db):
    _, token = factories.coordinator(db)
    response = await api.post(
        "/campaigns",
        content=b'{"title": "\xff"}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["type"], body["detail"]) == (
        "https://pledgeflow.org/problems/bad-request",
        "There was an error parsing the body",
    )


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"reminder_days": [7, 10**23]}, "policy.reminder_days.1"),
        ({"reminder_days_before_deadline": [3661]}, "policy.reminder_days_before_deadline.0"),
        ({"ladder": [{"after_days": 10**23, "recipient": "contact"}]}, "policy.ladder.0.after_days"),
    ],
)
async def test_a_chasing_delay_past_ten_years_is_a_422_not_a_stuck_workflow(api, db, policy, field):
    """timedelta(days=10**23) would fail the chasing workflow at launch; the request is refused instead."""
    _, token = factories.coordinator(db)
    response = await api.post(
        "/campaigns",
        json={"title": "T", "region": "GH", "timezone": "Africa/Accra", "policy": policy},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": field, "reason": "Input should be less than or equal to 3660"}
    ]


@pytest.mark.parametrize("path", ["/campaigns/{id}/reports/summary", "/campaigns/{id}/reports.csv"])
async def test_a_summary_before_the_pledge_is_the_documented_409(api, db, openapi, path):
    seeded = factories.campaign_with_invitees(db, count=0, with_pledge=False)
    response = await api.get(
        path.replace("{id}", str(seeded.campaign.id)), headers={"Authorization": f"Bearer {seeded.token}"}
    )
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == f"campaign {seeded.campaign.id} has no pledge"
    documented = openapi["paths"][path.replace("{id}", "{campaign_id}")]["get"]["responses"]
    assert documented["409"]["content"] == PROBLEM
