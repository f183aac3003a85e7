"""The production secret check refuses guessable keys; the data folder and SQLite file are private."""

from __future__ import annotations

import os
import secrets
import stat

import pytest
from pydantic import ValidationError

from pledgeflow.config import Settings, secret_weakness
from pledgeflow.db import make_engine
from pledgeflow.migrations import migration_engine


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (" " * 32, "it repeats a shorter pattern"),
        ("a" * 32, "it repeats a shorter pattern"),
        ("abcd" * 8, "it repeats a shorter pattern"),
        ("0123456789" * 4, "it repeats a shorter pattern"),
        ("aaaaaaaabbbbbbbbccccccccdddddddd", "it has 4 distinct characters, fewer than 8"),
        ("a" * 24 + "bcdefghi", "its estimated entropy is 50 bits, below 64"),
    ],
)
def test_a_guessable_key_is_refused_in_production_saying_why(key, reason):
    assert secret_weakness(key) == reason
    with pytest.raises(ValidationError) as refused:
        Settings(env="production", secret_key=key)
    assert f"PLEDGEFLOW_SECRET_KEY is not random enough: {reason}; make one with:" in str(refused.value)


def test_random_keys_are_accepted_in_production():
    for key in [secrets.token_urlsafe(24), secrets.token_urlsafe(48), secrets.token_hex(16)]:
        assert Settings(env="production", secret_key=key).secret_key == key


def test_development_keeps_any_key():
    assert Settings(env="development", secret_key="a" * 32).secret_key == "a" * 32


@pytest.fixture
def usual_umask():
    """The usual default umask, which would leave new files readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("make", [make_engine, migration_engine], ids=["app", "migrations"])
def test_the_data_folder_and_sqlite_files_are_created_for_their_owner_only(tmp_path, make, usual_umask):
    data = tmp_path / "var" / "data"
    engine = make(f"sqlite:///{data / 'pledgeflow.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    assert _mode(tmp_path / "var") == 0o700 and _mode(data) == 0o700
    created = sorted(p.name for p in data.iterdir())
    assert "pledgeflow.db" in created
    assert {name: _mode(data / name) for name in created} == dict.fromkeys(created, 0o600)
    engine.dispose()


def test_an_existing_folder_is_left_as_it_is(tmp_path, usual_umask):
    os.chmod(tmp_path, 0o755)
    engine = make_engine(f"sqlite:///{tmp_path / 'pledgeflow.db'}")
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    assert _mode(tmp_path) == 0o755 and _mode(tmp_path / "pledgeflow.db") == 0o600
    engine.dispose()
