"""Shared pytest fixtures: fast hashing, eager tasks, a private data dir, the persona world."""

from __future__ import annotations

import os

import pytest

# Tests marked `sqlite_folder` run `lianxin` in subprocesses on a SQLite data folder, whatever
# the suite's own database: they do the same work in the PostgreSQL suite, so they run once,
# in the SQLite suite (CI runs both suites side by side; the duplicate cost minutes).
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="runs on a SQLite data folder: covered by the SQLite suite")
    for item in items:
        if item.get_closest_marker("sqlite_folder"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):  # noqa: ANN001, ANN202
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    from lianxin.core import snapshot

    # Configuration rows of a rolled-back test must not stay cached for the next one.
    snapshot.invalidate_all()
    yield


@pytest.fixture
def world(db):  # noqa: ANN001, ANN201
    from lianxin.core.testing import build_world

    return build_world()


@pytest.fixture
def restore_migration_data(django_db_blocker):  # noqa: ANN001, ANN201
    """For transactional tests (real commits seen by other connections): requested before
    `transactional_db`, it tears down after the flush and puts the data migrations' rows
    back (`serialized_rollback` cannot: it re-saves rows the append-only triggers refuse)."""
    yield
    from lianxin.core.testing import rerun_data_migrations

    with django_db_blocker.unblock():
        rerun_data_migrations()
