"""Official Chinese public holidays and make-up working days (调休) for 2025 and 2026.

Sources (the State Council General Office's yearly notices, published by Xinhua):

- 2025: 《国务院办公厅关于2025年部分节假日安排的通知》(国办发明电〔2024〕12号), 12 November
  2024, https://m.gmw.cn/2024-11/12/content_1303894933.htm — the first schedule under the
  November 2024 revision of 《全国年节及纪念日放假办法》 (Spring Festival and Labour Day one
  day longer each).
- 2026: 《国务院办公厅关于2026年部分节假日安排的通知》, 4 November 2025,
  https://politics.gmw.cn/2025-11/04/content_38391083.htm

Every day of each holiday period is stored as a rest day (is_workday=False, weekends
included, so the calendar page shows whole periods with their names); each make-up working
day on a weekend is stored as a working day. Existing rows for the same dates are kept
(staff may have edited them), so the migration is safe to run on a live calendar. Later years
are added on the configuration page when the State Council publishes them (each November).
The reverse is a no-op: removing holidays on rollback would silently change due times.
"""

import datetime as dt

from django.db import migrations

# (name, first rest day, last rest day, make-up working days)
SCHEDULE = [
    # 2025 (国办发明电〔2024〕12号)
    ("元旦", "2025-01-01", "2025-01-01", []),
    ("春节", "2025-01-28", "2025-02-04", ["2025-01-26", "2025-02-08"]),
    ("清明节", "2025-04-04", "2025-04-06", []),
    ("劳动节", "2025-05-01", "2025-05-05", ["2025-04-27"]),
    ("端午节", "2025-05-31", "2025-06-02", []),
    ("国庆节、中秋节", "2025-10-01", "2025-10-08", ["2025-09-28", "2025-10-11"]),
    # 2026 (国务院办公厅 2025-11-04)
    ("元旦", "2026-01-01", "2026-01-03", ["2026-01-04"]),
    ("春节", "2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"]),
    ("清明节", "2026-04-04", "2026-04-06", []),
    ("劳动节", "2026-05-01", "2026-05-05", ["2026-05-09"]),
    ("端午节", "2026-06-19", "2026-06-21", []),
    ("中秋节", "2026-09-25", "2026-09-27", []),
    ("国庆节", "2026-10-01", "2026-10-07", ["2026-09-20", "2026-10-10"]),
]


def days():  # noqa: ANN201
    """(date, is_workday, name) for every row the schedule defines."""
    out = []
    for name, first, last, makeup in SCHEDULE:
        day = dt.date.fromisoformat(first)
        end = dt.date.fromisoformat(last)
        while day <= end:
            out.append((day, False, name))
            day += dt.timedelta(days=1)
        for m in makeup:
            out.append((dt.date.fromisoformat(m), True, f"{name}调休上班"))
    return out


def load(apps, schema_editor):  # noqa: ANN001, ANN201
    CalendarDay = apps.get_model("core", "CalendarDay")
    existing = set(CalendarDay.objects.values_list("day", flat=True))
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(day=day, is_workday=workday, name=name)
            for day, workday, name in days()
            if day not in existing
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_working_calendar")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
