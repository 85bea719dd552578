"""`audit_record`: one INSERT in the writer's transaction, with the actor and request id from
the context; `diff_fields`/`snapshot`: what changed, JSON-ready."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from audit.changes import diff_fields, snapshot
from audit.models import AuditEvent
from audit.services import audit_record, audit_record_each, audit_record_many
from core.actor import Actor, acting_as
from core.db import atomic
from core.request_id import reset_request_id, set_request_id
from tests.factories import CustomerFactory, make_api_key

pytestmark = pytest.mark.django_db


def test_audit_record_is_exactly_one_statement(django_assert_num_queries):
    with django_assert_num_queries(1):
        audit_record(action="invoice.updated", resource="invoice", resource_id=7, changes={})


def test_audit_record_stores_actor_request_id_and_changes():
    key, _ = make_api_key(name="Billing sync")
    token = set_request_id("req-123")
    try:
        with acting_as(Actor.api_key(key)):
            entry = audit_record(
                action="invoice.updated",
                resource="invoice",
                resource_id=7,
                changes={"amount": [100.0, 150.0]},
            )
    finally:
        reset_request_id(token)

    stored = AuditEvent.objects.get(pk=entry.pk)
    assert (stored.actor_type, stored.actor_id, stored.actor_name) == (
        "api_key",
        key.pk,
        "Billing sync",
    )
    assert (stored.action, stored.resource, stored.resource_id) == (
        "invoice.updated",
        "invoice",
        "7",
    )
    assert stored.changes == {"amount": [100.0, 150.0]}
    assert stored.request_id == "req-123"


def test_outside_any_request_the_actor_is_the_system_and_there_is_no_request_id():
    entry = audit_record(action="books.updated", resource="books", resource_id=1)

    assert (entry.actor_type, entry.actor_id, entry.actor_name) == ("system", None, "system")
    assert entry.request_id == ""
    assert entry.changes == {}


def test_an_entry_rolls_back_with_the_write_that_failed():
    with pytest.raises(RuntimeError), atomic():
        audit_record(action="invoice.updated", resource="invoice", resource_id=7)
        raise RuntimeError("the write failed after recording")

    assert AuditEvent.objects.count() == 0


def test_diff_fields_keeps_only_changed_fields_as_json():
    before = {
        "amount": Decimal("100.00"),
        "tax": Decimal("10.0"),
        "date": date(2024, 1, 15),
        "sent_at": None,
        "notes": "same",
    }
    after = {
        "amount": Decimal("150.50"),
        "tax": Decimal("10.00"),
        "date": date(2024, 2, 1),
        "sent_at": datetime(2024, 2, 1, 9, 30, tzinfo=UTC),
        "notes": "same",
    }

    assert diff_fields(before, after) == {
        "amount": [100.0, 150.5],
        "date": ["2024-01-15", "2024-02-01"],
        "sent_at": [None, "2024-02-01T09:30:00Z"],
    }


def test_diff_fields_of_a_creation_and_a_deletion():
    assert diff_fields({}, {"name": "Acme", "owner_id": 3}) == {
        "name": [None, "Acme"],
        "owner_id": [None, 3],
    }
    assert diff_fields({"name": "Acme"}, {}) == {"name": ["Acme", None]}


def test_diff_fields_names_related_rows_by_id():
    first, second = CustomerFactory(), CustomerFactory()

    assert diff_fields({"customer": first}, {"customer": second}) == {
        "customer": [first.pk, second.pk]
    }


def test_snapshot_reads_foreign_keys_by_column_and_skips_auto_timestamps():
    key, _ = make_api_key(name="Ops")

    values = snapshot(key)

    assert values["user_id"] == key.user_id
    assert values["name"] == "Ops"
    assert "user" not in values and "id" not in values


def test_snapshot_of_chosen_fields():
    customer = CustomerFactory(account="Acme", city="Oslo")

    assert snapshot(customer, ["account", "city"]) == {"account": "Acme", "city": "Oslo"}


def test_audit_record_many_is_one_statement_for_a_batch(django_assert_num_queries):
    with (
        acting_as(Actor.system("command:import")),
        django_assert_num_queries(1),
    ):
        audit_record_many(
            action="customer.created",
            resource="customer",
            entries=[(1, {"account": [None, "A"]}), (2, {"account": [None, "B"]})],
        )

    assert list(
        AuditEvent.objects.order_by("resource_id").values_list(
            "resource_id", "actor_name", "changes"
        )
    ) == [
        ("1", "command:import", {"account": [None, "A"]}),
        ("2", "command:import", {"account": [None, "B"]}),
    ]


def test_audit_record_each_is_one_statement_for_a_write_on_several_rows(
    django_assert_num_queries,
):
    with acting_as(Actor.system("task:pay")), django_assert_num_queries(1):
        audit_record_each(
            entries=[
                ("payment.received", "payment", 7, {"amount": [None, 10]}),
                ("invoice.updated", "invoice", 3, None),
            ]
        )

    assert list(
        AuditEvent.objects.order_by("id").values_list(
            "action", "resource", "resource_id", "actor_name", "changes"
        )
    ) == [
        ("payment.received", "payment", "7", "task:pay", {"amount": [None, 10]}),
        ("invoice.updated", "invoice", "3", "task:pay", {}),
    ]
