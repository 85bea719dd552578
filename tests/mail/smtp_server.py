"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepts, for the mail tests
and the benchmark. It can be stopped and started on the same port (a mail server that is
down), hold messages before answering (a worker killed mid-send), or refuse them."""

import asyncio
import email
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage as MimeMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    parsed: MimeMessage = field(init=False)

    def __post_init__(self):
        self.parsed = email.message_from_bytes(self.data, policy=default_policy)

    @property
    def subject(self) -> str:
        return str(self.parsed["Subject"])

    def text(self) -> str:
        # Line ends as written (the wire has CRLF).
        return self.parsed.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")

    def html(self) -> str:
        return self.parsed.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")

    def attachments(self) -> list[tuple[str, bytes, str]]:
        return [
            (part.get_filename(), part.get_payload(decode=True), part.get_content_type())
            for part in self.parsed.iter_attachments()
        ]


class SmtpServer:
    """`with SmtpServer() as server:` … `server.messages`, `server.wait_for(n)`."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.messages: list[Received] = []
        self.held = 0  # messages whose DATA arrived while holding (never accepted)
        self.hold = False
        self.reply: str | None = None  # e.g. "550 5.7.1 Rejected": refuse every message
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # aiosmtpd handler hook
    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.hold:
            with self._lock:
                self.held += 1
            while self.hold:
                await asyncio.sleep(0.05)
            return "451 4.3.0 Not accepted, try again later"
        if self.reply:
            return self.reply
        with self._lock:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 2.0.0 Message accepted for delivery"

    def start(self) -> "SmtpServer":
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self.hold = False
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "SmtpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.messages)} of {count} messages received in {timeout} s")

    def settings(self) -> dict[str, object]:
        """Django settings that send to this server."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
        }

    def url(self) -> str:
        """The same as an EMAIL_URL (for worker processes)."""
        return f"smtp://{self.host}:{self.port}"
