import factory

from support.models import Department, Ticket, TicketPriority, TicketStatus
from support.services import format_ticket_number
from tests.factories import CustomerFactory


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Department {n}")
    email = factory.Sequence(lambda n: f"dept{n}@example.com")


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket row as `ticket_create` leaves it (numbered from its id), without the event."""

    class Meta:
        model = Ticket
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    department = factory.SubFactory(DepartmentFactory)
    subject = factory.Sequence(lambda n: f"Problem number {n}")
    message = "Something does not work."
    priority = TicketPriority.MEDIUM
    status = TicketStatus.OPEN

    @factory.post_generation
    def number(obj, create, extracted, **kwargs):
        if create and not obj.ticket_number:
            obj.ticket_number = format_ticket_number(obj.pk)
            obj.save(update_fields=["ticket_number"])
