import factory
from django.utils import timezone

from mail.models import EmailAttachment, EmailMessage


class EmailMessageFactory(factory.django.DjangoModelFactory):
    """A stored message as `email_queue` leaves it (without queueing a task)."""

    class Meta:
        model = EmailMessage

    from_email = "Acme Billing <billing@acme.test>"
    to = factory.Sequence(lambda n: [f"customer{n}@example.com"])
    subject = factory.Sequence(lambda n: f"Invoice INV-2026-{n:03d}")
    body_text = "Hello\n"
    body_html = "<p>Hello</p>"
    template = "message"
    message_id = factory.Sequence(lambda n: f"<msg{n}@acme.test>")
    purpose = "invoice"
    next_attempt_at = factory.LazyFunction(timezone.now)


class EmailAttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailAttachment

    message = factory.SubFactory(EmailMessageFactory)
    filename = "INV-2026-001.pdf"
    mimetype = "application/pdf"
    content = b"%PDF-1.4 test"
    size = factory.LazyAttribute(lambda o: len(o.content))
