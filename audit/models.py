"""The audit trail (append-only) and the closed-books setting (contract section 9)."""

from django.db import models
from django.utils import timezone

from core.actor import API_KEY, SYSTEM, USER


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit entry."""


class ActorType(models.TextChoices):
    API_KEY = API_KEY, "API key"
    USER = USER, "Admin user"
    SYSTEM = SYSTEM, "System"


class AuditEventQuerySet(models.QuerySet):
    # The database refuses these too on PostgreSQL (a trigger, migration 0002); this says so
    # before the query is sent, on every database.
    def update(self, **kwargs):
        raise AppendOnlyError("Audit entries cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit entries cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Audit entries cannot be changed.")


class AuditEvent(models.Model):
    """One write: who (`actor_*`), what (`action` on `resource` #`resource_id`), which values
    changed (`changes`: `{field: [before, after]}`), when, and under which request id.

    Written by `audit.services.audit_record` in the writer's own transaction. Never updated or
    deleted: `save()` of an existing row, `delete()` and queryset `update()`/`delete()` raise
    `AppendOnlyError`, and on PostgreSQL a trigger refuses UPDATE and DELETE.
    """

    at = models.DateTimeField(default=timezone.now, editable=False)
    actor_type = models.CharField(max_length=10, choices=ActorType.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=100)
    resource = models.CharField(max_length=50)
    resource_id = models.CharField(max_length=64)
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=128, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [
            # The API's filters; the list is newest first (-id), so each index ends with id.
            models.Index(fields=["resource", "resource_id", "id"], name="audit_resource_idx"),
            models.Index(fields=["actor_type", "id"], name="audit_actor_type_idx"),
            models.Index(fields=["at"], name="audit_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.resource} #{self.resource_id} by {self.actor_name}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit entries cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit entries cannot be deleted.")


class Books(models.Model):
    """The closed-books setting: one row (pk 1) per database, created on the first change.
    Money dated on or before `closed_through` can no longer be written (`core.books`)."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON, editable=False)
    closed_through = models.DateField(
        null=True,
        blank=True,
        help_text="Last day of the closed period. Empty: no period is closed.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "books"
        verbose_name_plural = "books"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="books_one_row")]

    def __str__(self) -> str:
        if self.closed_through is None:
            return "Books (open)"
        return f"Books closed through {self.closed_through.isoformat()}"
