from rest_framework import serializers

from core.serializers import ModelSerializer
from mail.models import EmailAttachment, EmailMessage


class EmailAttachmentSerializer(ModelSerializer):
    class Meta:
        model = EmailAttachment
        fields = ["filename", "mimetype", "size"]


class EmailMessageSerializer(ModelSerializer):
    """A message as the API lists it: never its bodies or attachment bytes."""

    to = serializers.ListField(child=serializers.CharField())
    cc = serializers.ListField(child=serializers.CharField())
    attachments = EmailAttachmentSerializer(many=True)

    class Meta:
        model = EmailMessage
        fields = [
            "id",
            "to",
            "cc",
            "subject",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "created_at",
            "purpose",
            "customer_id",
            "invoice_id",
            "quote_id",
            "credit_note_id",
            "attachments",
        ]
        read_only_fields = fields


class EmailMessageDetailSerializer(EmailMessageSerializer):
    """One message: also what the customer read."""

    class Meta(EmailMessageSerializer.Meta):
        fields = [*EmailMessageSerializer.Meta.fields, "body_text", "body_html"]
        read_only_fields = fields
