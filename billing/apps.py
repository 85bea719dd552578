from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self) -> None:
        from billing.recurring import generator_health
        from core.health import register_health_check

        # /health lives in the hallway, which imports no room: billing registers its check.
        register_health_check("recurring_invoices", generator_health)
