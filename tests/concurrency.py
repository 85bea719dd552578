"""Running work in threads released together, for races that only a real database with row
locks can show (PostgreSQL: tests using this carry `requires_postgres` and
`django_db(transaction=True)`, so each thread's connection sees the others' commits)."""

import threading

from django.db import connections
from rest_framework.test import APIClient


def run_at_once(count: int, work) -> list:
    """Runs `work()` in `count` threads released together; returns results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = []
    lock = threading.Lock()

    def runner():
        try:
            barrier.wait()
            outcome = work()
        except Exception as exc:  # the test inspects what each thread got
            outcome = exc
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=runner) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def delete_at_once(count: int, raw_key: str, path: str) -> list[int]:
    """`count` clients DELETE `path` at the same moment with one API key; their statuses."""

    def delete() -> int:
        client = APIClient()  # one per thread: a test client keeps per-client state
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
        return client.delete(path).status_code

    return run_at_once(count, delete)
