"""The event catalog: every event type an endpoint can subscribe to (contract section 7).

It is the single list that `GET /api/v2/events` shows, that endpoint subscriptions are
validated against, and that `event_publish` checks, so a misspelt type fails in the caller's
tests instead of being published to nobody.
"""

WILDCARD = "*"
# Sent only by "send test" to one endpoint; never subscribed to, so not in the catalog.
PING = "ping"

EVENT_TYPES: dict[str, str] = {
    "customer.created": "A customer was created (one event per customer, batches included).",
    "customer.updated": "A customer's details changed.",
    "customer.deleted": "A customer was deleted; `data` is the customer as it was.",
    "invoice.created": "An invoice was created.",
    "invoice.updated": "An invoice changed: its items, dates, notes, status or amounts.",
    "invoice.paid": "An invoice's balance due reached zero.",
    "invoice.issued": "An invoice was issued: it has its number and is owed from now on.",
    "invoice.cancelled": "An issued invoice was cancelled; it keeps its number.",
    "credit_note.created": "A credit note was issued against an invoice.",
    "payment.received": "A payment was recorded against an invoice.",
    "quote.created": "A quote was created.",
    "quote.converted": "A quote was turned into an invoice.",
    "transaction.created": "A ledger transaction (income or expense) was recorded.",
    "ticket.created": "A support ticket was opened.",
    "ticket.replied": "Staff or the customer replied on a ticket.",
    "lead.created": "A lead was created.",
    "lead.converted": "A lead was converted into a customer.",
    # Beyond the contract's minimum: integrations that mirror data need every change.
    "quote.updated": "A quote's items, dates, notes or status changed.",
    "payment.voided": "A payment was voided; the invoice's balance went back up.",
    "transaction.updated": "A ledger transaction was changed.",
    "transaction.deleted": "A ledger transaction was deleted; `data` is it as it was.",
    "ticket.updated": "A ticket's status, priority, department or assignee changed.",
    "lead.updated": "A lead's details or pipeline status changed.",
    "invoice.sent": "An invoice was emailed to the customer (`sent_at` set).",
    "quote.sent": "A quote was emailed to the customer (`sent_at` set).",
    "credit_note.sent": "A credit note was emailed to the customer.",
    "recurring_invoice.created": "A recurring invoice schedule was created.",
    "recurring_invoice.updated": "A recurring invoice schedule changed, was paused or resumed.",
    "recurring_invoice.deleted": (
        "A recurring invoice schedule was deleted; `data` is it as it was."
    ),
    "quote.accepted": "The customer accepted a quote on the client portal (`accepted_by`).",
    "quote.declined": "The customer declined a quote on the client portal.",
}


def is_known(event_type: str) -> bool:
    return event_type in EVENT_TYPES


def subscribes_to(subscribed: list[str], event_type: str) -> bool:
    return WILDCARD in subscribed or event_type in subscribed
