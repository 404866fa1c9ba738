"""Append-only at the database level: triggers refuse UPDATE and DELETE of audit events.

The model already refuses `save()` on an existing row and `delete()`; the triggers also stop
`QuerySet.update()/delete()`, raw SQL and anyone with a database shell who goes through the
application's connection settings. Both databases raise an integrity error:

- PostgreSQL: a PL/pgSQL trigger function (`lianxin_audit_append_only`) on the table.
- SQLite: two triggers with `RAISE(ABORT, ...)`, guarded by the SQL function
  `lianxin_audit_locked()` that the application registers on every connection. A tool that
  opens the file without that function cannot run the statement at all.

`audit_maintenance()` is the one deliberate opening, for purging events past the retention
period and for emptying a test database between transactional tests (PostgreSQL empties
tables with TRUNCATE, which row triggers do not see; SQLite uses DELETE).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.db import connections

TABLE = "audit_auditevent"
MESSAGE = "audit events are append-only"

_maintenance: ContextVar[bool] = ContextVar("lianxin_audit_maintenance", default=False)

POSTGRES_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION lianxin_audit_append_only() RETURNS trigger AS $$
    BEGIN
        IF current_setting('lianxin.audit_maintenance', true) = 'on' THEN
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    f"DROP TRIGGER IF EXISTS audit_auditevent_append_only ON {TABLE}",
    f"""
    CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION lianxin_audit_append_only()
    """,
]
POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS audit_auditevent_append_only ON {TABLE}",
    "DROP FUNCTION IF EXISTS lianxin_audit_append_only()",
]
SQLITE_INSTALL = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
    f"""
    CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON {TABLE}
    WHEN lianxin_audit_locked()
    BEGIN SELECT RAISE(ABORT, '{MESSAGE} (UPDATE refused)'); END
    """,
    f"""
    CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON {TABLE}
    WHEN lianxin_audit_locked()
    BEGIN SELECT RAISE(ABORT, '{MESSAGE} (DELETE refused)'); END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
]


def _statements(vendor: str, *, install: bool) -> list[str]:
    if vendor == "postgresql":
        return POSTGRES_INSTALL if install else POSTGRES_REMOVE
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    raise NotImplementedError(f"no append-only triggers for database vendor {vendor!r}")


# The same guard for other append-only tables (points ledger, proposal events ...): one
# generic PL/pgSQL function naming the table, and per-table SQLite triggers consulting the
# same `lianxin_audit_locked()` function, so `audit_maintenance()` opens them all.
POSTGRES_GENERIC = """
    CREATE OR REPLACE FUNCTION lianxin_append_only() RETURNS trigger AS $$
    BEGIN
        IF current_setting('lianxin.audit_maintenance', true) = 'on' THEN
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '% rows are append-only (% refused)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql
"""


def table_statements(vendor: str, table: str, *, install: bool) -> list[str]:
    """Install (or remove) append-only triggers on `table` (a model's db_table)."""
    if vendor == "postgresql":
        drop = f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"
        if not install:
            return [drop]
        return [
            POSTGRES_GENERIC,
            drop,
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION lianxin_append_only()",
        ]
    if vendor == "sqlite":
        drops = [
            f"DROP TRIGGER IF EXISTS {table}_no_update",
            f"DROP TRIGGER IF EXISTS {table}_no_delete",
        ]
        if not install:
            return drops
        return [
            *drops,
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"WHEN lianxin_audit_locked() BEGIN SELECT RAISE(ABORT, "
            f"'{table} rows are append-only (UPDATE refused)'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"WHEN lianxin_audit_locked() BEGIN SELECT RAISE(ABORT, "
            f"'{table} rows are append-only (DELETE refused)'); END",
        ]
    raise NotImplementedError(f"no append-only triggers for database vendor {vendor!r}")


def install_table_triggers(schema_editor: Any, *tables: str) -> None:
    """For a migration: guard each table (call again after a migration that rebuilds one on
    SQLite, where a rebuild drops the table's triggers)."""
    for table in tables:
        for sql in table_statements(schema_editor.connection.vendor, table, install=True):
            schema_editor.execute(sql, params=None)


def remove_table_triggers(schema_editor: Any, *tables: str) -> None:
    for table in tables:
        for sql in table_statements(schema_editor.connection.vendor, table, install=False):
            schema_editor.execute(sql, params=None)


def install_triggers(schema_editor: Any) -> None:
    """Create the triggers on the connection of a migration's schema editor."""
    for sql in _statements(schema_editor.connection.vendor, install=True):
        schema_editor.execute(sql, params=None)


def remove_triggers(schema_editor: Any) -> None:
    for sql in _statements(schema_editor.connection.vendor, install=False):
        schema_editor.execute(sql, params=None)


def _sqlite_locked() -> int:
    return 0 if _maintenance.get() else 1


def register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: the SQL function the SQLite triggers consult."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("lianxin_audit_locked", 0, _sqlite_locked)


@contextlib.contextmanager
def audit_maintenance(using: str = "default") -> Iterator[None]:
    """Allow UPDATE/DELETE of audit events inside this block (retention purge, test teardown).

    Callers are expected to write their own summary event (e.g. how many rows were purged).
    """
    connection = connections[using]
    token = _maintenance.set(True)
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('lianxin.audit_maintenance', 'on', false)")
        yield
    finally:
        _maintenance.reset(token)
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('lianxin.audit_maintenance', 'off', false)")
