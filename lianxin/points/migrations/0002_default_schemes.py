"""Default schemes and catalogs (points/defaults.py) for 2026 and the year of installation."""

import datetime as dt

from django.db import migrations


def install(apps, schema_editor):  # noqa: ANN001, ANN201
    from lianxin.points.defaults import install_defaults

    for year in sorted({2026, dt.datetime.now(tz=dt.UTC).year}):
        install_defaults(apps, year)


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
