"""Triggers that refuse UPDATE and DELETE of audit events (see lianxin/audit/guard.py).

Note for later migrations: on SQLite, Django rebuilds a table for most ALTERs and the rebuild
drops its triggers; a migration that alters audit_auditevent must run `install_triggers`
again (lianxin/audit/tests/test_append_only.py fails otherwise).
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from lianxin.audit.guard import install_triggers

    install_triggers(schema_editor)


def backwards(apps, schema_editor):
    from lianxin.audit.guard import remove_triggers

    remove_triggers(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
