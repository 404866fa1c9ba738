"""Default categories, SLA targets and settings (cases.defaults); editable afterwards."""

from decimal import Decimal

from django.db import migrations


def load(apps, schema_editor):  # noqa: ANN001, ANN201
    from lianxin.cases.defaults import CATEGORY_TREE, SLA_DEFAULTS

    Category = apps.get_model("cases", "Category")
    SlaTarget = apps.get_model("cases", "SlaTarget")
    CaseSettings = apps.get_model("cases", "CaseSettings")
    order = 0
    for code, name, leaves in CATEGORY_TREE:
        order += 10
        parent, _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": order}
        )
        for leaf in leaves:
            order += 1
            lcode, lname, help_text, keywords, level, kind, urgency = leaf
            Category.objects.get_or_create(
                code=lcode,
                defaults={
                    "parent": parent,
                    "name": lname,
                    "help_text": help_text,
                    "keywords": keywords,
                    "default_level": level,
                    "default_handler_kind": kind,
                    "default_urgency": urgency,
                    "sort_order": order,
                },
            )
    for urgency, r_w, r_c, s_w, s_c in SLA_DEFAULTS:
        SlaTarget.objects.get_or_create(
            category=None,
            urgency=urgency,
            defaults={
                "respond_within": Decimal(r_w),
                "respond_counting": r_c,
                "resolve_within": Decimal(s_w),
                "resolve_counting": s_c,
            },
        )
    if not CaseSettings.objects.exists():
        CaseSettings.objects.create()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
