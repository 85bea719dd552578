from django.apps import AppConfig
from django.db.models.signals import post_migrate


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users and API keys"

    def ready(self) -> None:
        from users import signals
        from users.roles import sync_role_groups

        signals.connect()

        # Permission groups are infrastructure, not business data: rebuilt after every app's
        # migrate (permissions of apps listed after `users` only exist by then), so new
        # models' permissions reach the staff and viewer roles.
        post_migrate.connect(sync_role_groups, dispatch_uid="users.sync_role_groups")
