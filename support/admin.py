"""The support inbox where staff work tickets. Every save and action goes through
`support.services` (by way of `core.admin.ServiceAdmin`), so a reply typed here moves the
ticket's status exactly as an API reply does, and announces `ticket.replied`."""

from django import forms
from django.contrib import admin
from django.template.loader import render_to_string
from unfold.admin import StackedInline

from core.admin import ServiceAdmin, changed_fields
from customers.admin import register_customer_section
from support import services
from support.models import Department, ReplyAuthor, Ticket, TicketReply, TicketStatus
from support.selectors import department_list_with_ticket_counts
from users.selectors import user_active_list


@admin.register(Department)
class DepartmentAdmin(ServiceAdmin):
    list_display = ["name", "email", "open_tickets", "total_tickets"]
    search_fields = ["name", "email"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return department_list_with_ticket_counts()

    @admin.display(description="Open tickets", ordering="ticket_open")
    def open_tickets(self, obj):
        return obj.ticket_open

    @admin.display(description="Tickets", ordering="ticket_total")
    def total_tickets(self, obj):
        return obj.ticket_total

    def service_create(self, request, form, formsets):
        return services.department_create(**form.cleaned_data)

    def service_update(self, request, obj, form, formsets):
        return services.department_update(department=obj, **changed_fields(form))

    def service_delete(self, request, obj):
        # One with tickets is refused by the service, and the page says why.
        services.department_delete(department=obj)


class ReplyInline(StackedInline):
    """Replies in order; past replies are read-only (they were sent), and a new one is added
    through the reply service by `TicketAdmin._add_replies`."""

    model = TicketReply
    extra = 1
    can_delete = False
    fields = ["author", "message", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    ordering = ["created_at", "id"]

    def has_change_permission(self, request, obj=None):
        return False


class AssignedFilter(admin.SimpleListFilter):
    title = "assigned to"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        users = user_active_list()
        return [
            ("me", "Me"),
            ("none", "Unassigned"),
            *[(str(u.pk), u.name) for u in users],
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assigned_to=request.user)
        if value == "none":
            return queryset.filter(assigned_to__isnull=True)
        if value and value.isdigit():
            return queryset.filter(assigned_to_id=int(value))
        return queryset


class TicketAdminForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = list(services.TICKET_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "assigned_to" in self.fields:  # a viewer's read-only page has no fields
            self.fields["assigned_to"].queryset = user_active_list()
        if self.instance.pk is None:
            # New tickets are Open (the service's rule): nothing to choose.
            self.fields.pop("status", None)


@admin.register(Ticket)
class TicketAdmin(ServiceAdmin):
    form = TicketAdminForm
    list_display = [
        "ticket_number",
        "subject",
        "customer",
        "department",
        "priority",
        "status",
        "assigned_to",
        "last_reply_at",
    ]
    list_display_links = ["ticket_number", "subject"]
    list_filter = ["status", "priority", "department", AssignedFilter]
    search_fields = ["ticket_number", "subject", "customer__account", "customer__email"]
    list_select_related = ["customer", "department", "assigned_to"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["ticket_number", "created_at", "updated_at", "last_reply_at", "closed_at"]
    ordering = ["-updated_at"]
    inlines = [ReplyInline]
    actions = ["assign_to_me", "close_tickets", "reopen_tickets"]
    list_per_page = 50

    def get_fieldsets(self, request, obj=None):
        ticket = ["customer", "department", "subject", "message"]
        handling = (
            ["priority", "assigned_to"] if obj is None else ["priority", "status", "assigned_to"]
        )
        fieldsets = [(None, {"fields": ticket}), ("Handling", {"fields": handling})]
        if obj is not None:
            fieldsets.insert(0, ("Ticket", {"fields": ["ticket_number"]}))
            fieldsets.append(
                (
                    "Activity",
                    {"fields": ["created_at", "updated_at", "last_reply_at", "closed_at"]},
                )
            )
        return fieldsets

    def service_create(self, request, form, formsets):
        ticket = services.ticket_create(**form.cleaned_data)
        self._add_replies(request, ticket, formsets)
        return ticket

    def service_update(self, request, obj, form, formsets):
        # Only what the clerk changed: a reply that moved the status since the page was
        # opened is not undone by the page's stale status.
        ticket = services.ticket_update(ticket=obj, **changed_fields(form))
        self._add_replies(request, ticket, formsets)
        return ticket

    def _add_replies(self, request, ticket, formsets) -> None:
        # Replies are never edited or deleted here (the inline is add-only); a new one goes
        # through the service so the ticket's status moves and `ticket.replied` fires.
        for formset in formsets:
            if formset.model is not TicketReply:
                continue
            for reply_form in formset.extra_forms:
                if not reply_form.has_changed():
                    continue
                message = reply_form.cleaned_data.get("message", "")
                if not message.strip():
                    continue
                services.ticket_reply_create(
                    ticket=ticket,
                    message=message,
                    author=reply_form.cleaned_data.get("author") or ReplyAuthor.STAFF,
                    created_by=request.user,
                )

    def service_delete(self, request, obj):
        services.ticket_delete(ticket=obj)

    def _update_each(self, request, queryset, success: str, **fields) -> None:
        tickets = list(queryset)

        def update_all():
            for ticket in tickets:
                services.ticket_update(ticket=ticket, **fields)

        self.run_service(request, update_all, success.format(count=len(tickets)))

    @admin.action(description="Assign to me")
    def assign_to_me(self, request, queryset):
        self._update_each(
            request, queryset, "Assigned {count} ticket(s) to you.", assigned_to=request.user
        )

    @admin.action(description="Close")
    def close_tickets(self, request, queryset):
        self._update_each(
            request, queryset, "Closed {count} ticket(s).", status=TicketStatus.CLOSED
        )

    @admin.action(description="Reopen")
    def reopen_tickets(self, request, queryset):
        self._update_each(
            request, queryset, "Reopened {count} ticket(s).", status=TicketStatus.OPEN
        )


@register_customer_section
def customer_tickets_section(request, customer):
    """The customer's latest tickets (one query)."""
    if not request.user.has_perm("support.view_ticket"):
        return None
    return render_to_string(
        "admin/support/customer_section.html",
        {
            "customer": customer,
            "tickets": list(customer.tickets.order_by("-created_at", "-id")[:10]),
            "can_add_ticket": request.user.has_perm("support.add_ticket"),
        },
        request=request,
    )
