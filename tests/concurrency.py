"""Running one request in several threads at once (PostgreSQL tests with row locks)."""

import threading

from django.db import connections
from rest_framework.test import APIClient


def run_at_once(count: int, work) -> list:
    """Runs `work(i)` in `count` threads released together; returns results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported to the test
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
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api.raw_key}")
        return getattr(client, method)(paths[i], format="json").status_code

    return sorted(run_at_once(len(paths), send))
