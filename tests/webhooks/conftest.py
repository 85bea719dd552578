import pytest

from webhooks import target_guard


@pytest.fixture
def private_targets(settings):
    """Local receivers live on 127.0.0.1: allow it for tests that are not about the guard."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_TIMEOUT = 2.0
    return settings


@pytest.fixture
def fake_dns(monkeypatch):
    """`fake_dns({"hooks.example.com": ["10.0.0.5"]})`: the guard's resolver answers from the
    table (names not in it fail to resolve)."""
    import socket

    def install(table: dict[str, list[str]]):
        def resolve(host: str, port: int) -> list[str]:
            if host in table:
                return table[host]
            try:
                # Address literals resolve to themselves, as getaddrinfo does.
                import ipaddress

                ipaddress.ip_address(host)
                return [host]
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

        monkeypatch.setattr(target_guard, "resolve_host", resolve)

    return install
