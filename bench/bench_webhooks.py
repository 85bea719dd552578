"""Webhook benchmark, one command (figures go in docs/performance.md).

1. What publishing adds to a request: POST /api/v2/customers through the full Django stack
   (in-process WSGI client: auth, rate limit, serializer, service, commit, on_commit), with the
   event publish switched off, on (event row + task queued to Redis), and on with the broker
   unreachable (the fail-fast path).
2. Deliveries per second end to end: 1000 events published in one batch (as a bulk import
   does: one commit, one task), two Celery worker processes, one endpoint answering at once;
   the clock runs from the publish to the last delivery logged as succeeded.
3. The same with a second endpoint, subscribed to the same events, that sleeps 10 s on every
   request: the rate the fast endpoint still gets.

Needs PostgreSQL and Redis. It uses its own database (created if missing; it empties the
webhook tables) and Redis database 4 unless told otherwise:

    .venv/bin/python bench/bench_webhooks.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ll_webhooks_bench \
    REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/bench_webhooks.py --events 1000
"""

import argparse
import logging
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ll_webhooks_bench"
os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
os.environ.setdefault("SANDBOX_DATABASE_URL", os.environ["DATABASE_URL"])
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "true"
os.environ["API_RATE_LIMIT"] = "1000000/h"
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("LOG_FORMAT", "plain")


def _serve(port: int, delay: float, counter) -> None:
    """A receiver in its own process (so it does not share a GIL with the publisher):
    HTTP/1.1 keep-alive, as real receivers do; answers 200 after `delay` seconds."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("content-length", 0)))
            with counter.get_lock():  # counted on arrival: the slow one answers 10 s later
                counter.value += 1
            if delay:
                time.sleep(delay)
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    # socketserver's listen backlog of 5 would refuse a burst of new connections.
    ThreadingHTTPServer.request_queue_size = 512
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    # Workers stopped at the end leave slow requests unanswered: not worth a traceback.
    server.handle_error = lambda request, address: None
    server.serve_forever()


class _Receiver:
    def __init__(self, port: int, delay: float = 0.0) -> None:
        self.url = f"http://127.0.0.1:{port}/hook"
        self.count = multiprocessing.Value("i", 0)
        self.process = multiprocessing.Process(
            target=_serve, args=(port, delay, self.count), daemon=True
        )

    def __enter__(self) -> "_Receiver":
        self.process.start()
        time.sleep(0.3)
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.join(5)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def _start_workers(count: int) -> list[subprocess.Popen]:
    workers = []
    profile = os.environ.get("BENCH_WORKER_SCRIPT")  # e.g. a worker that profiles its tasks
    for _ in range(count):
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    *(
                        [profile]
                        if profile
                        else [
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
                        ]
                    ),
                ],
                cwd=ROOT,
                env=os.environ.copy(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return workers


def _wait_ready(count: int) -> None:
    """Until `count` workers answer a ping (on a loaded machine start-up takes 5 to 10 s)."""
    from config.celery import app

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=1.0)) >= count:
            time.sleep(0.5)
            return
    raise SystemExit(f"{count} workers did not answer a ping within 120 s")


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
    # Each "on" request follows an "off" one: the median of the pairs' differences is less
    # swayed by other work on a shared machine than the difference of the two medians.
    paired = statistics.median(b - a for a, b in zip(off, on, strict=True))
    print(f"  publishing adds {paired:+.2f} ms (median of {len(on)} paired differences)")
    print(
        f"  difference of the medians {statistics.median(on) - statistics.median(off):+.2f} ms; "
        f"with the broker down {statistics.median(down) - statistics.median(off):+.2f} ms"
    )
    Customer.objects.filter(email__endswith="@bench.example.com").delete()


def _reset() -> None:
    from config.celery import app
    from webhooks.models import Delivery, Endpoint, Event

    Delivery.objects.all().delete()
    Event.objects.all().delete()
    Endpoint.objects.all().delete()
    app.control.purge()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_delivery_rate(events: int, workers: int, port: int, slow: bool) -> float:
    from webhooks.models import Delivery
    from webhooks.services import events_publish_many, webhook_endpoint_create

    _reset()
    with _Receiver(port) as fast_receiver, _Receiver(port + 1, delay=10.0) as slow_receiver:
        fast = webhook_endpoint_create(url=fast_receiver.url, events=["*"])
        if slow:
            webhook_endpoint_create(url=slow_receiver.url, events=["*"])
        procs = _start_workers(workers)
        try:
            _wait_ready(len(procs))  # worker start-up is not part of the figure
            print(f"  ({_load()} at the start)")
            cpu_before = sum(_cpu_seconds(proc.pid) for proc in procs)
            receiver_before = _cpu_seconds(fast_receiver.process.pid)
            started = time.perf_counter()
            if os.environ.get("BENCH_WORKER_SCRIPT"):
                print(f"  publishing at {time.time():.3f}")
            # One batch, as a bulk import publishes them: one commit, one task.
            events_publish_many(
                event_type="customer.created",
                items=[{"id": n, "account": f"C{n}"} for n in range(events)],
            )
            published = time.perf_counter() - started
            fast_done = Delivery.objects.filter(endpoint=fast, status=Delivery.Status.SUCCEEDED)
            while True:
                done = fast_done.count()
                if done >= events:
                    break
                if time.perf_counter() - started > 600:
                    raise SystemExit(f"only {done}/{events} delivered after 600 s")
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            cpu = sum(_cpu_seconds(proc.pid) for proc in procs) - cpu_before
            receiver_cpu = _cpu_seconds(fast_receiver.process.pid) - receiver_before
        finally:
            if os.environ.get("BENCH_WORKER_SCRIPT"):
                time.sleep(3)  # let the run end and the script write its figures
            # A worker's warm shutdown would wait for its run (and the 10 s sends): the
            # figures are taken, so stop them at once.
            for proc in procs:
                proc.kill()
            for proc in procs:
                proc.wait(timeout=60)
        label = "fast endpoint, with a 10 s endpoint also subscribed" if slow else "one endpoint"
        print(
            f"Delivery ({label}): {events} events, {workers} worker processes (solo pool):\n"
            f"  published in {published:.2f} s; all {events} delivered to the fast endpoint "
            f"after {elapsed:.2f} s -> {events / elapsed:.0f} deliveries/s "
            f"(fast receiver saw {fast_receiver.count.value} requests"
            + (f", slow receiver {slow_receiver.count.value}" if slow else "")
            + f"; {_load()} at the end)\n"
            f"  CPU while delivering: workers {cpu:.2f} s ({cpu / events * 1000:.2f} ms a "
            f"delivery), fast receiver {receiver_cpu:.2f} s"
        )
    return events / elapsed


def _ensure_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8106)
    parser.add_argument("--skip-publish", action="store_true", help="only the delivery runs")
    parser.add_argument("--only-publish", action="store_true", help="only the publish cost")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each delivery scenario (median shown)"
    )
    args = parser.parse_args()
    if "bench" not in os.environ["DATABASE_URL"].rsplit("/", 1)[1]:
        raise SystemExit("DATABASE_URL must name a database containing 'bench' (it is emptied).")
    _ensure_database()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"Machine: {os.cpu_count()} cores, {_load()}")
    if not args.skip_publish:
        bench_publish_cost(args.requests)
    if args.only_publish:
        return
    rates: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.repeat):
        for slow in (False, True):
            rates[slow].append(bench_delivery_rate(args.events, args.workers, args.port, slow))
    _reset()
    for slow, label in ((False, "one fast endpoint"), (True, "fast endpoint beside a 10 s one")):
        shown = ", ".join(f"{rate:.0f}" for rate in rates[slow])
        print(
            f"{label}: median {statistics.median(rates[slow]):.0f} deliveries/s "
            f"over {len(rates[slow])} runs ({shown})"
        )
    print(f"Machine at the end: {_load()}")


if __name__ == "__main__":
    main()
