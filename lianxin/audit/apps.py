from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "lianxin.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from lianxin.audit import signals  # noqa: F401
