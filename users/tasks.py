from celery import shared_task

from users.sandbox import sandbox_reset


@shared_task(name="users.tasks.reset_sandbox")
def reset_sandbox(size: str = "small") -> str:
    """Daily (CELERY_BEAT_SCHEDULE): wipe and re-seed the sandbox. Safe to run twice."""
    return sandbox_reset(size=size)


@shared_task(name="users.tasks.flush_api_usage")
def flush_api_usage() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): buffered API usage counts into the database."""
    from users.usage import flush_all

    return flush_all()
