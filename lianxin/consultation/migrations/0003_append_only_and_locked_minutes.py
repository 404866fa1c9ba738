"""Database triggers: what records a meeting (sign-ins, ballots, minutes revisions and
addenda, matter events, progress updates, pledge reports and scores) is append-only
(lianxin/audit/guard.py), and a locked `consultation_minutes` row refuses UPDATE and DELETE.

On SQLite a later migration that rebuilds one of these tables drops its triggers: such a
migration must install them again (test_append_only_consultation checks).
"""

from django.db import migrations

TABLES = (
    "consultation_attendance",
    "consultation_ballot",
    "consultation_minutesrevision",
    "consultation_minutesaddendum",
    "consultation_matterevent",
    "consultation_progressupdate",
    "consultation_pledgereport",
    "consultation_pledgescore",
)
MINUTES = "consultation_minutes"
MESSAGE = "locked minutes cannot change"

POSTGRES = [
    f"""
    CREATE OR REPLACE FUNCTION lianxin_minutes_locked() RETURNS trigger AS $$
    BEGIN
        IF current_setting('lianxin.audit_maintenance', true) = 'on' OR OLD.locked_at IS NULL THEN
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    f"DROP TRIGGER IF EXISTS {MINUTES}_locked ON {MINUTES}",
    f"CREATE TRIGGER {MINUTES}_locked BEFORE UPDATE OR DELETE ON {MINUTES} "
    "FOR EACH ROW EXECUTE FUNCTION lianxin_minutes_locked()",
]
POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS {MINUTES}_locked ON {MINUTES}",
    "DROP FUNCTION IF EXISTS lianxin_minutes_locked()",
]
SQLITE = [
    f"DROP TRIGGER IF EXISTS {MINUTES}_locked_update",
    f"DROP TRIGGER IF EXISTS {MINUTES}_locked_delete",
    f"CREATE TRIGGER {MINUTES}_locked_update BEFORE UPDATE ON {MINUTES} "
    f"WHEN OLD.locked_at IS NOT NULL AND lianxin_audit_locked() "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE} (UPDATE refused)'); END",
    f"CREATE TRIGGER {MINUTES}_locked_delete BEFORE DELETE ON {MINUTES} "
    f"WHEN OLD.locked_at IS NOT NULL AND lianxin_audit_locked() "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE} (DELETE refused)'); END",
]
SQLITE_REMOVE = SQLITE[:2]


def forwards(apps, schema_editor):  # noqa: ANN001, ANN201
    from lianxin.audit.guard import install_table_triggers

    install_table_triggers(schema_editor, *TABLES)
    vendor = schema_editor.connection.vendor
    for sql in POSTGRES if vendor == "postgresql" else SQLITE:
        schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):  # noqa: ANN001, ANN201
    from lianxin.audit.guard import remove_table_triggers

    remove_table_triggers(schema_editor, *TABLES)
    vendor = schema_editor.connection.vendor
    for sql in POSTGRES_REMOVE if vendor == "postgresql" else SQLITE_REMOVE:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("consultation", "0002_default_meeting_types")]

    operations = [migrations.RunPython(forwards, backwards)]
