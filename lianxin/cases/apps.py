from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "lianxin.cases"
    verbose_name = "诉求办理"
    default_auto_field = "django.db.models.BigAutoField"
