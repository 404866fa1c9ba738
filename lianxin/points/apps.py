from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "lianxin.points"
    verbose_name = "党群积分"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Automatic awards listen to the apps before this one (DESIGN.md dependency order).
        from lianxin.points import receivers  # noqa: F401
