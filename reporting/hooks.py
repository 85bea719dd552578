"""How other apps tell reporting that money moved. Owned by the reporting app: callers only
call `rollups_refresh_on_commit` inside their transaction with the dates they touched."""

from collections.abc import Iterable
from datetime import date


def rollups_refresh_on_commit(*, dates: Iterable[date]) -> None:
    """Queue a refresh of the monthly roll-ups covering `dates`, after the current transaction
    commits. (Interim: the reporting app replaces this body with the real task queueing.)"""
    return None
