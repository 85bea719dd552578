"""A local HTTP receiver for webhook tests: a real server on 127.0.0.1 that records every
request, checks its signature the way a customer's receiver would (with the
`standardwebhooks` package's own `Webhook.verify`), and answers from a script."""

import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    verify_error: str


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict | None = None
    delay: float = 0.0


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a run opening 30 connections at once had some
    # reset (ReadError after ~1 s) before the server thread accepted them. Real receivers
    # listen with the kernel's default (4096 on current Linux).
    request_queue_size = 128


class Receiver:
    """`with Receiver(replies=[Reply(500), Reply(200)]) as r:` ... `r.url`, `r.requests`.
    Replies are used in order; once used up, `default` answers."""

    def __init__(self, *, replies: list[Reply] | None = None, default: Reply | None = None):
        self.replies: deque[Reply] = deque(replies or [])
        self.default = default or Reply()
        self.secret: str | None = None
        self.requests: list[Received] = []
        # Requests being answered right now, and the most there ever were at once.
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver._record(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver._lock:
                    reply = receiver.replies.popleft() if receiver.replies else receiver.default
                    receiver.active += 1
                    receiver.max_active = max(receiver.max_active, receiver.active)
                try:
                    if reply.delay:
                        time.sleep(reply.delay)
                finally:
                    with receiver._lock:
                        receiver.active -= 1
                self.send_response(reply.status)
                for name, value in (reply.headers or {}).items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args):
                """Keeps the test output free of one access line per request."""

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> None:
        verified, error = False, "no secret set"
        if self.secret:
            try:
                Webhook(self.secret).verify(body, headers)
                verified, error = True, ""
            except WebhookVerificationError as exc:
                error = str(exc)
        with self._lock:
            self.requests.append(Received(path, headers, body, verified, error))

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.05)
        raise AssertionError(f"receiver got {len(self.requests)} requests, expected {count}")

    def __enter__(self) -> "Receiver":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
