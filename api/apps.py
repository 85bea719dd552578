from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API platform"

    def ready(self):
        from api import strict_fields

        strict_fields.install()
