"""Delivering events: fan-out, batched claims, concurrent sends, batched records, retries,
disabling dead endpoints, the sweep, drain and prune (docs/webhooks.md).

Timing lives in the database (`next_attempt_at`), never in Celery countdowns. A run
(`deliveries_run`, started by a task) repeatedly claims a batch of due deliveries in one
statement, sends them concurrently on a per-process event loop, and records finished attempts
in one transaction per batch. Claims are leases: a crashed worker's deliveries become due
again when the lease runs out, and the sweep then gets them going.

Imports go one way: services <- delivery <- tasks. Nothing here queues a task.
"""

import asyncio
import json
import logging
import math
import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Iterable
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
from django.conf import settings
from django.db import connections
from django.db.models import F, Q
from django.utils import timezone

from core.db import atomic, current_alias
from webhooks.catalog import subscribes_to
from webhooks.models import Attempt, Delivery, Endpoint, Event
from webhooks.services import endpoint_disable
from webhooks.signing import signed_headers
from webhooks.target_guard import TargetNotAllowed, pinned_async_client

logger = logging.getLogger("ledgerline.webhooks")
# httpx logs every request at INFO: at hundreds of deliveries a second that is most of a
# worker's log and a measurable share of its CPU, and each attempt is logged in the database.
logging.getLogger("httpx").setLevel(logging.WARNING)

DISABLE_AFTER = timedelta(days=5)
# A due delivery marked by the sweep this recently is not marked (nor a run queued for it)
# again: the run queued for it is presumably still waiting in the broker. After this, a lost
# message is replaced.
REQUEUE_AFTER = timedelta(seconds=60)
BATCH = 500
EXCERPT_BYTES = 1000
# The sweep queues one run per this many newly due deliveries, and at most MAX_RUNS_PER_SWEEP:
# each run claims whatever is due, so more messages would only wake more workers.
RUN_SHARE = 200
MAX_RUNS_PER_SWEEP = 4
# One run stops claiming after this long (it then finishes its sends and, if work is left,
# its task queues the next run), so a worker also gets to its other tasks.
RUN_SECONDS = 60.0
# Finished attempts are written when this many are waiting, or after FLUSH_SECONDS.
FLUSH_SIZE = 200
FLUSH_SECONDS = 0.1
# With sends in flight, the next claim waits until half an endpoint's share of sends has
# come back, or this long: claims of one or two rows would cost more than the sends.
CLAIM_SECONDS = 0.05
# How often a busy run looks for events to fan out (at once when it last found some).
FAN_OUT_SECONDS = 0.25


def concurrency() -> int:
    """Sends in flight at once in one worker process."""
    return int(getattr(settings, "WEBHOOK_CONCURRENCY", 64))


def endpoint_concurrency() -> int:
    """Sends in flight at once to one endpoint from one worker process: a slow endpoint holds
    at most this share of `concurrency()`, the others keep the rest."""
    return int(getattr(settings, "WEBHOOK_ENDPOINT_CONCURRENCY", 32))


def claim_lease() -> timedelta:
    # An attempt is cut off WEBHOOK_TIMEOUT after it was handed to the sender (the whole
    # exchange, not each phase), and its outcome is written within FLUSH_SECONDS of that. The
    # lease outlasts both by a wide margin, so a lease never runs out under a send in flight
    # and no second worker can send the same attempt.
    return timedelta(seconds=2 * float(settings.WEBHOOK_TIMEOUT) + 15)


def retry_delay(attempt_number: int) -> timedelta | None:
    """How long after failed attempt N (from 1) the next one is due; None once the schedule
    (settings.WEBHOOK_RETRY_DELAYS) is used up and the delivery has failed for good."""
    delays = settings.WEBHOOK_RETRY_DELAYS
    if attempt_number <= len(delays):
        return timedelta(seconds=delays[attempt_number - 1])
    return None


# --- fan-out and the sweep -----------------------------------------------------------------


_FAN_OUT_SQL = """
WITH picked AS (
    SELECT id FROM {event}
    WHERE fanned_out_at IS NULL {only}
    ORDER BY id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
),
marked AS (
    UPDATE {event} e SET fanned_out_at = %(now)s
    FROM picked WHERE e.id = picked.id
    RETURNING e.id, e.type, e.created_at
),
made AS (
    INSERT INTO {delivery}
        (event_id, endpoint_id, status, next_attempt_at, queued_at, attempt_count, last_error,
         created_at)
    SELECT m.id, ep.id, 'pending', %(now)s, %(now)s, 0, '', %(now)s
    FROM marked m
    JOIN {endpoint} ep
      ON ep.active
     AND ep.created_at <= m.created_at
     AND (ep.events @> jsonb_build_array(m.type) OR ep.events @> '["*"]'::jsonb)
    ON CONFLICT (event_id, endpoint_id) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM marked), (SELECT count(*) FROM made)
"""


def events_fan_out(*, event_ids: list[int] | None = None, limit: int = BATCH) -> int:
    """See `events_fan_out_counted`; returns how many events it fanned out."""
    return events_fan_out_counted(event_ids=event_ids, limit=limit)[0]


def helper_runs(deliveries: int) -> int:
    """How many more runs to queue beside the current one for `deliveries` new due ones: a
    bulk import's thousand deliveries are worth a second worker, a single event is not."""
    return min(MAX_RUNS_PER_SWEEP - 1, deliveries // RUN_SHARE)


def events_fan_out_counted(
    *, event_ids: list[int] | None = None, limit: int = BATCH
) -> tuple[int, int]:
    """Creates the deliveries of events not fanned out yet (these, or the oldest `limit`):
    one per active endpoint subscribed to the type (or `*`) that existed when the event
    happened. Safe to run twice or concurrently: events being fanned out by another worker
    are skipped (row locks), and the unique (event, endpoint) constraint drops repeats.
    Returns how many events it fanned out and how many deliveries it made (on SQLite, the
    deliveries it tried to make).

    On PostgreSQL this is one statement (lock the events, mark them, INSERT ... SELECT the
    deliveries), so a busy run's check for new events costs one round trip and no rows
    cross the wire."""
    connection = connections[current_alias()]
    if connection.vendor == "postgresql":
        sql = _FAN_OUT_SQL.format(
            event=Event._meta.db_table,
            delivery=Delivery._meta.db_table,
            endpoint=Endpoint._meta.db_table,
            only="AND id = ANY(%(ids)s::bigint[])" if event_ids is not None else "",
        )
        params = {"limit": limit, "now": timezone.now(), "ids": list(event_ids or [])}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fanned, made = cursor.fetchone()
        return fanned, made
    with atomic():
        query = Event.objects.filter(fanned_out_at__isnull=True)
        if event_ids is not None:
            query = query.filter(pk__in=event_ids)
        events = list(
            query.select_for_update(skip_locked=True)
            .only("id", "type", "created_at")
            .order_by("id")[:limit]
        )
        if not events:
            return 0, 0
        endpoints = list(Endpoint.objects.filter(active=True).only("id", "events", "created_at"))
        now = timezone.now()
        rows = [
            Delivery(event_id=event.pk, endpoint_id=endpoint.pk, next_attempt_at=now, queued_at=now)
            for event in events
            for endpoint in endpoints
            if subscribes_to(endpoint.events, event.type)
            and endpoint.created_at <= event.created_at
        ]
        if rows:
            Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        Event.objects.filter(pk__in=[event.pk for event in events]).update(fanned_out_at=now)
    return len(events), len(rows)


@dataclass
class SweepResult:
    fanned_out: int
    due: int
    runs: int


def deliveries_sweep() -> SweepResult:
    """The beat job's work on the current database: fans out events whose task never ran
    (broker down at commit, worker lost), and marks every due delivery that no run was queued
    for in the last REQUEUE_AFTER (`queued_at`). Returns how many runs the caller should
    queue: a backlog of thousands of due deliveries is a handful of messages, and a delivery
    is marked at most once per REQUEUE_AFTER however often the sweep runs."""
    fanned = events_fan_out()
    now = timezone.now()
    unmarked = Q(queued_at__isnull=True) | Q(queued_at__lt=now - REQUEUE_AFTER)
    due = Delivery.objects.filter(
        unmarked, status=Delivery.Status.PENDING, next_attempt_at__lte=now
    )
    ids = list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)[: BATCH * 10])
    marked = Delivery.objects.filter(unmarked, pk__in=ids).update(queued_at=now) if ids else 0
    runs = min(MAX_RUNS_PER_SWEEP, math.ceil(marked / RUN_SHARE))
    if fanned and not runs:
        runs = 1  # fan-out marks the deliveries it makes; they still need a run
    return SweepResult(fanned_out=fanned, due=marked, runs=runs)


# --- claims ----------------------------------------------------------------------------------


@dataclass
class Job:
    """One claimed attempt, with everything the sender needs (no ORM object crosses threads)."""

    delivery_id: int
    endpoint_id: int
    lease_end: datetime
    number: int
    url: str
    secret: str
    message_id: str
    body: bytes
    endpoint_active: bool
    endpoint_failing: bool = False  # the endpoint's failure streak, as loaded at the claim
    deadline: float = 0.0  # time.monotonic() by which the sender gives up


_CLAIM_SQL = """
WITH busy AS (
    SELECT * FROM unnest(%(busy_ids)s::bigint[], %(busy_counts)s::integer[]) AS b(endpoint_id, n)
),
picked AS (
    SELECT c.id
    FROM {endpoint} e
    LEFT JOIN busy b ON b.endpoint_id = e.id
    CROSS JOIN LATERAL (
        SELECT d.id, d.next_attempt_at
        FROM {delivery} d
        WHERE d.endpoint_id = e.id
          AND d.status = 'pending'
          AND d.next_attempt_at <= %(now)s
          AND NOT (d.id = ANY(%(exclude)s::bigint[]))
        ORDER BY d.next_attempt_at, d.id
        LIMIT GREATEST(%(per_endpoint)s - COALESCE(b.n, 0), 0)
        FOR UPDATE OF d SKIP LOCKED
    ) c
    WHERE e.active
    ORDER BY c.next_attempt_at, c.id
    LIMIT %(limit)s
)
UPDATE {delivery} d
SET next_attempt_at = %(lease_end)s, claimed_until = %(lease_end)s, queued_at = NULL
FROM picked, {endpoint} ep, {event} ev
WHERE d.id = picked.id AND ep.id = d.endpoint_id AND ev.id = d.event_id
RETURNING d.id, d.endpoint_id, d.attempt_count, ep.url, ep.secret, ep.active,
    ep.failing_since IS NOT NULL, ev.public_id, ev.type, ev.created_at, ev.data::text
"""


def deliveries_claim(
    *,
    limit: int,
    per_endpoint: int | None = None,
    busy: dict[int, int] | None = None,
    exclude: Iterable[int] = (),
) -> list[Job]:
    """Claims up to `limit` due deliveries, oldest due first, at most `per_endpoint` per
    endpoint counting the `busy` ones this worker already has in flight ({endpoint_id: n}).

    On PostgreSQL this is one statement: per active endpoint, its due rows `FOR UPDATE SKIP
    LOCKED` with a LIMIT, then one UPDATE that moves `next_attempt_at` to the lease's end. Rows
    another worker is claiming at that moment are skipped, not waited for, so any number of
    workers can claim side by side and never get the same row. The lease end is also the
    fencing token `outcomes_record` checks.
    """
    if limit <= 0:
        return []
    per_endpoint = endpoint_concurrency() if per_endpoint is None else per_endpoint
    busy = {k: v for k, v in (busy or {}).items() if v > 0}
    now = timezone.now()
    lease_end = now + claim_lease()
    connection = connections[current_alias()]
    if connection.vendor == "postgresql":
        sql = _CLAIM_SQL.format(
            endpoint=Endpoint._meta.db_table,
            delivery=Delivery._meta.db_table,
            event=Event._meta.db_table,
        )
        params = {
            "busy_ids": list(busy),
            "busy_counts": list(busy.values()),
            "now": now,
            "exclude": list(exclude),
            "per_endpoint": per_endpoint,
            "limit": limit,
            "lease_end": lease_end,
        }
        # The claim and everything the sends need come back from the one statement, which is
        # atomic on its own: no transaction around it, one round trip.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        jobs = [
            Job(
                delivery_id=row[0],
                endpoint_id=row[1],
                lease_end=lease_end,
                number=row[2] + 1,
                url=row[3],
                secret=row[4],
                endpoint_active=row[5],
                endpoint_failing=row[6],
                message_id=row[7],
                body=_body_bytes(row[7], row[8], row[9], row[10]),
            )
            for row in rows
        ]
        return sorted(jobs, key=lambda job: job.delivery_id)
    else:
        ids = _claim_portable(
            now=now,
            lease_end=lease_end,
            limit=limit,
            per_endpoint=per_endpoint,
            busy=busy,
            exclude=set(exclude),
        )
    return _jobs_load(ids, lease_end)


def _claim_portable(
    *,
    now: datetime,
    lease_end: datetime,
    limit: int,
    per_endpoint: int,
    busy: dict[int, int],
    exclude: set[int],
) -> list[int]:
    # SQLite (tests and `make run` without servers): one writer at a time, so a conditional
    # UPDATE is a safe claim; the rows it moved to this lease are this worker's.
    due = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
    candidates: list[tuple[datetime, int]] = []
    for endpoint_id in Endpoint.objects.filter(active=True).values_list("id", flat=True):
        room = per_endpoint - busy.get(endpoint_id, 0)
        if room <= 0:
            continue
        rows = (
            due.filter(endpoint_id=endpoint_id)
            .exclude(pk__in=exclude)
            .order_by("next_attempt_at", "id")
            .values_list("next_attempt_at", "id")[:room]
        )
        candidates.extend(rows)
    picked = [pk for _, pk in sorted(candidates)[:limit]]
    if not picked:
        return []
    Delivery.objects.filter(
        pk__in=picked, status=Delivery.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease_end, claimed_until=lease_end, queued_at=None)
    return list(
        Delivery.objects.filter(pk__in=picked, next_attempt_at=lease_end).values_list(
            "id", flat=True
        )
    )


def delivery_claim(*, delivery_id: int) -> datetime | None:
    """Claims one delivery's next attempt for this worker, or returns None if it is not due or
    another worker holds it (one conditional UPDATE; the returned lease end is the fencing
    token)."""
    now = timezone.now()
    lease_end = now + claim_lease()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease_end, claimed_until=lease_end, queued_at=None)
    return lease_end if claimed else None


def event_body_bytes(event: Event) -> bytes:
    return json.dumps(event.body(), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _body_bytes(public_id: str, event_type: str, created_at: datetime, data_text: str) -> bytes:
    # What event_body_bytes(Event(...)) makes, without building a model per claimed row.
    body = {
        "id": public_id,
        "type": event_type,
        "created_at": created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": json.loads(data_text),
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _jobs_load(ids: list[int], lease_end: datetime) -> list[Job]:
    if not ids:
        return []
    deliveries = (
        Delivery.objects.filter(pk__in=ids)
        .select_related("event", "endpoint")
        .order_by("next_attempt_at", "id")
    )
    return [
        Job(
            delivery_id=d.pk,
            endpoint_id=d.endpoint_id,
            lease_end=lease_end,
            number=d.attempt_count + 1,
            url=d.endpoint.url,
            secret=d.endpoint.secret,
            message_id=d.event.public_id,
            body=event_body_bytes(d.event),
            endpoint_active=d.endpoint.active,
            endpoint_failing=d.endpoint.failing_since is not None,
        )
        for d in deliveries
    ]


# --- sending -------------------------------------------------------------------------------


@dataclass
class SendOutcome:
    status_code: int | None = None
    excerpt: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error

    def describe(self) -> str:
        if self.error:
            return self.error
        return f"HTTP {self.status_code}"


async def _read_excerpt(response: httpx.Response) -> str:
    collected = b""
    async for chunk in response.aiter_bytes():
        collected += chunk
        if len(collected) >= EXCERPT_BYTES:
            break
    return collected[:EXCERPT_BYTES].decode("utf-8", errors="replace")


async def _send(client: httpx.AsyncClient, job: Job, timeout: float) -> SendOutcome:
    """POSTs the signed event once; never raises for anything the network or the receiver
    does. The whole exchange is cut off at `job.deadline` (httpx's own timeout is per phase,
    so a receiver trickling bytes could otherwise keep an attempt alive past its lease)."""
    headers = signed_headers(
        secret=job.secret, message_id=job.message_id, timestamp=timezone.now(), body=job.body
    )
    headers["content-type"] = "application/json"
    outcome = SendOutcome()
    started = time.monotonic()
    try:
        async with asyncio.timeout_at(job.deadline):
            async with client.stream("POST", job.url, content=job.body, headers=headers) as resp:
                outcome.status_code = resp.status_code
                if resp.is_redirect:
                    outcome.error = (
                        f"HTTP {resp.status_code} redirect to "
                        f"{resp.headers.get('location', '?')} not followed: webhooks never "
                        "follow redirects; register the final URL."
                    )
                try:
                    outcome.excerpt = await _read_excerpt(resp)
                except httpx.HTTPError as exc:
                    outcome.excerpt = f"(response body could not be read: {exc.__class__.__name__})"
    except TimeoutError:
        if outcome.status_code is None:
            outcome.error = f"Timed out (WEBHOOK_TIMEOUT is {timeout:g} s)."
        else:
            outcome.excerpt = "(response body cut off: WEBHOOK_TIMEOUT reached)"
    except TargetNotAllowed as exc:
        outcome.error = str(exc)
    except httpx.TimeoutException:
        outcome.error = f"Timed out (WEBHOOK_TIMEOUT is {timeout:g} s)."
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        outcome.error = f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
    except Exception as exc:  # a bug must not lose the record of an attempt that was made
        logger.exception("webhook delivery %s: unexpected error while sending", job.delivery_id)
        outcome.error = f"Internal error while sending ({exc.__class__.__name__})."
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


class _Sender:
    """One event loop per process, on its own thread, with one pooled HTTP client (keep-alive
    per endpoint origin, kept across batches and runs). The worker's main thread does all
    database work and hands sends over: a run's claims with `submit_many` (outcomes come back
    on the run's queue), a single attempt with `submit` (a concurrent.futures.Future)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.clients: dict[tuple[float, bool], httpx.AsyncClient] = {}
        threading.Thread(target=self.loop.run_forever, name="webhook-sender", daemon=True).start()

    def submit(self, job: Job) -> "futures.Future[SendOutcome]":
        # Settings are read here, in the caller's thread: tests change them per test, and a
        # client made under other settings (timeout, private targets) is never reused.
        key = (float(settings.WEBHOOK_TIMEOUT), bool(settings.WEBHOOK_ALLOW_PRIVATE_TARGETS))
        job.deadline = time.monotonic() + key[0]
        return asyncio.run_coroutine_threadsafe(self._send(job, key), self.loop)

    def submit_many(
        self, jobs: list[Job], done: "queue.SimpleQueue[tuple[Job, SendOutcome]]"
    ) -> None:
        """Starts `jobs` with one hand-over to the loop; each (job, outcome) is put on `done`
        as it finishes (one queue per run: no future, no waiter per send)."""
        key = (float(settings.WEBHOOK_TIMEOUT), bool(settings.WEBHOOK_ALLOW_PRIVATE_TARGETS))
        deadline = time.monotonic() + key[0]
        for job in jobs:
            job.deadline = deadline
        self.loop.call_soon_threadsafe(self._start, jobs, key, done)

    def _start(self, jobs: list[Job], key: tuple[float, bool], done) -> None:
        for job in jobs:
            task = self.loop.create_task(self._send(job, key))
            task.add_done_callback(partial(_put_outcome, done, job))

    async def _send(self, job: Job, key: tuple[float, bool]) -> SendOutcome:
        client = self.clients.get(key)
        if client is None:
            limits = httpx.Limits(
                max_connections=max(concurrency(), 1) * 2,
                max_keepalive_connections=max(concurrency(), 1) * 2,
            )
            client = self.clients[key] = pinned_async_client(key[0], limits=limits)
        return await _send(client, job, key[0])


def _put_outcome(done, job: Job, task: "asyncio.Task[SendOutcome]") -> None:
    try:
        outcome = task.result()
    except BaseException as exc:  # cancelled at shutdown: the attempt was still made, or not
        outcome = SendOutcome(error=f"Internal error while sending ({exc.__class__.__name__}).")
    done.put((job, outcome))


_sender_lock = threading.Lock()
_sender_instance: _Sender | None = None


def _sender() -> _Sender:
    global _sender_instance
    with _sender_lock:
        # A forked worker child must not share its parent's loop thread (it does not exist
        # in the child).
        if _sender_instance is None or _sender_instance.pid != os.getpid():
            _sender_instance = _Sender()
        return _sender_instance


# --- recording -----------------------------------------------------------------------------


@dataclass
class Recorded:
    attempt: Attempt
    status: str  # the delivery's status afterwards


def outcomes_record(results: list[tuple[Job, SendOutcome]]) -> list[Recorded]:
    """Writes finished attempts in one transaction: one INSERT of their Attempt rows, one
    UPDATE of their deliveries' next state (succeeded; due again after the schedule's delay;
    or failed for good), and the endpoints' failure streaks.

    A delivery's state is only changed if it still holds this attempt's lease (the fencing
    token): if the lease was taken over, the attempt is still logged but the newer claim owns
    the state. A delivery deleted meanwhile (its endpoint was deleted) is skipped."""
    if not results:
        return []
    if connections[current_alias()].vendor == "postgresql":
        return _outcomes_record_one_statement(results)
    now = timezone.now()
    ids = sorted({job.delivery_id for job, _ in results})
    recorded: list[Recorded] = []
    last_by_endpoint: dict[int, SendOutcome] = {}
    failing_at_claim: dict[int, bool] = {}
    with atomic():
        rows = {
            row.pk: row
            for row in Delivery.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .only("id", "status", "next_attempt_at", "attempt_count", "first_failed_at")
        }
        attempts: list[Attempt] = []
        owned_ok: list[int] = []
        owned_failed: list[Delivery] = []
        for job, outcome in results:
            row = rows.get(job.delivery_id)
            if row is None:
                continue
            attempt = Attempt(
                delivery_id=row.pk,
                number=job.number,
                status_code=outcome.status_code,
                succeeded=outcome.succeeded,
                duration_ms=outcome.duration_ms,
                response_excerpt=outcome.excerpt,
                error=outcome.error,
                created_at=now,
            )
            attempts.append(attempt)
            last_by_endpoint[job.endpoint_id] = outcome
            failing_at_claim[job.endpoint_id] = job.endpoint_failing
            if row.status != Delivery.Status.PENDING or row.next_attempt_at != job.lease_end:
                logger.warning(
                    "delivery %s: lease lost during attempt %s; outcome logged, state left to "
                    "the newer claim",
                    row.pk,
                    job.number,
                )
                recorded.append(Recorded(attempt, row.status))
                continue
            _apply_outcome(row, outcome, now)
            if outcome.succeeded:
                owned_ok.append(row.pk)
            else:
                owned_failed.append(row)
            recorded.append(Recorded(attempt, row.status))
        Attempt.objects.bulk_create(attempts)
        if owned_ok:
            # Every success gets the same values: one plain UPDATE (the rows are locked above).
            Delivery.objects.filter(pk__in=owned_ok).update(
                status=Delivery.Status.SUCCEEDED,
                next_attempt_at=None,
                claimed_until=None,
                attempt_count=F("attempt_count") + 1,
                last_attempt_at=now,
                completed_at=now,
                last_error="",
            )
        if owned_failed:
            Delivery.objects.bulk_update(
                owned_failed,
                [
                    "status",
                    "next_attempt_at",
                    "claimed_until",
                    "attempt_count",
                    "last_attempt_at",
                    "completed_at",
                    "last_error",
                    "first_failed_at",
                ],
            )
        # A success clears the streak of an endpoint that was failing when its delivery was
        # claimed (a streak started since then is cleared by the next batch's success).
        succeeded = sorted(
            k for k, v in last_by_endpoint.items() if v.succeeded and failing_at_claim[k]
        )
        failing = sorted(k for k, v in last_by_endpoint.items() if not v.succeeded)
        # Each UPDATE matches (and locks) only endpoints whose streak actually changes.
        if succeeded:
            Endpoint.objects.filter(pk__in=succeeded, failing_since__isnull=False).update(
                failing_since=None
            )
        if failing:
            Endpoint.objects.filter(pk__in=failing, failing_since__isnull=True).update(
                failing_since=now
            )
    if failing:
        _disable_failing_too_long(
            endpoint_ids=failing, now=now, last={k: last_by_endpoint[k] for k in failing}
        )
    return recorded


_RECORD_SQL = """
WITH v AS (
    SELECT * FROM unnest(
        %(ids)s::bigint[], %(leases)s::timestamptz[], %(numbers)s::integer[],
        %(ok)s::boolean[], %(status)s::text[], %(next_at)s::timestamptz[],
        %(completed)s::boolean[], %(last_error)s::text[], %(codes)s::integer[],
        %(durations)s::integer[], %(excerpts)s::text[], %(errors)s::text[]
    ) AS v(id, lease_end, number, ok, status, next_at, completed, last_error, status_code,
           duration_ms, excerpt, error)
),
locked AS (
    SELECT d.id, d.status, d.next_attempt_at
    FROM {delivery} d
    WHERE d.id = ANY(%(ids)s::bigint[])
    ORDER BY d.id
    FOR UPDATE
),
updated AS (
    UPDATE {delivery} d
    SET status = v.status,
        next_attempt_at = v.next_at,
        claimed_until = NULL,
        attempt_count = d.attempt_count + 1,
        last_attempt_at = %(now)s,
        completed_at = CASE WHEN v.completed THEN %(now)s::timestamptz END,
        last_error = v.last_error,
        first_failed_at = CASE WHEN v.ok THEN d.first_failed_at
                               ELSE COALESCE(d.first_failed_at, %(now)s) END
    FROM v, locked l
    WHERE d.id = v.id AND l.id = v.id
      AND l.status = 'pending' AND l.next_attempt_at = v.lease_end
    RETURNING d.id
),
logged AS (
    INSERT INTO {attempt}
        (delivery_id, number, status_code, succeeded, duration_ms, response_excerpt, error,
         created_at)
    SELECT v.id, v.number, v.status_code, v.ok, v.duration_ms, v.excerpt, v.error, %(now)s
    FROM v JOIN locked l ON l.id = v.id
    RETURNING 1
),
streaks AS (
    -- One UPDATE whose rows are locked in id order first: two recorders moving the same
    -- endpoints' streaks in opposite directions would otherwise each lock them in its own
    -- order and deadlock. Only endpoints whose streak changes are matched (and locked).
    UPDATE {endpoint} e
    SET failing_since = CASE WHEN e.id = ANY(%(failing)s::bigint[]) THEN %(now)s END
    FROM (
        SELECT id FROM {endpoint}
        WHERE (id = ANY(%(cleared)s::bigint[]) AND failing_since IS NOT NULL)
           OR (id = ANY(%(failing)s::bigint[]) AND failing_since IS NULL)
        ORDER BY id
        FOR UPDATE
    ) moving
    WHERE e.id = moving.id
    RETURNING 1
)
SELECT l.id, l.status, u.id IS NOT NULL,
       (SELECT count(*) FROM logged), (SELECT count(*) FROM streaks)
FROM locked l LEFT JOIN updated u ON u.id = l.id
"""


def _outcomes_record_one_statement(results: list[tuple[Job, SendOutcome]]) -> list[Recorded]:
    """`outcomes_record` on PostgreSQL: one statement, so one round trip and atomic on its
    own. It locks the rows (in id order, so two recorders cannot deadlock), updates those
    that still hold the attempt's lease from an array of next states worked out here, logs
    every attempt whose delivery still exists, and moves the endpoints' failure streaks."""
    now = timezone.now()
    columns: dict[str, list] = {
        name: []
        for name in (
            "ids leases numbers ok status next_at completed last_error codes durations "
            "excerpts errors"
        ).split()
    }
    states: dict[int, str] = {}
    last_by_endpoint: dict[int, SendOutcome] = {}
    failing_at_claim: dict[int, bool] = {}
    for job, outcome in results:
        succeeded = outcome.succeeded
        if succeeded:
            status, next_at, completed, last_error = Delivery.Status.SUCCEEDED, None, True, ""
        else:
            last_error = outcome.describe()
            delay = retry_delay(job.number)
            if delay is None:
                status, next_at, completed = Delivery.Status.FAILED, None, True
            else:
                status, next_at, completed = Delivery.Status.PENDING, now + delay, False
        states[job.delivery_id] = status
        for name, value in (
            ("ids", job.delivery_id),
            ("leases", job.lease_end),
            ("numbers", job.number),
            ("ok", succeeded),
            ("status", str(status)),
            ("next_at", next_at),
            ("completed", completed),
            ("last_error", last_error),
            ("codes", outcome.status_code),
            ("durations", outcome.duration_ms),
            ("excerpts", outcome.excerpt),
            ("errors", outcome.error),
        ):
            columns[name].append(value)
        last_by_endpoint[job.endpoint_id] = outcome
        failing_at_claim[job.endpoint_id] = job.endpoint_failing
    # A success clears the streak of an endpoint that was failing when its delivery was
    # claimed (a streak started since then is cleared by the next batch's success).
    cleared = sorted(k for k, v in last_by_endpoint.items() if v.succeeded and failing_at_claim[k])
    failing = sorted(k for k, v in last_by_endpoint.items() if not v.succeeded)
    sql = _RECORD_SQL.format(
        delivery=Delivery._meta.db_table,
        attempt=Attempt._meta.db_table,
        endpoint=Endpoint._meta.db_table,
    )
    connection = connections[current_alias()]
    with connection.cursor() as cursor:
        cursor.execute(sql, {**columns, "now": now, "cleared": cleared, "failing": failing})
        rows = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
    recorded: list[Recorded] = []
    for job, outcome in results:
        found = rows.get(job.delivery_id)
        if found is None:
            continue  # deleted meanwhile (its endpoint was deleted)
        status_before, owned = found
        if not owned:
            logger.warning(
                "delivery %s: lease lost during attempt %s; outcome logged, state left to "
                "the newer claim",
                job.delivery_id,
                job.number,
            )
        attempt = Attempt(
            delivery_id=job.delivery_id,
            number=job.number,
            status_code=outcome.status_code,
            succeeded=outcome.succeeded,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
            created_at=now,
        )
        recorded.append(Recorded(attempt, states[job.delivery_id] if owned else status_before))
    if failing:
        _disable_failing_too_long(
            endpoint_ids=failing, now=now, last={k: last_by_endpoint[k] for k in failing}
        )
    return recorded


def _apply_outcome(row: Delivery, outcome: SendOutcome, now: datetime) -> None:
    row.attempt_count += 1
    row.last_attempt_at = now
    row.claimed_until = None
    if outcome.succeeded:
        row.status = Delivery.Status.SUCCEEDED
        row.next_attempt_at = None
        row.completed_at = now
        row.last_error = ""
        return
    row.last_error = outcome.describe()
    row.first_failed_at = row.first_failed_at or now
    delay = retry_delay(row.attempt_count)
    if delay is None:
        row.status = Delivery.Status.FAILED
        row.next_attempt_at = None
        row.completed_at = now
    else:
        row.next_attempt_at = now + delay


def _fail_unsendable(jobs: list[Job]) -> None:
    # Claimed, then found disabled (it was disabled between the claim and the load).
    now = timezone.now()
    for job in jobs:
        Delivery.objects.filter(pk=job.delivery_id, next_attempt_at=job.lease_end).update(
            status=Delivery.Status.FAILED,
            next_attempt_at=None,
            claimed_until=None,
            completed_at=now,
            last_error="Not sent: the endpoint is disabled.",
        )


def _disable_failing_too_long(
    *, endpoint_ids: list[int], now: datetime, last: dict[int, SendOutcome]
) -> None:
    candidates = Endpoint.objects.filter(
        pk__in=endpoint_ids, active=True, failing_since__lte=now - DISABLE_AFTER
    ).order_by("pk")
    for endpoint in candidates:
        reason = (
            f"Every delivery attempt has failed since {endpoint.failing_since:%Y-%m-%d %H:%M} "
            f"UTC (5 days or more); last error: {last[endpoint.pk].describe()}. Fix the "
            "endpoint, then re-enable it."
        )
        if endpoint_disable(endpoint=endpoint, reason=reason):
            logger.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)


# --- runs ----------------------------------------------------------------------------------


@dataclass
class RunSummary:
    events_fanned_out: int = 0
    attempts: int = 0
    succeeded: int = 0
    retrying: int = 0
    gave_up: int = 0
    # Stopped by its time limit with work possibly left: the caller queues another run.
    more: bool = False

    def add(self, recorded: list[Recorded]) -> None:
        for item in recorded:
            self.attempts += 1
            if item.attempt.succeeded:
                self.succeeded += 1
            elif item.status == Delivery.Status.PENDING:
                self.retrying += 1
            else:
                self.gave_up += 1


def deliveries_run(*, seconds: float = RUN_SECONDS, once: bool = False) -> RunSummary:
    """Delivers what is due on the current database until nothing is, or `seconds` have
    passed: fans out waiting events, claims batches of due deliveries into the free send
    slots (`concurrency()`, at most `endpoint_concurrency()` per endpoint), sends them
    concurrently, and records them in batches. With `once`, each delivery is attempted at
    most once in this run (a retry due at once waits for the next run)."""
    sender = _sender()
    slots = concurrency()
    share = endpoint_concurrency()
    summary = RunSummary()
    inflight = 0
    done: queue.SimpleQueue[tuple[Job, SendOutcome]] = queue.SimpleQueue()
    busy: Counter[int] = Counter()
    finished: list[tuple[Job, SendOutcome]] = []
    finished_since = 0.0
    attempted: set[int] = set()
    stop_at = time.monotonic() + seconds
    last_claim = last_fan_out = 0.0
    fanned = returned = 0
    exhausted = False
    while True:
        now = time.monotonic()
        claiming = now < stop_at
        free = slots - inflight
        if (
            claiming
            and free > 0
            and (
                not inflight or returned >= max(1, share // 2) or now - last_claim >= CLAIM_SECONDS
            )
        ):
            if not inflight or fanned or now - last_fan_out >= FAN_OUT_SECONDS:
                fanned = events_fan_out()
                summary.events_fanned_out += fanned
                last_fan_out = now
            jobs = deliveries_claim(
                limit=free, per_endpoint=share, busy=busy, exclude=attempted if once else ()
            )
            last_claim = now
            returned = 0
            # Nothing found with sends still in flight may only mean every endpoint with due
            # work is at its share: the run ends after a claim with nothing in flight.
            exhausted = not jobs and not fanned and not inflight
            unsendable = [job for job in jobs if not job.endpoint_active]
            if unsendable:
                _fail_unsendable(unsendable)
            sendable = [job for job in jobs if job.endpoint_active]
            if once:
                attempted.update(job.delivery_id for job in jobs)
            if sendable:
                for job in sendable:
                    busy[job.endpoint_id] += 1
                inflight += len(sendable)
                sender.submit_many(sendable, done)
        if inflight:
            timeout = FLUSH_SECONDS
            if finished:
                timeout = max(0.0, finished_since + FLUSH_SECONDS - time.monotonic())
            try:
                items = [done.get(timeout=timeout)]
            except queue.Empty:
                items = []
            while True:  # everything else that finished meanwhile, without waiting
                try:
                    items.append(done.get_nowait())
                except queue.Empty:
                    break
            if items and not finished:
                finished_since = time.monotonic()
            for job, outcome in items:
                busy[job.endpoint_id] -= 1
                inflight -= 1
                returned += 1
                finished.append((job, outcome))
        if finished and (
            len(finished) >= FLUSH_SIZE
            or not inflight
            or time.monotonic() - finished_since >= FLUSH_SECONDS
        ):
            summary.add(outcomes_record(finished))
            finished = []
        if not inflight and not finished and (exhausted or not claiming):
            break
    summary.more = not exhausted
    return summary


def delivery_attempt(*, delivery_id: int) -> Attempt | None:
    """Makes one delivery's due attempt now, in this thread, if it can be claimed; returns the
    logged Attempt, or None when there was nothing to do (not due, claimed elsewhere,
    endpoint disabled)."""
    lease_end = delivery_claim(delivery_id=delivery_id)
    if lease_end is None:
        return None
    [job] = _jobs_load([delivery_id], lease_end)
    if not job.endpoint_active:
        _fail_unsendable([job])
        return None
    outcome = _sender().submit(job).result()
    [recorded] = outcomes_record([(job, outcome)])
    return recorded.attempt


# --- ops -----------------------------------------------------------------------------------


@dataclass
class DrainSummary:
    events_fanned_out: int = 0
    attempts: int = 0
    succeeded: int = 0
    retrying: int = 0
    gave_up: int = 0
    endpoints_disabled: list[int] = field(default_factory=list)


def deliveries_drain() -> DrainSummary:
    """Delivers everything due now in this process, without a worker or broker (ops, and
    `make run` without Redis): fans out waiting events, then attempts due deliveries until
    none is due. Each delivery is attempted at most once per run."""
    summary = DrainSummary()
    while fanned := events_fan_out():
        summary.events_fanned_out += fanned
    active_before = set(Endpoint.objects.filter(active=True).values_list("id", flat=True))
    run = deliveries_run(seconds=math.inf, once=True)
    summary.events_fanned_out += run.events_fanned_out
    summary.attempts, summary.succeeded = run.attempts, run.succeeded
    summary.retrying, summary.gave_up = run.retrying, run.gave_up
    active_after = set(Endpoint.objects.filter(active=True).values_list("id", flat=True))
    summary.endpoints_disabled = sorted(active_before - active_after)
    return summary


def attempts_prune(*, older_than_days: int) -> int:
    """Deletes attempts logged more than `older_than_days` days ago; returns how many. The
    deliveries keep their status, counts and last error."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = Attempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted
