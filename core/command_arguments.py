"""Argument checks shared by the ops commands: a bad value ends the command with one line on
stderr (`CommandError: …`) and exit status 1, never a traceback and never a half-done change."""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.validators import validate_email
from django.db import connections


def checked_email(value: str) -> str:
    email = (value or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise CommandError(f"--email: '{value}' is not a valid email address.") from None
    return email


def checked_database(alias: str) -> str:
    if alias not in connections:
        known = ", ".join(sorted(connections))
        raise CommandError(f"--database: unknown database '{alias}' (known: {known}).")
    return alias


def checked_date(value: str) -> date:
    """`--date YYYY-MM-DD`."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date: '{value}' is not a date (YYYY-MM-DD).") from None
