"""Demo support desk and sales pipeline: departments, tickets in every status with their
conversations, and leads at every stage (one already converted).

Everything is written through the services, so numbering, status moves and events are the
real ones. Idempotent: departments are matched by name, tickets by customer and subject, leads
by email. Runs after `customers.demo` (tickets need customers); the same set for every size.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from customers import services as customer_services
from customers.models import Customer, Lead, LeadStatus
from support import services
from support.models import Department, Ticket, TicketReply, TicketStatus

DEPARTMENTS = [
    ("Billing", "billing-support@ledgerline.example.com"),
    ("Technical Support", "tech@ledgerline.example.com"),
    ("Sales", "sales@ledgerline.example.com"),
]

# (department, subject, message, priority, conversation as (author, message), final status)
TICKETS = [
    (
        "Billing",
        "Invoice total looks wrong",
        "The last invoice charges tax twice on the hosting line.",
        "High",
        [
            ("staff", "Thanks for flagging this. We are checking the tax setup on that line."),
            ("customer", "Any news? Our accounts payable run is on Friday."),
        ],
        None,
    ),
    (
        "Billing",
        "Update billing address",
        "We moved offices; please use 500 Harbor Way from next month.",
        "Low",
        [("staff", "Done: the next invoice will show the new address.")],
        TicketStatus.CLOSED,
    ),
    (
        "Technical Support",
        "Cannot download invoice PDF",
        "Clicking the PDF link shows a blank page in Firefox.",
        "Medium",
        [("staff", "Could you try again? We deployed a fix for Firefox this morning.")],
        None,
    ),
    (
        "Technical Support",
        "API key stopped working",
        "Our integration gets 401 since yesterday.",
        "Urgent",
        [],
        None,
    ),
    (
        "Technical Support",
        "Webhook deliveries failing",
        "Our endpoint shows no payment.received events since Monday.",
        "High",
        [
            ("staff", "Your endpoint answers 500; the delivery log shows the response."),
            ("customer", "Found it, a bad deploy on our side. Fixed now."),
            ("staff", "Great, the retries have gone through. Closing this one."),
        ],
        TicketStatus.CLOSED,
    ),
    (
        "Sales",
        "Upgrade to the annual plan",
        "We would like to switch to yearly billing. Is there a discount?",
        "Medium",
        [("staff", "Yes: two months free on annual plans. Shall I send a quote?")],
        None,
    ),
    (
        "Sales",
        "Add five more seats",
        "Our team is growing; we need five more seats this month.",
        "Low",
        [],
        None,
    ),
    (
        "Billing",
        "Refund for duplicate payment",
        "We paid invoice INV-2024-014 twice by mistake.",
        "High",
        [
            ("staff", "We see both payments. Would you prefer a refund or a credit?"),
            ("customer", "A refund to the same card, please."),
        ],
        None,
    ),
]

LEADS = [
    ("John", "Smith", "john@acmecorp.example.com", "Acme Ventures", "555-0199", "Website", "New"),
    (
        "Maria",
        "Garcia",
        "maria@northwind.example.com",
        "Northwind",
        "555-0142",
        "Referral",
        "Contacted",
    ),
    ("Wei", "Chen", "wei.chen@lumen.example.com", "Lumen Analytics", "", "Conference", "Qualified"),
    ("Priya", "Patel", "priya@example.com", "", "555-0177", "Website", "Qualified"),
    ("Lars", "Nilsen", "lars@fjord.example.com", "Fjord Freight", "", "Cold call", "Lost"),
    (
        "Amara",
        "Okafor",
        "amara@sunrise.example.com",
        "Sunrise Bakery",
        "555-0123",
        "Referral",
        "New",
    ),
    (
        "Tom",
        "Becker",
        "tom@brightpath.example.com",
        "Brightpath Tutors",
        "555-0150",
        "Website",
        "Contacted",
    ),
]
# Converted during seeding, so the demo shows a lead linked to its customer: the email is
# the demo customer Acme Corp's, so conversion links to it instead of adding a customer.
CONVERTED_LEAD = (
    "Sofia",
    "Rossi",
    "billing@acmecorp.example.com",
    "Acme Corp",
    "555-0166",
    "Webinar",
)


def load(*, size: str, stdout) -> str:
    departments = _departments()
    tickets, replies = _tickets(departments)
    leads = _leads()
    return (
        f"{len([d for d in departments.values() if d[1]])} departments, {tickets} tickets, "
        f"{replies} replies, {leads} leads created; {Ticket.objects.count()} tickets and "
        f"{Lead.objects.count()} leads in all"
    )


def _departments() -> dict[str, tuple[Department, bool]]:
    found = {}
    for name, email in DEPARTMENTS:
        department = Department.objects.filter(name__iexact=name).first()
        created = department is None
        if created:
            department = services.department_create(name=name, email=email)
        found[name] = (department, created)
    return found


def _tickets(departments) -> tuple[int, int]:
    customers = list(Customer.objects.order_by("id")[: len(TICKETS)])
    if not customers:
        return 0, 0
    agent = (
        get_user_model()
        .objects.filter(is_active=True, role__in=["staff", "administrator"])
        .order_by("id")
        .first()
    )
    now = timezone.now()
    created = replies = 0
    for index, (dept, subject, message, priority, conversation, final) in enumerate(TICKETS):
        customer = customers[index % len(customers)]
        if Ticket.objects.filter(customer=customer, subject=subject).exists():
            continue
        ticket = services.ticket_create(
            customer=customer,
            department=departments[dept][0],
            subject=subject,
            message=message,
            priority=priority,
            assigned_to=agent if index % 2 == 0 else None,
        )
        for author, text in conversation:
            services.ticket_reply_create(
                ticket=ticket, message=text, author=author, created_by=agent
            )
            replies += 1
        if final is not None:
            services.ticket_update(ticket=ticket, status=final)
        _spread_in_time(ticket, opened=now - timedelta(days=len(TICKETS) - index, hours=3))
        created += 1
    return created, replies


def _spread_in_time(ticket: Ticket, *, opened) -> None:
    # Seeding happens in one instant; give the demo inbox a believable history instead
    # (an hour between messages). Timestamps only: no business rule depends on them.
    Ticket.objects.filter(pk=ticket.pk).update(created_at=opened)
    last = None
    for step, reply in enumerate(ticket.replies.order_by("id"), start=1):
        last = opened + timedelta(hours=step)
        TicketReply.objects.filter(pk=reply.pk).update(created_at=last)
    updates = {"updated_at": last or opened, "last_reply_at": last}
    if ticket.status == TicketStatus.CLOSED:
        updates["closed_at"] = last or opened
    Ticket.objects.filter(pk=ticket.pk).update(**updates)


def _leads() -> int:
    created = 0
    for first, last, email, company, phone, source, status in LEADS:
        if Lead.objects.filter(email__iexact=email).exists():
            continue
        customer_services.lead_create(
            first_name=first,
            last_name=last,
            email=email,
            company=company,
            phone=phone,
            source=source,
            status=status,
        )
        created += 1
    first, last, email, company, phone, source = CONVERTED_LEAD
    lead = Lead.objects.filter(email__iexact=email).first()
    if lead is None:
        lead = customer_services.lead_create(
            first_name=first,
            last_name=last,
            email=email,
            company=company,
            phone=phone,
            source=source,
            status=LeadStatus.QUALIFIED,
        )
        created += 1
    if lead.status != LeadStatus.CONVERTED:
        customer_services.lead_convert(lead=lead)
    return created
