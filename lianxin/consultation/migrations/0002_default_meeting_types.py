"""The default meeting types (consultation/defaults.py): 居民议事会, 居民代表会议, 物业–居民面对面,
党支部委员会会议, “两委”会议, 党员大会, 村民代表会议, 村民会议 — editable data afterwards."""

from django.db import migrations


def install(apps, schema_editor):  # noqa: ANN001, ANN201
    from lianxin.consultation.defaults import install_defaults

    install_defaults(apps.get_model("consultation", "MeetingType"))


class Migration(migrations.Migration):
    dependencies = [("consultation", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
