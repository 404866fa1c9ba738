from django.apps import AppConfig


class WorklistsConfig(AppConfig):
    name = "lianxin.worklists"
    verbose_name = "三张清单与检查整改"
    default_auto_field = "django.db.models.BigAutoField"
