"""No plaintext ID number or phone in the database file or in the logs (DESIGN.md invariant 3)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from lianxin.core import crypto
from lianxin.core.testing import make_household
from lianxin.people.imports import run_import_job
from lianxin.people.services import import_job_create, resident_create, resident_update
from lianxin.people.tests import factories

PHONES = ["13912340001", "13912340002", "13912340003", "13912340004"]


def _database_bytes(tmp_path: Path) -> bytes:
    """The bytes of the whole SQLite database, as they would lie in its file (the test
    database may live in memory: copy it page by page into a real file first)."""
    raw = connection.connection
    if hasattr(raw, "serialize"):  # Python 3.11+: the exact file image, this connection's view
        return raw.serialize()
    target = tmp_path / "copy.sqlite3"
    with sqlite3.connect(target) as dest:
        raw.backup(dest)
    return target.read_bytes()


@pytest.mark.django_db
def test_no_plaintext_in_database_file_or_logs(world, tmp_path, caplog) -> None:  # noqa: ANN001
    if connection.vendor != "sqlite":
        pytest.skip("scans the SQLite database file")
    caplog.set_level(logging.DEBUG)
    ids = [factories.id_number() for _ in range(4)]
    household = make_household(world.building)
    # Through the service,
    resident = resident_create(
        household=household, name="隐私一", id_number=ids[0], phone=PHONES[0]
    )
    resident_update(resident=resident, name="隐私一", phone=PHONES[1])
    # through the page (and its reveal, which is audited),
    client = world.client("grid_worker")
    client.post(
        reverse("people:resident_create", kwargs={"public_id": household.public_id}),
        {"name": "隐私二", "id_number": ids[1], "phone": PHONES[2]},
    )
    client.post(
        reverse("people:resident_reveal", kwargs={"public_id": resident.public_id}),
        {"field": "phone"},
    )
    # and through an import, with a bad row whose report must not quote it.
    content = factories.xlsx(
        ["门牌", "姓名", "身份证号", "手机号"],
        [["9号", "隐私三", ids[2], PHONES[3]], ["9号", "隐私四", ids[3][:-1], ""]],
    )
    job = import_job_create(
        actor=world.actor("village_staff"),
        kind="residents",
        unit=world.village,
        mode="valid_only",
        filename="p.xlsx",
        content=content,
        enqueue=False,
    )
    run_import_job(job.pk)
    data = _database_bytes(tmp_path)
    # Controls: the scan does see the stored rows, from every path (page, service, import).
    assert crypto.phone_digest(PHONES[2]).encode() in data
    assert all(name.encode() in data for name in ("隐私一", "隐私二", "隐私三"))
    logs = caplog.text
    for value in [*ids, *[i[:-1] for i in ids], *PHONES]:
        assert value.encode() not in data, "plaintext in the database file"
        assert value not in logs, "plaintext in the logs"
