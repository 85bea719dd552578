"""Keeps webhooks from being used to reach internal hosts (SSRF).

A webhook URL is chosen by an API user, so without a guard it is a way to make the server
POST to `127.0.0.1`, a database on the private network, or a cloud metadata service. The
guard runs twice: when an endpoint is registered (a friendly 400) and inside every delivery's
connection, which is the check that counts:

- the host is resolved once, and every address it resolves to must be public
  (`is_global`, and not loopback, private, link-local, multicast, reserved or unspecified;
  IPv4-mapped, 6to4, Teredo and NAT64 IPv6 addresses are judged by the IPv4 address inside);
- the socket then connects to one of those checked addresses, never to a name resolved a
  second time, so DNS rebinding between check and connect is impossible;
- the URL, `Host` header and TLS server name (SNI and certificate check) stay the original
  host name, because only the TCP connect is redirected to the pinned address;
- redirects are never followed, and environment proxies are ignored.

A refusal never tells the caller what a host name resolved to (that would let an API user map
internal names and addresses): for a name it says only that the target is not allowed, and the
resolved address goes to the server log. An address literal's reason is shown, since it only
repeats the caller's own input.

`settings.WEBHOOK_ALLOW_PRIVATE_TARGETS` turns the address check off (development, tests).
"""

import ipaddress
import logging
import socket
import ssl
import time
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx
from django.conf import settings
from httpcore._synchronization import AsyncShieldCancellation

logger = logging.getLogger("ledgerline.webhooks")

NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")


class TargetNotAllowed(Exception):
    """The URL's host is, or resolves to, an address webhooks may not reach."""


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in resolver order, without duplicates. Tests replace
    this function to simulate DNS answers."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(raw: str) -> str | None:
    """Why webhooks may not connect to the address `raw`, or None when it is public."""
    try:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
    except ValueError:
        return f"{raw} is not an IP address"
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            reason = address_refusal(str(inner))
            return f"{raw} embeds {reason}" if reason else None
    for flag, word in (
        ("is_loopback", "a loopback"),
        ("is_link_local", "a link-local"),
        ("is_multicast", "a multicast"),
        ("is_unspecified", "an unspecified"),
        ("is_reserved", "a reserved"),
        ("is_private", "a private"),
    ):
        if getattr(address, flag):
            return f"{address} is {word} address"
    if not address.is_global:
        return f"{address} is not a public internet address"
    return None


def _is_address_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def checked_addresses(host: str, port: int) -> list[str]:
    """Resolves `host` once and returns its addresses, all checked (unless private targets are
    allowed). Raises TargetNotAllowed if any one is refused: a name with one public and one
    private address is refused, since the client cannot be trusted to pick the public one.
    The exception's message never contains a resolved address (see the module docstring)."""
    try:
        addresses = resolve_host(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"Could not resolve host {host}: {exc}") from exc
    if not addresses:
        raise httpcore.ConnectError(f"Host {host} resolved to no address")
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            reason = address_refusal(address)
            if reason is None:
                continue
            if _is_address_literal(host):
                raise TargetNotAllowed(f"Refused to connect to {host}: {reason}.")
            logger.warning("webhook target %s refused: %s", host, reason)
            raise TargetNotAllowed(f"Refused to connect to {host}: the target is not allowed.")
    return addresses


class AsyncPinnedBackend(httpcore.AnyIOBackend):
    """httpcore's network backend with the check between resolving and connecting: the socket
    connects to a checked address literal, so nothing resolves the name again. Resolving
    blocks, so it runs in a worker thread, off the event loop."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options=None,
    ) -> httpcore.AsyncNetworkStream:
        last_error: Exception | None = None
        for address in await anyio.to_thread.run_sync(checked_addresses, host, port):
            try:
                return await super().connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None  # noqa: S101 - checked_addresses never returns []
        raise last_error


class _ReleasingStream:
    """A response body that hands its connection back to the pool once read and closed."""

    def __init__(self, stream, pool: "_AsyncOriginPool", key, connection) -> None:
        self._stream = stream
        self._pool = pool
        self._key = key
        self._connection = connection
        self._closed = False

    async def __aiter__(self):
        try:
            async for part in self._stream:
                yield part
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            with AsyncShieldCancellation():
                await self._stream.aclose()
        finally:
            await self._pool.release(self._key, self._connection)


class _AsyncOriginPool:
    """httpcore's AsyncConnectionPool without its cost: that pool walks every connection (and
    asks each socket for its peer name) on every request state change, which at 32
    concurrent requests to one receiver was most of the sender's CPU. Here each origin keeps a
    stack of idle keep-alive connections: a request pops one (or opens a new one over the
    pinned backend), and its response's close pushes it back. How many requests run at once
    is bounded by the caller (webhooks.delivery keeps a share per endpoint), so the pool
    needs no queue of its own."""

    def __init__(
        self, *, ssl_context: ssl.SSLContext, max_keepalive_connections: int, keepalive_expiry
    ) -> None:
        self._ssl_context = ssl_context
        self._max_idle = max_keepalive_connections
        self._keepalive_expiry = keepalive_expiry
        self._backend = AsyncPinnedBackend()
        self._idle: dict = {}
        self._pruned_at = time.monotonic()

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        scheme = request.url.scheme.decode()
        if scheme not in ("http", "https"):
            raise httpcore.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme}://'."
            )
        if time.monotonic() - self._pruned_at > (self._keepalive_expiry or 5.0):
            await self._prune()
        origin = request.url.origin
        key = (origin.scheme, origin.host, origin.port)
        idle = self._idle.get(key)
        while True:
            connection = None
            while idle:
                candidate = idle.pop()
                if candidate.is_available() and not candidate.has_expired():
                    connection = candidate
                    break
                await candidate.aclose()
            reused = connection is not None
            if connection is None:
                connection = httpcore.AsyncHTTPConnection(
                    origin=origin,
                    ssl_context=self._ssl_context,
                    keepalive_expiry=self._keepalive_expiry,
                    network_backend=self._backend,
                )
            try:
                response = await connection.handle_async_request(request)
            except httpcore.ConnectionNotAvailable:
                await connection.aclose()
                if reused:  # a kept-alive connection the server closed meanwhile
                    continue
                raise
            except BaseException:
                with AsyncShieldCancellation():
                    await connection.aclose()
                raise
            return httpcore.Response(
                status=response.status,
                headers=response.headers,
                content=_ReleasingStream(response.stream, self, key, connection),
                extensions=response.extensions,
            )

    async def _prune(self) -> None:
        # Origins no longer sent to would otherwise keep their closed sockets for good. The
        # lists are split before any await, so no connection is ever in two of them.
        self._pruned_at = time.monotonic()
        idle, self._idle = self._idle, {}
        stale = []
        for key, connections in idle.items():
            for connection in connections:
                if connection.is_available() and not connection.has_expired():
                    self._idle.setdefault(key, []).append(connection)
                else:
                    stale.append(connection)
            connections.clear()
        for connection in stale:
            await connection.aclose()

    async def release(self, key, connection) -> None:
        idle = self._idle.setdefault(key, [])
        if connection.is_available() and len(idle) < self._max_idle:
            idle.append(connection)
        else:
            await connection.aclose()

    async def __aenter__(self) -> "_AsyncOriginPool":
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, {}
        closing = [connection for connections in idle.values() for connection in connections]
        for connections in idle.values():
            connections.clear()
        for connection in closing:
            await connection.aclose()


class AsyncPinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request mapping, TLS, error mapping) over `AsyncPinnedBackend`,
    with a lighter pool (`_AsyncOriginPool`)."""

    def __init__(
        self, *, limits: httpx.Limits | None = None, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=100)
        super().__init__(trust_env=False, limits=limits)
        # httpx has no argument for the pool or the network backend, so the pool it built is
        # replaced (httpx and httpcore are pinned in requirements/base.txt).
        self._pool = _AsyncOriginPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            max_keepalive_connections=limits.max_keepalive_connections or 100,
            keepalive_expiry=limits.keepalive_expiry,
        )


def pinned_async_client(
    timeout: float,
    *,
    limits: httpx.Limits | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    """An HTTP client that only reaches checked addresses and never follows redirects; it
    keeps connections alive per origin (one pool per endpoint host). `ssl_context` replaces
    the default trust store (the public CAs), e.g. with a private CA."""
    return httpx.AsyncClient(
        transport=AsyncPinnedTransport(limits=limits, ssl_context=ssl_context),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": "Ledgerline-Webhooks/1.0"},
    )


NAME_NOT_ALLOWED = (
    "The host {host} is not allowed as a webhook target: it must resolve only to public "
    "internet addresses."
)


def url_target_problem(url: str) -> str | None:
    """The registration-time check: one sentence saying why `url` cannot be a webhook target,
    or None. A name that resolves to a private address is refused; one that does not resolve
    at all is accepted. Delivery checks again at connect time, because DNS answers change."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Enter a valid URL."
    if parts.scheme not in ("http", "https"):
        return "URL must start with http:// or https://."
    if not parts.hostname:
        return "Enter a valid URL."
    try:
        host = httpx.URL(url).raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError):
        return "Enter a valid URL."
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        checked_addresses(host, port)
    except TargetNotAllowed as exc:
        if _is_address_literal(host):
            return f"URL must point to a public internet address: {exc}"
        return NAME_NOT_ALLOWED.format(host=parts.hostname)
    except httpcore.ConnectError:
        # Not resolvable now (a DNS record still to be made, a resolver hiccup): accepted, as
        # Stripe and Svix do; every delivery resolves and checks the address again, and a
        # name that never resolves fails its attempts like a server that is down.
        return None
    return None
