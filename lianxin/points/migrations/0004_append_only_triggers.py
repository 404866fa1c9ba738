"""Database triggers refuse UPDATE and DELETE of the points ledger and the other append-only
points tables (lianxin/audit/guard.py). The hash chain detects what a database superuser
could still do after disabling them (`lianxin points verify`).

On SQLite a later migration that rebuilds one of these tables drops its triggers: such a
migration must call `install_table_triggers` again (test_append_only_points checks).
"""

from django.db import migrations

TABLES = (
    "points_pointentry",
    "points_proposalevent",
    "points_indicatorrevision",
    "points_remindertalk",
)


def forwards(apps, schema_editor):  # noqa: ANN001, ANN201
    from lianxin.audit.guard import install_table_triggers

    install_table_triggers(schema_editor, *TABLES)


def backwards(apps, schema_editor):  # noqa: ANN001, ANN201
    from lianxin.audit.guard import remove_table_triggers

    remove_table_triggers(schema_editor, *TABLES)


class Migration(migrations.Migration):
    dependencies = [("points", "0003_proposal_batch")]

    operations = [migrations.RunPython(forwards, backwards)]
