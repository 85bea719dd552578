import pytest

from support.models import Department, Ticket, TicketReply, TicketStatus
from tests.factories import CustomerFactory, UserFactory
from tests.support.factories import DepartmentFactory, TicketFactory
from users.services import user_create
from webhooks.models import Event

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"
INBOX = "/admin/support/ticket/"


@pytest.fixture
def staff_user():
    return user_create(
        email="agent@example.com", name="Agent Smith", password=PASSWORD, role="staff"
    )


@pytest.fixture
def staff(client, staff_user):
    # A real login with the staff role's password: admin rights come from the "Role: staff"
    # group, not from superuser status.
    assert client.login(username="agent@example.com", password=PASSWORD)
    return client


def change_form(ticket: Ticket, **overrides) -> dict:
    """The ticket's change form as the browser posts it, with the replies inline."""
    replies = list(ticket.replies.order_by("created_at", "id"))
    data = {
        "customer": ticket.customer_id,
        "department": ticket.department_id,
        "subject": ticket.subject,
        "message": ticket.message,
        "priority": ticket.priority,
        "status": ticket.status,
        "assigned_to": ticket.assigned_to_id or "",
        "replies-TOTAL_FORMS": len(replies) + 1,
        "replies-INITIAL_FORMS": len(replies),
        "replies-MIN_NUM_FORMS": 0,
        "replies-MAX_NUM_FORMS": 1000,
        "_continue": "Save and continue editing",
    }
    for index, existing in enumerate(replies):
        data[f"replies-{index}-id"] = existing.pk
        data[f"replies-{index}-ticket"] = ticket.pk
    new = len(replies)
    data[f"replies-{new}-ticket"] = ticket.pk
    data[f"replies-{new}-author"] = "staff"
    data[f"replies-{new}-message"] = ""
    data.update(overrides)
    return data


def post_change(client, ticket, **overrides):
    response = client.post(f"{INBOX}{ticket.pk}/change/", change_form(ticket, **overrides))
    assert response.status_code == 302, _form_errors(response)
    return response


def _form_errors(response):
    context = response.context
    if not context:
        return response.status_code
    errors = [context["adminform"].form.errors]
    errors += [fs.formset.errors for fs in context["inline_admin_formsets"]]
    return errors


def test_staff_user_sees_the_inbox_columns(staff):
    agent = UserFactory(name="Assigned Agent")
    TicketFactory(
        subject="Printer on fire",
        customer=CustomerFactory(account="Acme Corp"),
        department=DepartmentFactory(name="Hardware"),
        priority="Urgent",
        assigned_to=agent,
    )

    page = staff.get(INBOX).content.decode()

    for text in [
        "TKT-",
        "Printer on fire",
        "Acme Corp",
        "Hardware",
        "Urgent",
        "Open",
        "Assigned Agent",
        "Last reply at",
    ]:
        assert text in page


@pytest.mark.parametrize(
    "query",
    ["status__exact=Pending", "priority__exact=High", "assigned=none", "assigned=me", "q=TKT-"],
)
def test_inbox_filters_and_search_render(staff, query):
    TicketFactory()

    assert staff.get(f"{INBOX}?{query}").status_code == 200


def test_inbox_filter_by_status(staff):
    TicketFactory(subject="Still open")
    TicketFactory(subject="Waiting on them", status=TicketStatus.PENDING)

    page = staff.get(f"{INBOX}?status__exact=Pending").content.decode()

    assert "Waiting on them" in page
    assert "Still open" not in page


def test_inbox_filter_assigned_to_me(staff, staff_user):
    TicketFactory(subject="Mine", assigned_to=staff_user)
    TicketFactory(subject="Someone else's", assigned_to=UserFactory())

    page = staff.get(f"{INBOX}?assigned=me").content.decode()

    assert "Mine" in page
    assert "Someone else" not in page


def test_inbox_search_by_subject(staff):
    TicketFactory(subject="Invoice looks wrong")
    TicketFactory(subject="Password reset")

    page = staff.get(f"{INBOX}?q=invoice").content.decode()

    assert "Invoice looks wrong" in page
    assert "Password reset" not in page


def test_inbox_query_count_is_fixed(staff, django_assert_max_num_queries):
    TicketFactory.create_batch(3, assigned_to=UserFactory())
    with django_assert_max_num_queries(40) as few:
        staff.get(INBOX)
    TicketFactory.create_batch(20, assigned_to=UserFactory())

    with django_assert_max_num_queries(len(few.captured_queries) + 2):
        staff.get(INBOX)


def test_staff_can_open_a_ticket_in_the_admin(staff):
    customer = CustomerFactory()
    department = DepartmentFactory()

    response = staff.post(
        f"{INBOX}add/",
        {
            "customer": customer.pk,
            "department": department.pk,
            "subject": "Phoned in",
            "message": "Customer called about the invoice.",
            "priority": "High",
            "assigned_to": "",
            "replies-TOTAL_FORMS": 0,
            "replies-INITIAL_FORMS": 0,
            "replies-MIN_NUM_FORMS": 0,
            "replies-MAX_NUM_FORMS": 1000,
        },
    )

    assert response.status_code == 302, _form_errors(response)
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.ticket_number) == ("Open", f"TKT-{ticket.pk:06d}")
    assert Event.objects.filter(type="ticket.created").count() == 1


def test_reply_in_the_admin_goes_through_the_service(staff, staff_user):
    ticket = TicketFactory()

    post_change(staff, ticket, **{"replies-0-message": "We are looking into it."})

    ticket.refresh_from_db()
    added = TicketReply.objects.get()
    assert (added.message, added.author, added.created_by_id) == (
        "We are looking into it.",
        "staff",
        staff_user.pk,
    )
    assert ticket.status == "Pending"
    assert ticket.last_reply_at == added.created_at
    assert Event.objects.filter(type="ticket.replied").count() == 1


def test_existing_replies_cannot_be_edited_in_the_admin(staff):
    ticket = TicketFactory()
    post_change(staff, ticket, **{"replies-0-message": "Original words."})
    first = TicketReply.objects.get()

    post_change(staff, ticket, **{"replies-0-message": "Rewritten history."})

    first.refresh_from_db()
    assert first.message == "Original words."
    assert TicketReply.objects.count() == 1


def test_action_assign_to_me(staff, staff_user):
    ticket = TicketFactory()

    staff.post(INBOX, {"action": "assign_to_me", "_selected_action": [ticket.pk]})

    ticket.refresh_from_db()
    assert ticket.assigned_to_id == staff_user.pk


def test_action_close_and_reopen(staff):
    ticket = TicketFactory()

    staff.post(INBOX, {"action": "close_tickets", "_selected_action": [ticket.pk]})
    ticket.refresh_from_db()
    closed = (ticket.status, ticket.closed_at is not None)
    staff.post(INBOX, {"action": "reopen_tickets", "_selected_action": [ticket.pk]})
    ticket.refresh_from_db()

    assert closed == ("Closed", True)
    assert (ticket.status, ticket.closed_at) == ("Open", None)


def test_staff_works_a_ticket_from_open_to_closed_in_the_admin(staff, staff_user):
    # Given a new ticket from a customer, in the inbox
    ticket = TicketFactory(subject="Cannot download my invoice")
    assert "Cannot download my invoice" in staff.get(f"{INBOX}?status__exact=Open").content.decode()

    # When the agent takes it, answers it, the customer answers back, and the agent closes it
    staff.post(INBOX, {"action": "assign_to_me", "_selected_action": [ticket.pk]})
    ticket.refresh_from_db()
    assert staff.get(f"{INBOX}{ticket.pk}/change/").status_code == 200
    post_change(staff, ticket, **{"replies-0-message": "Try the link in this email."})
    ticket.refresh_from_db()
    assert ticket.status == "Pending"

    # (the customer phoned back; the agent logs their words as a customer reply)
    post_change(
        staff,
        ticket,
        **{"replies-1-author": "customer", "replies-1-message": "That worked, thanks!"},
    )
    ticket.refresh_from_db()
    assert ticket.status == "Open"

    post_change(staff, ticket, status="Closed", **{"replies-2-message": "Glad to help. Closing."})

    # Then it is closed, assigned to the agent, with the whole conversation kept
    ticket.refresh_from_db()
    assert ticket.status == "Closed"
    assert ticket.closed_at is not None
    assert ticket.assigned_to_id == staff_user.pk
    assert list(ticket.replies.values_list("author", "message")) == [
        ("staff", "Try the link in this email."),
        ("customer", "That worked, thanks!"),
        ("staff", "Glad to help. Closing."),
    ]
    page = staff.get(f"{INBOX}?status__exact=Closed").content.decode()
    assert "Cannot download my invoice" in page


def test_deleting_a_department_with_tickets_in_the_admin_shows_the_refusal(staff):
    # The admin offers the button and lets the service refuse (core.admin.ServiceAdmin).
    ticket = TicketFactory()
    url = f"/admin/support/department/{ticket.department_id}/"

    response = staff.post(f"{url}delete/", {"post": "yes"}, follow=True)

    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "This department has 1 ticket(s); move them to another department before deleting it."
    ]
    assert response.redirect_chain[-1][0] == f"{url}change/"
    assert Department.objects.filter(pk=ticket.department_id).exists()


def test_department_admin_pages_render(staff):
    TicketFactory()

    assert staff.get("/admin/support/department/").status_code == 200
    assert staff.get("/admin/support/department/add/").status_code == 200
    assert staff.get(f"{INBOX}add/").status_code == 200
