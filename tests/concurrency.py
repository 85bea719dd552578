"""Running work in threads released together, for races that only a real database with row
locks can show (PostgreSQL: tests using this carry `requires_postgres` and
`django_db(transaction=True)`, so each thread's connection sees the others' commits)."""

import inspect
import threading

from django.db import connections
from rest_framework.test import APIClient


def run_at_once(count: int, work) -> list:
    """Runs `work()` (or `work(i)`, thread i) in `count` threads released together; returns
    each thread's result or exception, in thread order."""
    takes_index = bool(inspect.signature(work).parameters)
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i) if takes_index else work()
        except Exception as exc:  # the test inspects what each thread got
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def statuses_of_concurrent(
    api: APIClient, method: str, path: str | list[str], count: int = 8
) -> list[int]:
    """Sends the request `count` times at once (to `path`, or to `path[i]` in thread i), each
    thread with its own client using `api`'s key; returns the status codes, sorted."""
    paths = path if isinstance(path, list) else [path] * count

    def send(i):
        client = APIClient()  # one per thread: a test client keeps per-client state
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api.raw_key}")
        return getattr(client, method)(paths[i], format="json").status_code

    return sorted(run_at_once(len(paths), send))


def delete_at_once(count: int, raw_key: str, path: str) -> list[int]:
    """`count` clients DELETE `path` at the same moment with one API key; their statuses."""

    def delete() -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
        return client.delete(path).status_code

    return run_at_once(count, delete)
