from django.apps import AppConfig


class ConsultationConfig(AppConfig):
    name = "lianxin.consultation"
    verbose_name = "协商议事"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Milestones follow the requests they are linked to (cases comes before this app).
        from lianxin.consultation import receivers  # noqa: F401
