import django_filters

from core.filters import FilterSet
from mail.models import EmailMessage


class EmailMessageFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=EmailMessage.Status.choices)
    purpose = django_filters.CharFilter()
    customer_id = django_filters.NumberFilter()
    invoice_id = django_filters.NumberFilter()
    quote_id = django_filters.NumberFilter()
    credit_note_id = django_filters.NumberFilter()

    class Meta:
        model = EmailMessage
        fields = ["status", "purpose", "customer_id", "invoice_id", "quote_id", "credit_note_id"]
