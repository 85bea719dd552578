"""Email benchmark (run by hand; figures go in docs/performance.md).

1. What `email_queue` costs the caller: render both bodies, store the message and a PDF
   attachment, in its own transaction (the task is queued to Redis after the commit).
2. Messages per second: two Celery worker processes send N queued messages, each with the PDF
   attached, to a real SMTP server on loopback (aiosmtpd, tests/mail/smtp_server.py).

Needs PostgreSQL and Redis, and its own database (it empties the email tables):

    createdb -h 127.0.0.1 -U postgres ll_email_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ll_email_bench \\
    SANDBOX_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ll_email_bench \\
    REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/bench_email.py
"""

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("LOG_FORMAT", "plain")


def invoice_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(50, 790, "INVOICE INV-2026-001")
    pdf.setFont("Helvetica", 10)
    for line in range(30):
        pdf.drawString(50, 740 - 18 * line, f"Item {line + 1}   2 x 49.50   99.00")
    pdf.save()
    return buffer.getvalue()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def _start_workers(count: int, env: dict[str, str]) -> list[subprocess.Popen]:
    return [
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
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def queue_one(n: int, pdf: bytes):
    from core.db import atomic
    from mail.services import email_queue

    with atomic():
        return email_queue(
            to=[f"customer{n}@example.com"],
            subject=f"Invoice INV-2026-{n:04d} from Acme",
            template="document",
            context={
                "customer_name": f"Customer {n}",
                "document_type": "Invoice",
                "number": f"INV-2026-{n:04d}",
                "amount": "1,485.00",
                "currency": "USD",
                "due_date": "2026-12-31",
                "portal_url": f"https://billing.acme.test/p/inv_{n}",
            },
            attachments=[(f"INV-2026-{n:04d}.pdf", pdf, "application/pdf")],
            purpose="invoice",
            invoice_id=n,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or "bench" not in os.environ.get("DATABASE_URL", ""):
        raise SystemExit("Set REDIS_URL and a DATABASE_URL whose name contains 'bench'.")

    from tests.mail.smtp_server import SmtpServer

    server = SmtpServer().start()
    os.environ["EMAIL_URL"] = server.url()
    os.environ["DEFAULT_FROM_EMAIL"] = "Acme Billing <billing@acme.test>"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Max, Min

    from config.celery import app
    from mail.models import EmailMessage

    call_command("migrate", verbosity=0)
    EmailMessage.objects.all().delete()
    app.control.purge()
    pdf = invoice_pdf()

    # 1. Queue everything first (no worker yet: the tasks wait in Redis), timing each call.
    timings: list[float] = []
    for n in range(args.messages):
        t0 = time.perf_counter()
        queue_one(n, pdf)
        timings.append((time.perf_counter() - t0) * 1000)

    # 2. Then let the workers send them all: the rate is measured between the first and the
    # last recorded `sent_at`, so worker start-up is not counted.
    started = time.perf_counter()
    workers = _start_workers(args.workers, os.environ.copy())
    try:
        while True:
            done = EmailMessage.objects.filter(status="sent").count()
            if done >= args.messages:
                break
            if time.perf_counter() - started > 900:
                raise SystemExit(f"only {done}/{args.messages} sent after 900 s")
            time.sleep(0.1)
        wall = time.perf_counter() - started
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            proc.wait(timeout=30)
        server.stop()
    span = EmailMessage.objects.aggregate(first=Min("sent_at"), last=Max("sent_at"))
    seconds = (span["last"] - span["first"]).total_seconds()
    attempts = sum(EmailMessage.objects.values_list("attempts", flat=True))
    print(
        f"email_queue (render + row + {len(pdf)} B PDF, own transaction, task to Redis): "
        f"median {statistics.median(timings):.2f} ms, p95 {_percentile(timings, 0.95):.2f} ms\n"
        f"Sending: {args.messages} messages, {args.workers} worker processes (solo pool), "
        f"SMTP on loopback:\n  first to last sent in {seconds:.2f} s -> "
        f"{(args.messages - 1) / seconds:.1f} messages/s ({wall:.1f} s wall with worker "
        f"start-up; server received {len(server.messages)}, attempts {attempts})"
    )


if __name__ == "__main__":
    main()
