"""bench/load's registry stays consistent as flows are added (the load test itself runs by
hand: bench/load/run.sh)."""

from django.core.management import get_commands

from bench.load import scenarios, verify
from webhooks.catalog import EVENT_TYPES


def test_scenarios_have_unique_names_and_positive_weights():
    names = [s.name for s in scenarios.SCENARIOS]
    assert len(names) == len(set(names))
    assert all(s.weight > 0 for s in scenarios.SCENARIOS)


def test_every_event_a_write_must_leave_is_in_the_catalog():
    named = {effect.name for write in scenarios.WRITES.values() for effect in write.events}
    assert named - set(EVENT_TYPES) == set()


def test_every_job_is_a_management_command():
    assert {job.command[0] for job in scenarios.JOBS} <= set(get_commands())


def test_every_audit_action_names_its_resource():
    for write in scenarios.WRITES.values():
        for effect in write.audits:
            resource, _, verb = effect.name.partition(".")
            assert resource and verb, effect.name


def test_the_verifier_has_its_checks():
    names = {fn.__name__ for fn in verify.CHECKS}
    assert {
        "no_server_errors",
        "numbers_gapless",
        "ledger_matches",
        "one_event_per_write",
        "one_audit_entry_per_write",
        "emails_each_sent_once",
        "reports_equal_live_aggregates",
        "recurring_each_period_once",
        "online_payments_once",
        "quotes_accepted_in_portal",
    } <= names


def test_the_new_flows_are_registered():
    names = {s.name for s in scenarios.SCENARIOS}
    assert {
        "recurring create",
        "portal view",
        "quote accepted in portal",
        "stripe checkout completed",
        "foreign invoice create",
    } <= names
    assert "generate_recurring_invoices" in {job.name for job in scenarios.JOBS}
