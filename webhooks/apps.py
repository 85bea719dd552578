from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        # Services queue deliveries through this hook, so they need not import the tasks
        # (imports in the room go services <- delivery <- tasks).
        from webhooks import services, tasks

        services.dispatcher_register(tasks.dispatch)
