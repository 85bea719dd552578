"""The SSRF guard: at registration (a 400 on `url`) and inside every delivery's connection."""

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.webhooks.factories import DeliveryFactory, EndpointFactory
from tests.webhooks.receiver import Receiver, Reply
from webhooks.delivery import delivery_attempt
from webhooks.models import Delivery, Endpoint
from webhooks.target_guard import NAME_NOT_ALLOWED as NOT_ALLOWED
from webhooks.target_guard import address_refusal

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.0.0.1",
        "10.255.255.255",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.1.10",
        "169.254.169.254",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not a bind
        "100.64.0.1",
        "224.0.0.251",
        "240.0.0.1",
        "255.255.255.255",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "2002:a00:1::1",  # 6to4 around 10.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
        "2001:db8::1",  # documentation range
    ],
)
def test_non_public_addresses_are_refused(address):
    assert address_refusal(address) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert address_refusal(address) is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1/hook", "127.0.0.1 is a loopback address"),
        ("http://[::1]:8080/hook", "::1 is a loopback address"),
        ("http://10.1.2.3/hook", "10.1.2.3 is a private address"),
        ("https://172.16.5.4/hook", "172.16.5.4 is a private address"),
        ("http://192.168.0.10/hook", "192.168.0.10 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1 embeds 127.0.0.1 is a loopback"),
    ],
)
def test_registering_a_private_address_is_a_400_on_url(api, fake_dns, url, shown):
    fake_dns({})

    response = api.post("/api/v2/webhooks", {"url": url, "events": ["*"]}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["url"]
    assert shown in body["errors"]["url"]
    assert Endpoint.objects.count() == 0


def test_a_host_name_resolving_to_a_private_address_is_refused(api, fake_dns):
    fake_dns({"internal.example.com": ["192.168.10.20"]})

    response = api.post(
        "/api/v2/webhooks",
        {"url": "https://internal.example.com/hook", "events": ["*"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"url": NOT_ALLOWED.format(host="internal.example.com")}
    assert "192.168" not in response.content.decode()  # the DNS answer is not echoed
    assert Endpoint.objects.count() == 0


def test_a_host_with_one_public_and_one_private_address_is_refused(api, fake_dns):
    fake_dns({"mixed.example.com": ["93.184.216.34", "10.0.0.7"]})

    response = api.post(
        "/api/v2/webhooks", {"url": "https://mixed.example.com/", "events": ["*"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"url": NOT_ALLOWED.format(host="mixed.example.com")}
    assert "10.0.0.7" not in response.content.decode()


def test_a_host_resolving_to_a_public_address_is_accepted(api, fake_dns):
    fake_dns({"hooks.example.com": ["93.184.216.34"]})

    response = api.post(
        "/api/v2/webhooks", {"url": "https://hooks.example.com/in", "events": ["*"]}, format="json"
    )

    assert response.status_code == 201
    assert Endpoint.objects.get().url == "https://hooks.example.com/in"


def test_an_unresolvable_host_is_accepted_and_checked_at_delivery(api, fake_dns):
    fake_dns({})

    response = api.post(
        "/api/v2/webhooks", {"url": "https://nowhere.invalid/", "events": ["*"]}, format="json"
    )

    assert response.status_code == 201
    assert Endpoint.objects.get().url == "https://nowhere.invalid/"


def test_private_targets_can_be_allowed_for_development(api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True

    response = api.post(
        "/api/v2/webhooks", {"url": "http://127.0.0.1:8104/hook", "events": ["*"]}, format="json"
    )

    assert response.status_code == 201


def test_delivery_to_a_loopback_url_is_refused_without_connecting(settings):
    # The endpoint was stored directly (as if it had passed an earlier check): the guard in the
    # connection still refuses, and the receiver listening there never hears a byte.
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with Receiver() as receiver:
        delivery = DeliveryFactory(endpoint=EndpointFactory(url=receiver.url))

        attempt = delivery_attempt(delivery_id=delivery.pk)

        assert receiver.requests == []
    assert attempt.status_code is None
    assert attempt.error == ("Refused to connect to 127.0.0.1: 127.0.0.1 is a loopback address.")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.attempt_count == 1


def test_dns_rebinding_to_a_private_address_is_refused_at_delivery(settings, fake_dns):
    # Public when registered, private when delivered: the connect-time check catches it.
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    fake_dns({"rebind.example.com": ["127.0.0.1"]})
    with Receiver() as receiver:
        endpoint = EndpointFactory(url=f"http://rebind.example.com:{receiver.port}/hooks")
        delivery = DeliveryFactory(endpoint=endpoint)

        attempt = delivery_attempt(delivery_id=delivery.pk)

        assert receiver.requests == []
    assert attempt.error == "Refused to connect to rebind.example.com: the target is not allowed."


def test_the_connection_goes_to_the_checked_address_with_the_original_host_header(
    private_targets, fake_dns
):
    # "hooks.internal" exists only in the guard's resolver table: the request arriving proves
    # the socket connected to the address the guard resolved, and the Host header is intact.
    fake_dns({"hooks.internal": ["127.0.0.1"]})
    with Receiver() as receiver:
        endpoint = EndpointFactory(url=f"http://hooks.internal:{receiver.port}/in")

        attempt = delivery_attempt(delivery_id=DeliveryFactory(endpoint=endpoint).pk)

        assert attempt.status_code == 200
        assert receiver.requests[0].headers["host"] == f"hooks.internal:{receiver.port}"
        assert receiver.requests[0].path == "/in"


def test_a_redirect_is_never_followed(private_targets):
    # Private targets are allowed here so the first receiver can be reached at all; the redirect
    # target (another local receiver) must still never be contacted.
    with (
        Receiver() as target,
        Receiver(default=Reply(302, b"", headers={"Location": target.url})) as redirector,
    ):
        delivery = DeliveryFactory(endpoint=EndpointFactory(url=redirector.url))

        attempt = delivery_attempt(delivery_id=delivery.pk)

        assert len(redirector.requests) == 1
        assert target.requests == []
    assert attempt.status_code == 302
    assert attempt.succeeded is False
    assert attempt.error.startswith(f"HTTP 302 redirect to {target.url} not followed")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.last_error == attempt.error


def test_a_rebinding_refusal_shown_by_the_api_and_admin_names_no_address(api, settings, fake_dns):
    admin_client = Client()
    admin_client.force_login(UserFactory(role="administrator"))
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    fake_dns({"rebind.example.com": ["10.20.30.40"]})
    endpoint = EndpointFactory(url="http://rebind.example.com/hooks")
    delivery = DeliveryFactory(endpoint=endpoint)

    delivery_attempt(delivery_id=delivery.pk)

    shown = api.get(f"/api/v2/webhooks/{endpoint.pk}/deliveries").content.decode()
    page = admin_client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").content.decode()
    assert "the target is not allowed" in shown
    assert "the target is not allowed" in page
    assert "10.20.30.40" not in shown + page
    delivery.refresh_from_db()
    assert delivery.last_error == (
        "Refused to connect to rebind.example.com: the target is not allowed."
    )


def test_patching_to_a_name_resolving_privately_names_no_address(api, fake_dns):
    fake_dns({"public.example.com": ["93.184.216.34"], "inside.example.com": ["172.20.0.9"]})
    endpoint_id = api.post(
        "/api/v2/webhooks", {"url": "https://public.example.com/", "events": ["*"]}, format="json"
    ).json()["data"]["id"]

    response = api.patch(
        f"/api/v2/webhooks/{endpoint_id}", {"url": "https://inside.example.com/"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"url": NOT_ALLOWED.format(host="inside.example.com")}
    assert "172.20" not in response.content.decode()
    assert Endpoint.objects.get().url == "https://public.example.com/"
