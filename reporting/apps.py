from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"

    def ready(self) -> None:
        from core.hooks import on_money_moved
        from reporting.hooks import rollups_refresh_on_commit

        on_money_moved(rollups_refresh_on_commit)
