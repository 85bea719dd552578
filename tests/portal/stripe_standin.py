"""A stand-in for Stripe's API on loopback, so that no test ever reaches Stripe's servers.

`STRIPE_API_BASE` points the `stripe` package at it. It answers `POST /v1/checkout/sessions`
as Stripe does (a session object with an `url`), records every request it gets (path,
headers, form fields), and answers anything else 404.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


class StripeStandIn:
    def __init__(self, status: int = 200):
        self.requests: list[dict] = []
        self.status = status
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "StripeStandIn":
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                stand_in.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "form": dict(parse_qsl(body, keep_blank_values=True)),
                    }
                )
                if self.path != "/v1/checkout/sessions":
                    self._answer(404, {"error": {"type": "invalid_request_error"}})
                elif stand_in.status != 200:
                    self._answer(
                        stand_in.status,
                        {"error": {"type": "api_error", "message": "Stand-in refused."}},
                    )
                else:
                    number = len(stand_in.requests)
                    self._answer(
                        200,
                        {
                            "id": f"cs_test_standin_{number}",
                            "object": "checkout.session",
                            "url": f"https://checkout.stripe.test/c/pay/cs_test_standin_{number}",
                        },
                    )

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args):  # noqa: A002 - quiet test output
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
