"""The app on the demo programme (two approved public plans, two accepted years each), needing no workflow."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.app import create_app
from models.action_plan import ActionPlan
from pledgeflow.dev.demo_plans import ensure_demo_programme


@pytest.fixture
def app(settings, db) -> FastAPI:
    async def no_temporal():
        raise AssertionError("plan pages need no workflow")

    ensure_demo_programme(db)
    return create_app(settings, engine=db, connect_temporal=no_temporal)


def demo_plan(db: Engine, country: str) -> ActionPlan:
    """The demo plan of a country (GH or CI)."""
    with Session(db) as session:
        return session.exec(select(ActionPlan).where(ActionPlan.country == country)).one()
