from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "lianxin.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created

        from lianxin.audit import signals  # noqa: F401
        from lianxin.audit.guard import register_sqlite_function

        connection_created.connect(
            register_sqlite_function, dispatch_uid="lianxin_audit_sqlite_guard"
        )
        # A connection opened before the app registry was ready still needs the function.
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None:
                register_sqlite_function(sender=None, connection=connection)
