"""Database triggers: the rows that record what happened are append-only
(lianxin/audit/guard.py). On SQLite a later migration that rebuilds one of these tables drops
its triggers and must install them again."""

from django.db import migrations

TABLES = (
    "stars_incomestatement",
    "stars_incomeline",
    "stars_reviewstep",
    "stars_standardscore",
    "stars_contestscore",
    "stars_assessment",
)


def forwards(apps, schema_editor):  # noqa: ANN001, ANN201
    from lianxin.audit.guard import install_table_triggers

    install_table_triggers(schema_editor, *TABLES)


def backwards(apps, schema_editor):  # noqa: ANN001, ANN201
    from lianxin.audit.guard import remove_table_triggers

    remove_table_triggers(schema_editor, *TABLES)


class Migration(migrations.Migration):
    dependencies = [("stars", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
