from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import TabularInline

from core.admin import ServiceAdmin
from webhooks import catalog, services
from webhooks.models import Attempt, Delivery, Endpoint, Event
from webhooks.target_guard import url_target_problem

EVENT_CHOICES = [(catalog.WILDCARD, "* (every event)")] + [
    (name, name) for name in catalog.EVENT_TYPES
]


class EndpointAdminForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Endpoint
        fields = ["url", "events", "active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if url != self.instance.url:
            problem = url_target_problem(url)
            if problem:
                raise forms.ValidationError(problem)
        return url


@admin.register(Endpoint)
class EndpointAdmin(ServiceAdmin):
    """Endpoints, never their secret: it is shown once, in a message, when one is added."""

    form = EndpointAdminForm
    list_display = ["url", "subscribed", "active", "disabled_reason", "owner", "created_at"]
    list_filter = ["active", "created_at"]
    search_fields = ["url"]
    list_select_related = ["owner"]
    readonly_fields = ["disabled_reason", "disabled_at", "failing_since", "owner", "created_at"]
    actions = ["send_test"]

    @admin.display(description="Events")
    def subscribed(self, obj: Endpoint) -> str:
        return ", ".join(obj.events)

    def service_create(self, request, form, formsets) -> Endpoint:
        data = form.cleaned_data
        created = services.webhook_endpoint_create(
            url=data["url"], events=data["events"], active=data["active"], owner=request.user
        )
        messages.warning(
            request, f"Signing secret for {created.url} (shown once, copy it now): {created.secret}"
        )
        return created

    def service_update(self, request, obj, form, formsets) -> Endpoint:
        # The form already wrote its values onto `obj`; the service compares against the row.
        endpoint = Endpoint.objects.get(pk=obj.pk)
        data = form.cleaned_data
        return services.webhook_endpoint_update(
            endpoint=endpoint, url=data["url"], events=data["events"], active=data["active"]
        )

    def service_delete(self, request, obj) -> None:
        services.webhook_endpoint_delete(endpoint=obj)

    @admin.action(description="Send test event")
    def send_test(self, request, queryset):
        sent = 0
        for endpoint in queryset:
            if self.run_service(
                request, lambda e=endpoint: services.webhook_endpoint_test(endpoint=e)
            ):
                sent += 1
        self.message_user(request, f"Test event queued for {sent} endpoint(s).")


class AttemptInline(TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = [
        "number",
        "created_at",
        "status_code",
        "succeeded",
        "duration_ms",
        "error",
        "response_excerpt",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ServiceAdmin):
    list_display = [
        "id",
        "event_type",
        "endpoint",
        "status",
        "attempt_count",
        "next_attempt_at",
        "last_error",
        "created_at",
    ]
    list_filter = ["status", "event__type"]
    search_fields = ["event__public_id", "endpoint__url"]
    list_select_related = ["event", "endpoint"]
    date_hierarchy = "created_at"
    inlines = [AttemptInline]
    actions = ["resend"]
    readonly_fields = [
        "event_link",
        "endpoint",
        "status",
        "attempt_count",
        "next_attempt_at",
        "first_failed_at",
        "last_attempt_at",
        "completed_at",
        "last_error",
        "created_at",
    ]
    fields = readonly_fields

    @admin.display(description="Event type", ordering="event__type")
    def event_type(self, obj: Delivery) -> str:
        return obj.event.type

    @admin.display(description="Event")
    def event_link(self, obj: Delivery) -> str:
        return format_html(
            '<a href="{}">{} {}</a>',
            reverse("admin:webhooks_event_change", args=[obj.event_id]),
            obj.event.type,
            obj.event.public_id,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Viewing is allowed through has_view_permission; nothing here is edited by hand.
        return False

    def has_delete_permission(self, request, obj=None):
        # The delivery log goes with its endpoint, or is pruned by age (prune_webhook_attempts).
        return False

    @admin.action(description="Re-send selected deliveries")
    def resend(self, request, queryset):
        sent = 0
        for delivery in queryset:
            if self.run_service(request, lambda d=delivery: services.delivery_retry(delivery=d)):
                sent += 1
        self.message_user(request, f"{sent} delivery(ies) queued to be re-sent.")


@admin.register(Event)
class EventAdmin(ServiceAdmin):
    list_display = ["public_id", "type", "created_at", "fanned_out_at"]
    list_filter = ["type", "created_at"]
    search_fields = ["public_id"]
    date_hierarchy = "created_at"
    readonly_fields = ["public_id", "type", "data", "created_at", "fanned_out_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # The outbox is the record of what happened: never edited or deleted by hand.
        return False
