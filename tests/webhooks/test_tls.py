"""HTTPS through the pinned webhook transport: the TCP connection goes to the checked
address, while TLS (SNI and the certificate check) and the Host header keep the URL's host
name. A real TLS server on 127.0.0.1 with certificates from a throwaway CA (trustme)."""

import asyncio
import http.server
import ssl
import threading

import httpx
import pytest
import trustme

from webhooks import target_guard

HOST = "hooks.example.test"


class _TLSServer:
    def __init__(self, ca: trustme.CA, cert_for: str) -> None:
        self.sni: list[str | None] = []
        self.hosts: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.hosts.append(self.headers["Host"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                """Quiet: failed handshakes are the point of some tests."""

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(cert_for).configure_cert(context)
        context.sni_callback = lambda sock, name, ctx: self.sni.append(name)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"https://{HOST}:{self.port}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "_TLSServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(autouse=True)
def _dns(fake_dns, private_targets):
    # The URL's name resolves (in this test's DNS) to the loopback server.
    fake_dns({HOST: ["127.0.0.1"]})


def _trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def _post(url: str, ssl_context: ssl.SSLContext | None = None) -> httpx.Response:
    # The client deliveries use (webhooks.delivery sends on an event loop).
    async def post() -> httpx.Response:
        async with target_guard.pinned_async_client(5, ssl_context=ssl_context) as client:
            return await client.post(url, content=b"{}")

    return asyncio.run(post())


def test_tls_keeps_the_host_name_while_connecting_to_the_checked_address(ca):
    with _TLSServer(ca, cert_for=HOST) as server:
        response = _post(server.url, _trusting(ca))

    assert response.status_code == 200
    assert server.sni == [HOST]
    assert server.hosts == [f"{HOST}:{server.port}"]


def test_a_certificate_for_another_name_is_refused(ca):
    with _TLSServer(ca, cert_for="someone-else.example.test") as server:
        with pytest.raises(httpx.ConnectError, match="(?i)hostname|certificate"):
            _post(server.url, _trusting(ca))

    assert server.hosts == []


def test_certificates_are_verified_by_default(ca):
    # The default trust store (public CAs) does not know the throwaway CA.
    with _TLSServer(ca, cert_for=HOST) as server:
        with pytest.raises(httpx.ConnectError, match="(?i)certificate verify failed"):
            _post(server.url)

    assert server.hosts == []
