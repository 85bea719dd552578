"""End to end with real Celery worker processes, Redis, PostgreSQL and a real SMTP server on
loopback: the issue's fault tests."""

import time
from contextlib import contextmanager

import pytest

from core.db import atomic
from mail import sending
from mail.models import EmailMessage
from mail.services import _queue_send, email_queue
from tests.celery_worker import celery_worker
from tests.mail.smtp_server import SmtpServer
from tests.markers import requires_postgres, requires_redis

pytestmark = [
    pytest.mark.worker,
    requires_postgres,
    requires_redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _clean_broker():
    from config.celery import app

    app.control.purge()  # no message left over from another test
    yield
    app.control.purge()


@pytest.fixture
def server():
    with SmtpServer() as smtp:
        yield smtp


def worker_env(server: SmtpServer, **extra: str) -> dict[str, str]:
    # The worker is another process: it reads its settings from the environment.
    return {
        "EMAIL_URL": server.url(),
        "DEFAULT_FROM_EMAIL": "billing@acme.test",
        "EMAIL_RETRY_DELAYS": "2,30,30",
        "EMAIL_SWEEP_SECONDS": "1",
        "EMAIL_TIMEOUT": "3",
        **extra,
    }


def queue(n: int = 1) -> EmailMessage:
    with atomic():
        return email_queue(
            to=[f"customer{n}@example.com"],
            subject=f"Invoice INV-2026-{n:03d}",
            template="message",
            context={"message": f"Invoice {n} is attached."},
            attachments=[(f"INV-2026-{n:03d}.pdf", b"%PDF-1.4 " + bytes([n]), "application/pdf")],
            purpose="invoice",
            invoice_id=n,
        )


def wait_until(predicate, timeout: float = 90.0):
    # Generous: on a loaded 2-core CI machine two workers take a while to get going.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    # Says where each message stands, so a failure explains itself.
    states = list(EmailMessage.objects.values_list("pk", "status", "attempts", "last_error"))
    raise AssertionError(f"condition not met in time; messages: {states}")


def status_of(message: EmailMessage) -> str:
    message.refresh_from_db()
    return message.status


@contextmanager
def broker_unreachable():
    """Points this process's Celery app at a closed port, as if Redis were down."""
    from config.celery import app

    def reset_pools():
        app._pool = None
        app.amqp.__dict__.pop("_producer_pool", None)

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    reset_pools()
    try:
        yield
    finally:
        app.conf.broker_url = original
        reset_pools()


def test_a_committed_message_is_sent_by_the_worker(server):
    with celery_worker(extra_env=worker_env(server)):
        message = queue()
        [received] = server.wait_for(1)
        wait_until(lambda: status_of(message) == "sent")

    assert received.rcpt_tos == ["customer1@example.com"]
    assert received.subject == "Invoice INV-2026-001"
    assert received.attachments() == [("INV-2026-001.pdf", b"%PDF-1.4 \x01", "application/pdf")]
    assert (message.attempts, message.last_error) == (1, "")


def test_server_down_fails_the_attempt_then_it_is_sent_once_when_back(server):
    server.stop()
    with celery_worker(beat=True, extra_env=worker_env(server)):
        message = queue()
        # The first attempt is recorded (claimed attempts count at once; the lease goes after).
        wait_until(
            lambda: EmailMessage.objects.filter(
                pk=message.pk, attempts=1, claimed_until__isnull=True
            ).exists()
        )
        message.refresh_from_db()
        # Failed with the error, retry scheduled 2 s later.
        assert message.status == "queued"
        assert message.last_error.startswith("ConnectionRefusedError: ")
        assert (message.next_attempt_at - message.updated_at).total_seconds() == 2

        server.start()
        wait_until(lambda: status_of(message) == "sent")
        time.sleep(3)  # a few more sweeps: nothing goes out twice

    assert len(server.messages) == 1
    assert message.attempts == 2


def test_a_worker_killed_mid_send_is_replaced_and_the_message_sent_once(server):
    server.hold = True  # the server takes the data and does not answer
    with celery_worker(extra_env=worker_env(server)) as doomed:
        message = queue()
        wait_until(lambda: server.held == 1)
        doomed.kill()
        doomed.wait(timeout=10)
    server.hold = False
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert message.claimed_until is not None  # the dead worker's lease

    # Another worker: once the lease (4 × EMAIL_TIMEOUT + 5 s) has run out, the sweep sends it.
    with celery_worker(beat=True, extra_env=worker_env(server)):
        wait_until(lambda: status_of(message) == "sent", timeout=60)
        time.sleep(2)

    assert len(server.messages) == 1
    assert (message.attempts, message.last_error) == (2, sending.WORKER_LOST)


def test_a_message_committed_while_the_broker_is_down_is_sent_by_the_sweep(server):
    started = time.monotonic()
    with broker_unreachable():
        message = queue()
    assert time.monotonic() - started < 3
    message.refresh_from_db()
    assert (message.status, message.queued_at) == ("queued", None)

    with celery_worker(beat=True, extra_env=worker_env(server)):
        [received] = server.wait_for(1)
        wait_until(lambda: status_of(message) == "sent")

    assert received.subject == "Invoice INV-2026-001"


def test_two_workers_racing_on_every_message_send_each_once(server):
    env = worker_env(server)
    with celery_worker(extra_env=env), celery_worker(extra_env=env):
        messages = [queue(n) for n in range(1, 21)]
        for message in messages:  # a second task for each: both workers try every message
            _queue_send(message.pk, "default")
        wait_until(lambda: EmailMessage.objects.filter(status="sent").count() == 20)
        time.sleep(1)

    assert sorted(r.subject for r in server.messages) == [
        f"Invoice INV-2026-{n:03d}" for n in range(1, 21)
    ]
    assert set(EmailMessage.objects.values_list("attempts", flat=True)) == {1}
