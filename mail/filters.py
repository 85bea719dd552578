import django_filters

from core.filters import FilterSet, IdFilter
from mail.models import EmailMessage


class EmailMessageFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=EmailMessage.Status.choices)
    purpose = django_filters.CharFilter()
    customer_id = IdFilter()
    invoice_id = IdFilter()
    quote_id = IdFilter()
    credit_note_id = IdFilter()

    class Meta:
        model = EmailMessage
        fields = ["status", "purpose", "customer_id", "invoice_id", "quote_id", "credit_note_id"]
