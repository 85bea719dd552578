"""The shipped email templates render for the callers that will use them (billing: invoices,
quotes, credit notes, receipts, reminders): text unescaped, HTML escaped, company signature."""

import pytest

from mail.rendering import email_render

SIGNATURE = (
    "--\nAcme & Sons Ltd\n1 Ledger Lane, Springfield\nbilling@acme.test\n+1 555 0100\n"
    "https://acme.test\n"
)


def test_document():
    text, html = email_render(
        template="document",
        subject="Quote QUO-2026-004",
        context={
            "customer_name": "O'Brien & Co",
            "document_type": "Quote",
            "number": "QUO-2026-004",
            "amount": "€99.50",
            "currency": "EUR",
            "message": "As discussed <today>.",
        },
    )

    assert text == (
        "Hello O'Brien & Co,\n\nAs discussed <today>.\n\n"
        "Quote QUO-2026-004 for €99.50 is attached as a PDF.\n\n"
        "Thank you for your business.\n\n" + SIGNATURE
    )
    assert "Hello O&#x27;Brien &amp; Co," in html
    assert "As discussed &lt;today&gt;." in html
    assert "<title>Quote QUO-2026-004</title>" in html
    assert "View it online" not in html  # no portal link given


def test_receipt():
    text, _ = email_render(
        template="receipt",
        subject="Payment received",
        context={
            "customer_name": "Jane",
            "amount": "$40.00",
            "currency": "USD",
            "date": "2026-11-30",
            "invoice_number": "INV-2026-010",
            "balance_due": "$60.00",
            "portal_url": "https://billing.acme.test/p/x",
        },
    )

    assert text == (
        "Hello Jane,\n\nWe received your payment of $40.00 on 2026-11-30 for invoice "
        "INV-2026-010. Thank you.\nBalance still due on this invoice: $60.00.\n\n"
        "View the invoice online: https://billing.acme.test/p/x\n\n" + SIGNATURE
    )


@pytest.mark.parametrize(
    ("days", "sentence"),
    [
        (-3, "A friendly reminder: invoice INV-2026-010 for $60.00 is due on 2026-12-01."),
        (0, "Invoice INV-2026-010 for $60.00 is due today."),
        (7, "Invoice INV-2026-010 was due on 2026-12-01 and $60.00 is still outstanding."),
    ],
)
def test_reminder(days, sentence):
    text, html = email_render(
        template="reminder",
        subject="Reminder",
        context={
            "customer_name": "Jane",
            "invoice_number": "INV-2026-010",
            "amount_due": "$60.00",
            "currency": "USD",
            "due_date": "2026-12-01",
            "days": days,
        },
    )

    assert text.startswith(f"Hello Jane,\n\n{sentence}\n\nIf you have already paid")
    assert "INV-2026-010" in html
