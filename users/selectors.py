"""Reads of the users room that other rooms need."""

from django.db.models import QuerySet

from users.models import User


def user_active_list() -> QuerySet[User]:
    """Users who can be given work (ticket assignees), by name."""
    return User.objects.filter(is_active=True).order_by("name", "id")
