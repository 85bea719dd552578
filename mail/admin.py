from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html_join

from core.admin import ServiceAdmin
from mail import services
from mail.models import EmailMessage


@admin.register(EmailMessage)
class EmailMessageAdmin(ServiceAdmin):
    """The outbox, read-only: messages are written by the services that send them. Staff can
    re-send (an action on the list, a button on the message), through `email_resend`."""

    change_form_template = "admin/mail/emailmessage/change_form.html"
    list_display = [
        "id",
        "subject",
        "recipients",
        "purpose",
        "status",
        "attempts",
        "sent_at",
        "created_at",
    ]
    list_filter = ["status", "purpose"]
    search_fields = ["subject", "message_id", "dedupe_key"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    fields = [
        "status",
        "from_email",
        "to",
        "cc",
        "reply_to",
        "subject",
        "purpose",
        "attempts",
        "last_error",
        "next_attempt_at",
        "claimed_until",
        "sent_at",
        "created_at",
        "message_id",
        "dedupe_key",
        "customer_id",
        "invoice_id",
        "quote_id",
        "credit_note_id",
        "attachment_list",
        "body_text",
        "body_html",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("body_text", "body_html")

    @admin.display(description="To")
    def recipients(self, obj: EmailMessage) -> str:
        return ", ".join(obj.to)

    @admin.display(description="Attachments")
    def attachment_list(self, obj: EmailMessage) -> str:
        rows = obj.attachments.defer("content").values_list("filename", "mimetype", "size")
        return format_html_join(", ", "{} ({}, {} bytes)", rows) or "-"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # viewing only; re-sending has its own permission below

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request) -> bool:
        # Staff and administrators (their role groups hold the model's change permission).
        return request.user.has_perm("mail.change_emailmessage")

    @admin.action(description="Re-send selected messages", permissions=["resend"])
    def resend(self, request, queryset):
        messages_ = list(queryset.order_by("pk"))

        def call():
            for message in messages_:
                services.email_resend(message=message)

        self.run_service(request, call, success=f"{len(messages_)} message(s) queued to be sent.")

    def get_urls(self):
        resend = path(
            "<int:object_id>/resend/",
            self.admin_site.admin_view(self.resend_view),
            name="mail_emailmessage_resend",
        )
        return [resend, *super().get_urls()]

    def resend_view(self, request, object_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_resend_permission(request):
            raise PermissionDenied
        message = get_object_or_404(self.get_queryset(request), pk=object_id)
        self.run_service(
            request,
            lambda: services.email_resend(message=message),
            success="The message is queued to be sent again.",
        )
        return HttpResponseRedirect(reverse("admin:mail_emailmessage_change", args=[object_id]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_resend": self.has_resend_permission(request),
            "resend_url": reverse("admin:mail_emailmessage_resend", args=[object_id])
            if str(object_id).isdigit()
            else "",
        }
        return super().change_view(request, object_id, form_url, extra_context)
