import secrets

from django.db import models
from django.utils import timezone


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


class Event(models.Model):
    """The outbox: one row per business change, written in the change's own transaction."""

    public_id = models.CharField(max_length=40, unique=True, default=new_event_id)
    type = models.CharField(max_length=64, db_index=True)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"
