from django.apps import AppConfig


class StarsConfig(AppConfig):
    name = "lianxin.stars"
    verbose_name = "五星支部创建"
    default_auto_field = "django.db.models.BigAutoField"
