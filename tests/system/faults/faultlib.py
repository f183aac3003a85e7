"""Tools of the fault suite: run an activity the way Temporal retries it, drop database connections,
print the figures the suite reports."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from sqlalchemy.engine import Engine, make_url
from temporalio.testing import ActivityEnvironment

from pledgeflow.dev.mail_sink import Tally

T = TypeVar("T")


def report(scenario: str, n: int, tally: Tally) -> str:
    """One row of the fault suite's table (printed; `pytest -s` or the junit output shows it)."""
    row = (
        f"FAULT-TABLE | {scenario:<38} | n={n:<4} | sent={tally.sent:<4} | unique={tally.unique:<4} "
        f"| duplicates={tally.duplicates:<3} | lost={tally.lost}"
    )
    print(row, flush=True)
    return row


async def run_with_retries(
    function: Callable[[Any], Awaitable[T]], argument: Any, *, attempts: int = 40, backoff: float = 0.2
) -> tuple[T, int]:
    """Run an activity until it succeeds, as Temporal would: each attempt receives the heartbeat
    details the one before it last reported. Returns the result and the number of attempts."""
    details: list[Any] = []
    for attempt in range(1, attempts + 1):
        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, attempt=attempt, heartbeat_details=list(details))

        def beat(*reported: Any) -> None:
            details[:] = list(reported)

        env.on_heartbeat = beat
        try:
            return await env.run(function, argument), attempt
        except Exception:
            if attempt == attempts:
                raise
            await asyncio.sleep(backoff)
    raise AssertionError("unreachable")


@contextmanager
def dropping_connections(
    engine: Engine,
    every: float = 0.3,
    *,
    start_when: Callable[[], bool] = lambda: True,
    stop_when: Callable[[], bool] = lambda: False,
    at_most: float = 30.0,
) -> Iterator[list[int]]:
    """On PostgreSQL, terminate every other connection to the test database in a loop (as
    `pg_terminate_backend` would in an outage), from when `start_when()` holds until `stop_when()`
    does or `at_most` seconds passed; yields the running count of terminations."""
    url = make_url(engine.url).set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)
    terminated = [0]
    stop = threading.Event()

    def loop() -> None:
        while not start_when() and not stop.is_set():
            stop.wait(0.01)
        until = time.monotonic() + at_most
        with psycopg.connect(dsn, autocommit=True) as connection:
            while not stop.is_set() and not stop_when() and time.monotonic() < until:
                rows = connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchall()
                terminated[0] += sum(1 for (done,) in rows if done)
                stop.wait(every)

    thread = threading.Thread(target=loop, name="pg-terminate", daemon=True)
    thread.start()
    try:
        yield terminated
    finally:
        stop.set()
        thread.join(timeout=10)
