"""A summary and a description for every operation of the OpenAPI document.

Operations that say more in their own `extend_schema` keep it. The standard actions of each
collection get a sentence built from the resource's name plus what is particular to it
(RESOURCE_NOTES); the other operations are written out in OPERATIONS."""

# collection → (singular, plural, what is particular to it)
RESOURCES = {
    "accounts": ("account", "accounts", "Money accounts (bank, cash); `balance` is read-only."),
    "audit_events": (
        "audit event",
        "audit events",
        "Administrators only. The append-only trail: who (`actor`) changed what (`changes`: "
        "field → [before, after]), when, with the request id. Never changed or deleted.",
    ),
    "categories": ("category", "categories", "Income or expense categories for transactions."),
    "credit_notes": (
        "credit note",
        "credit notes",
        "Corrections of issued invoices, numbered `CN-YYYY-NNN`; final once created. The part "
        "already paid is settled as a `refund` (an Expense on `account_id`) or as customer "
        "`credit`.",
    ),
    "customers": (
        "customer",
        "customers",
        "`account` and `email` are required; `email` is unique regardless of case.",
    ),
    "deliveries": ("delivery", "deliveries", "Webhook deliveries, each with its attempts."),
    "departments": ("department", "departments", "Support departments tickets are filed under."),
    "emails": (
        "email",
        "emails",
        "The email outbox: every message queued (invoices, receipts, reminders), its `status` "
        "(queued, sent, failed), attempts and last error.",
    ),
    "exchange_rates": (
        "exchange rate",
        "exchange rates",
        "`rate` is base-currency units per one unit of `currency` (ISO 4217, capitals) from "
        "`date` on, 6 decimals; one per currency and date. A foreign-currency document or "
        "transaction with no `exchange_rate` of its own takes the latest rate on or before its "
        "date. Filters: `currency`, `date_from`, `date_to`.",
    ),
    "invoices": (
        "invoice",
        "invoices",
        "`amount` is the total of `qty × amount` per item plus tax; `status` is Unpaid, Partially "
        "Paid or Paid (plus Draft and Cancelled).",
    ),
    "leads": ("lead", "leads", "Sales leads; converting one makes a customer."),
    "products": ("product", "products", "The catalog of products and services."),
    "quotes": (
        "quote",
        "quotes",
        "Quotes numbered `QUO-YYYY-NNN`; an open quote past `valid_until` shows `Expired`.",
    ),
    "recurring_invoices": (
        "recurring invoice",
        "recurring invoices",
        "Schedules that issue an invoice per period (`weekly|monthly|quarterly|yearly` × "
        "`interval`, from `start_date` to the optional `end_date`), due `due_days` later, "
        "emailed when `auto_send`. `status`, `next_date`, `invoices_count` and "
        "`last_invoice_id` are read-only. Once a schedule has issued an invoice, its customer, "
        "start date, frequency and interval are fixed (409).",
    ),
    "tickets": ("ticket", "tickets", "Support tickets; new ones start `Open`."),
    "transactions": (
        "transaction",
        "transactions",
        "Income and expense entries on an account.",
    ),
    "users": ("user", "users", "Administrators only. Passwords are write-only."),
    "webhooks": ("webhook endpoint", "webhook endpoints", "Administrators only."),
}

ACTIONS = {
    "list": (
        "List {plural}",
        "One page of {plural} (`page`, `limit`), filtered by the query parameters; `meta` "
        "gives the page and totals. With `format=csv` (or `Accept: text/csv`): every matching "
        "row as CSV, streamed, not one page. {note}",
    ),
    "create": ("Create a {singular}", "Creates a {singular} and returns it (201). {note}"),
    "retrieve": ("Get a {singular}", "One {singular} by id. {note}"),
    "update": (
        "Replace a {singular}",
        "Replaces the {singular}'s writable fields (PUT) and returns it. {note}",
    ),
    "partial_update": (
        "Update a {singular}",
        "Changes only the fields given (PATCH) and returns the {singular}. {note}",
    ),
    "destroy": (
        "Delete a {singular}",
        "Deletes the {singular}: 200 with `data: null`; 409 when its state or other records "
        "forbid it. {note}",
    ),
}

_IMPORT = (
    "A CSV file (multipart `file`, UTF-8, header row of the API's field names, at most "
    "10,000 rows) in which every row is created or none: errors come back keyed "
    "`rows.N.field` (data rows from 0) with the JSON API's messages. `dry_run=true` writes "
    "nothing and answers 200 with `would_create`; otherwise 201 with `created`."
)

OPERATIONS = {
    "import_customers_create": ("Import customers from CSV", _IMPORT),
    "import_products_create": ("Import products from CSV", _IMPORT),
    "batch_customers_create": (
        "Create customers in a batch",
        "1 to 1000 customers, all or nothing: every record is validated (errors keyed "
        "`customers.N.field`) before any is created.",
    ),
    "emails_resend_create": (
        "Re-send an email",
        "Queues the message again with a fresh retry schedule (202, the message).",
    ),
    "settings_books_retrieve": (
        "Closed books",
        "Administrators only. `closed_through`: money writes dated on or before it are a 409.",
    ),
    "settings_books_update": (
        "Close or reopen the books",
        "Administrators only. Sets `closed_through` (a date, not after today) or `null` to "
        "reopen; audited as `books.updated`.",
    ),
    "credit_notes_pdf_retrieve": (
        "Download a credit note as PDF",
        "The credit note as a printable PDF (`application/pdf`, not the JSON envelope).",
    ),
    "invoices_portal_link_create": (
        "New portal link for an invoice",
        "Gives the invoice a new random portal token (`portal_url` changes) and the old link "
        "answers 404 from now on. A draft has no link: 409.",
    ),
    "quotes_portal_link_create": (
        "New portal link for a quote",
        "Gives the quote a new random portal token (`portal_url` changes); the old link 404s. "
        "A draft has no link: 409.",
    ),
    "credit_notes_portal_link_create": (
        "New portal link for a credit note",
        "Gives the credit note a new random portal token (`portal_url` changes); the old link "
        "404s.",
    ),
    "invoices_issue_create": (
        "Issue a draft invoice",
        "Takes the next `INV-YYYY-NNN` of the invoice date's year, snapshots the customer's "
        "billing details and makes it owed (Unpaid). Anything but a draft is a 409.",
    ),
    "invoices_cancel_create": (
        "Cancel an invoice",
        "`reason` required. An issued invoice with no payment and no credit note becomes "
        "Cancelled (balance 0, number kept); otherwise a 409.",
    ),
    "reports_tax_retrieve": (
        "Tax report",
        "Taxable amount and tax per rate over issued, non-cancelled invoices dated in "
        "`date_from`..`date_to`, minus their credit notes dated in it, from the stored lines.",
    ),
    "events_list": (
        "List event types",
        "Every event type a webhook endpoint can subscribe to, with what it means.",
    ),
    "invoices_payments_list": (
        "List an invoice's payments",
        "The invoice's payments, voided ones included (with `voided_at`).",
    ),
    "invoices_payments_create": (
        "Record a payment",
        "Records a payment on the invoice as an Income transaction on `account_id`; the invoice "
        "becomes Partially Paid or Paid. More than the balance due is a 400.",
    ),
    "invoices_payments_void_create": (
        "Void a payment",
        "Voids the payment and its transaction: the invoice goes back to Unpaid or Partially Paid.",
    ),
    "invoices_pdf_retrieve": (
        "Download an invoice as PDF",
        "The invoice as a printable PDF (`application/pdf`, not the JSON envelope).",
    ),
    "leads_convert_create": (
        "Convert a lead",
        "Turns the lead into a customer (201, the customer); a second conversion is a 409.",
    ),
    "quotes_convert_create": (
        "Convert a quote to an invoice",
        "Turns the quote into an invoice (201, the invoice); a Declined, Expired or already "
        "Converted quote is a 409.",
    ),
    "reports_aging_retrieve": (
        "Receivables aging report",
        "Amounts still owed, bucketed by days overdue, in total and per customer.",
    ),
    "reports_categories_retrieve": (
        "Income and expenses by category",
        "Income and expenses per category for a `year` and optional `month`.",
    ),
    "reports_financial_retrieve": (
        "Financial summary",
        "Income, expenses, profit and outstanding invoices for a `year` and optional `month` "
        "(all time without them).",
    ),
    "recurring_invoices_pause_create": (
        "Pause a recurring invoice",
        "An active schedule stops issuing invoices until resumed (200, the schedule); any "
        "other status is a 409.",
    ),
    "recurring_invoices_resume_create": (
        "Resume a recurring invoice",
        "A paused schedule becomes active again (200, the schedule); periods dated while it "
        "was paused, before today, are skipped. Any other status is a 409.",
    ),
    "recurring_invoices_preview_retrieve": (
        "Preview the next recurring invoice",
        "The invoice the schedule issues next, as the invoices API would show it, without "
        "saving it (`id` and `invoice_number` null). A finished schedule is a 409.",
    ),
    "tickets_replies_list": ("List a ticket's replies", "The ticket's replies, oldest first."),
    "tickets_replies_create": (
        "Reply to a ticket",
        "Adds a reply (`message`, `author` staff or customer) to the ticket.",
    ),
    "transfers_create": (
        "Transfer between accounts",
        "Moves money from one account to another as a pair of Transfer transactions.",
    ),
}


def _resource_action(operation_id: str) -> tuple[str, str] | None:
    for action in ACTIONS:
        suffix = f"_{action}"
        if operation_id.endswith(suffix):
            resource = operation_id[: -len(suffix)]
            if resource in RESOURCES:
                return resource, action
    return None


def add_summaries(paths: dict) -> None:
    for item in paths.values():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            if operation.get("summary"):
                continue  # written with the view (extend_schema): it says more
            operation_id = operation.get("operationId", "")
            if operation_id in OPERATIONS:
                summary, description = OPERATIONS[operation_id]
            elif found := _resource_action(operation_id):
                resource, action = found
                singular, plural, note = RESOURCES[resource]
                summary_text, description_text = ACTIONS[action]
                words = {"singular": singular, "plural": plural, "note": note}
                summary = summary_text.format(**words)
                description = description_text.format(**words).strip()
            else:
                continue
            operation["summary"] = summary
            operation["description"] = description
