from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        from core import pg_loaders

        connection_created.connect(pg_loaders.install, dispatch_uid="core.pg_loaders")
