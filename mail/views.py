from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.csv_export import CsvListMixin
from api.viewsets import ApiViewMixin
from mail import services
from mail.filters import EmailMessageFilter
from mail.models import EmailAttachment, EmailMessage
from mail.serializers import EmailMessageDetailSerializer, EmailMessageSerializer


def messages_listed():
    return EmailMessage.objects.defer("body_text", "body_html").prefetch_related(
        Prefetch("attachments", queryset=EmailAttachment.objects.defer("content"))
    )


class EmailMessageViewSet(
    ApiViewMixin,
    CsvListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """`/api/v2/emails`: the email outbox (read-only) and re-sending. Viewers read; staff and
    administrators re-send."""

    lookup_value_regex = "[0-9]+"
    serializer_class = EmailMessageSerializer
    filterset_class = EmailMessageFilter
    search_fields = ["subject"]
    ordering_fields = ["id", "created_at", "sent_at", "next_attempt_at"]

    def get_queryset(self):
        if self.action == "list":
            return messages_listed()
        return EmailMessage.objects.prefetch_related(
            Prefetch("attachments", queryset=EmailAttachment.objects.defer("content"))
        )

    def get_serializer_class(self):
        if self.action == "list":
            return EmailMessageSerializer
        return EmailMessageDetailSerializer

    @extend_schema(request=None, responses={202: EmailMessageDetailSerializer})
    @action(detail=True, methods=["post"], url_path="resend", filter_backends=[])
    def resend(self, request, pk=None):
        message = services.email_resend(message=self.get_object())
        fresh = self.get_queryset().get(pk=message.pk)
        return Response(EmailMessageDetailSerializer(fresh).data, status=status.HTTP_202_ACCEPTED)
