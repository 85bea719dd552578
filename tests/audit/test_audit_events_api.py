"""`GET /api/v2/audit-events` (contract section 9): administrators only, read-only,
filters, envelope and pagination."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from core.actor import Actor, acting_as

pytestmark = pytest.mark.django_db

URL = "/api/v2/audit-events"


def entry(*, at=None, actor=None, **fields) -> AuditEvent:
    values = {"action": "invoice.updated", "resource": "invoice", "resource_id": 1}
    values.update(fields)
    if at is not None:
        # Entries cannot be changed afterwards, so a dated one is inserted with its date.
        return AuditEvent.objects.create(at=at, actor_type="system", actor_name="system", **values)
    with acting_as(actor or Actor.system()):
        return audit_record(**values)


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["data"]]


def test_an_entry_as_the_contract_shows_it(api):
    with acting_as(Actor.api_key(api.api_key)):
        created = audit_record(
            action="invoice.updated",
            resource="invoice",
            resource_id=42,
            changes={"status": ["Unpaid", "Paid"]},
        )

    response = api.get(f"{URL}/{created.pk}")

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "data": {
            "id": created.pk,
            "at": created.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "actor": {
                "type": "api_key",
                "id": api.api_key.pk,
                "name": api.api_key.name or f"{api.api_key.prefix}…",
            },
            "action": "invoice.updated",
            "resource": "invoice",
            "resource_id": 42,
            "changes": {"status": ["Unpaid", "Paid"]},
            "request_id": None,
        },
    }


def test_a_non_numeric_resource_id_stays_a_string(api):
    created = entry(resource="setting", resource_id="books")

    assert api.get(f"{URL}/{created.pk}").json()["data"]["resource_id"] == "books"


def test_list_is_newest_first_with_meta(api):
    entry()
    second, third = entry(), entry()

    # (The fixture's API key has its own `api_key.created` entry.)
    response = api.get(URL, {"limit": 2, "resource": "invoice"})

    assert response.status_code == 200
    assert ids(response) == [third.pk, second.pk]
    assert response.json()["meta"] == {"current_page": 1, "total_pages": 2, "total_records": 3}


def test_filter_by_resource_and_resource_id(api):
    wanted = entry(resource="invoice", resource_id=7)
    entry(resource="invoice", resource_id=8)
    entry(resource="customer", resource_id=7)

    response = api.get(URL, {"resource": "invoice", "resource_id": 7})

    assert ids(response) == [wanted.pk]


def test_filter_by_actor_type(api):
    key_entry = entry(actor=Actor.api_key(api.api_key))
    entry(actor=Actor.system("command:seed_demo"))

    assert ids(api.get(URL, {"actor_type": "api_key"})) == [key_entry.pk]


def test_unknown_actor_type_is_a_400(api):
    response = api.get(URL, {"actor_type": "robot"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["actor_type"]


def test_date_filters_are_inclusive_days(api):
    def at(day, hour):
        return datetime(2024, 3, day, hour, 0, tzinfo=timezone.get_current_timezone())

    entry(at=at(9, 23))
    first_day = entry(at=at(10, 0))
    last_day = entry(at=at(12, 23))
    entry(at=at(13, 0))

    response = api.get(URL, {"date_from": "2024-03-10", "date_to": "2024-03-12"})

    assert ids(response) == [last_day.pk, first_day.pk]


def test_malformed_date_is_a_400(api):
    response = api.get(URL, {"date_from": "yesterday"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["date_from"]


def test_unknown_id_is_a_404(api):
    assert api.get(f"{URL}/999999").status_code == 404


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_only_administrators_read_the_trail(client_for, role):
    created = entry()
    client = client_for(role)

    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/{created.pk}").status_code == 403


def test_list_query_count_does_not_grow_with_the_page(api, django_assert_max_num_queries):
    for _ in range(30):
        entry()

    # Key lookup, usage, count, page: the same for 30 rows as for 1.
    with django_assert_max_num_queries(6):
        response = api.get(URL, {"limit": 30})

    assert len(response.json()["data"]) == 30


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", URL),
        ("put", "{detail}"),
        ("patch", "{detail}"),
        ("delete", "{detail}"),
        ("delete", URL),
    ],
)
def test_no_endpoint_writes_the_trail(api, method, path):
    created = entry(changes={"status": ["Unpaid", "Paid"]})
    url = path.format(detail=f"{URL}/{created.pk}")

    response = getattr(api, method)(url, {"action": "forged"}, format="json")

    assert response.status_code == 405
    assert response.json()["success"] is False
    assert list(
        AuditEvent.objects.exclude(resource="api_key").values_list("pk", "action", "changes")
    ) == [(created.pk, "invoice.updated", {"status": ["Unpaid", "Paid"]})]
