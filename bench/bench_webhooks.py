"""Webhook benchmark (run by hand; figures go in docs/performance.md).

1. What publishing adds to a request: POST /api/v2/customers through the full Django stack
   (in-process WSGI client: auth, rate limit, serializer, service, commit, on_commit), with the
   event publish switched off, on (event row + task queued to Redis), and on with the broker
   unreachable (the fail-fast path).
2. Deliveries per second: two Celery worker processes deliver N events to a local receiver.

Needs PostgreSQL and Redis, and its own database (it empties the webhook tables):

    createdb -h 127.0.0.1 -U postgres ll_webhooks_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ll_webhooks_bench \\
    SANDBOX_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ll_webhooks_bench \\
    REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/bench_webhooks.py
"""

import argparse
import logging
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "true"
os.environ["API_RATE_LIMIT"] = "1000000/h"
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("LOG_FORMAT", "plain")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do
    count = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length", 0)))
        with _Handler.lock:
            _Handler.count += 1
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def _start_workers(count: int) -> list[subprocess.Popen]:
    workers = []
    for _ in range(count):
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    "--without-mingle",
                    "--without-gossip",
                    "--loglevel=WARNING",
                    f"--hostname=bench-{uuid.uuid4().hex[:6]}@%h",
                ],
                cwd=ROOT,
                env=os.environ.copy(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return workers


def bench_publish_cost(requests: int) -> None:
    from unittest import mock

    from rest_framework.test import APIClient

    import customers.services
    from config.celery import app
    from customers.models import Customer
    from users.models import Role, User
    from users.services import api_key_create

    user = User.objects.filter(email="bench@example.com").first() or User.objects.create_user(
        email="bench@example.com", name="Bench", role=Role.ADMINISTRATOR
    )
    _, raw = api_key_create(user=user, name="bench")
    client = APIClient(SERVER_NAME="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def one_request() -> float:
        tag = uuid.uuid4().hex[:10]
        started = time.perf_counter()
        response = client.post(
            "/api/v2/customers",
            {"account": f"Bench {tag}", "email": f"{tag}@bench.example.com"},
            format="json",
        )
        assert response.status_code == 201, response.content
        return (time.perf_counter() - started) * 1000

    def show(label: str, timings: list[float]) -> None:
        print(
            f"  {label:<36} median {statistics.median(timings):6.2f} ms   "
            f"p95 {_percentile(timings, 0.95):6.2f} ms"
        )

    print(f"POST /api/v2/customers, {requests} requests each (in-process, PostgreSQL, Redis):")
    for _ in range(20):  # warm-up: connections, caches
        one_request()
    # Off and on alternate request by request, so machine load drifts hit both alike.
    off: list[float] = []
    on: list[float] = []
    publish_off = mock.patch.object(customers.services, "event_publish")
    for _ in range(requests):
        with publish_off:
            off.append(one_request())
        on.append(one_request())
    show("event publishing off", off)
    show("event row + task queued to Redis", on)

    original = app.conf.broker_url
    # Every request logs "could not queue ... the sweep will deliver them": expected here.
    logging.getLogger("ledgerline.webhooks").setLevel(logging.ERROR)
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app._pool = None
    app.amqp.__dict__.pop("_producer_pool", None)
    try:
        down = [one_request() for _ in range(requests)]
        show("broker unreachable (sweep fallback)", down)
    finally:
        app.conf.broker_url = original
        app._pool = None
        app.amqp.__dict__.pop("_producer_pool", None)
        logging.getLogger("ledgerline.webhooks").setLevel(logging.NOTSET)
    print(
        f"  publishing adds {statistics.median(on) - statistics.median(off):+.2f} ms (median); "
        f"with the broker down {statistics.median(down) - statistics.median(off):+.2f} ms"
    )
    Customer.objects.filter(email__endswith="@bench.example.com").delete()


def bench_delivery_rate(events: int, workers: int, port: int) -> None:
    from config.celery import app
    from webhooks.models import Delivery, Endpoint, Event
    from webhooks.services import event_publish, webhook_endpoint_create

    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Delivery.objects.all().delete()
    Event.objects.all().delete()
    Endpoint.objects.all().delete()
    app.control.purge()
    webhook_endpoint_create(url=f"http://127.0.0.1:{port}/hook", events=["*"])

    procs = _start_workers(workers)
    try:
        time.sleep(6)  # let both workers connect before the clock starts
        started = time.perf_counter()
        for n in range(events):
            event_publish(event_type="customer.created", data={"id": n, "account": f"C{n}"})
        published = time.perf_counter() - started
        while True:
            done = Delivery.objects.filter(status=Delivery.Status.SUCCEEDED).count()
            if done >= events:
                break
            if time.perf_counter() - started > 600:
                raise SystemExit(f"only {done}/{events} delivered after 600 s")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        server.shutdown()
    print(
        f"Delivery: {events} events, {workers} worker processes (solo pool), local receiver:\n"
        f"  published in {published:.2f} s; all delivered after {elapsed:.2f} s "
        f"-> {events / elapsed:.0f} deliveries/s (receiver saw {_Handler.count} requests)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8106)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or "bench" not in os.environ.get("DATABASE_URL", ""):
        raise SystemExit("Set REDIS_URL and a DATABASE_URL whose name contains 'bench'.")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    bench_publish_cost(args.requests)
    bench_delivery_rate(args.events, args.workers, args.port)


if __name__ == "__main__":
    main()
