from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail and closed books"

    def ready(self) -> None:
        from celery.signals import task_postrun, task_prerun

        from audit import books
        from core.actor import task_actor_end, task_actor_start
        from core.books import register_closed_through_reader

        # Rooms check closed periods through core.books, which cannot import this app.
        register_closed_through_reader(books.closed_through)
        # `flush` (the sandbox reset, test isolation) empties the table behind the cache.
        post_migrate.connect(books.forget_after_flush, sender=self)
        task_prerun.connect(task_actor_start, weak=False)
        task_postrun.connect(task_actor_end, weak=False)
