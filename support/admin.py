"""The support inbox where staff work tickets. Every save and action goes through
`support.services`, so a reply typed here moves the ticket's status exactly as an API reply
does, and announces `ticket.replied`."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from core.errors import DomainError
from support import services
from support.models import Department, ReplyAuthor, Ticket, TicketReply, TicketStatus


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "open_tickets", "total_tickets"]
    search_fields = ["name", "email"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _total=Count("tickets"),
                _open=Count("tickets", filter=~Q(tickets__status=TicketStatus.CLOSED)),
            )
        )

    @admin.display(description="Open tickets", ordering="_open")
    def open_tickets(self, obj):
        return obj._open

    @admin.display(description="Tickets", ordering="_total")
    def total_tickets(self, obj):
        return obj._total

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.DEPARTMENT_FIELDS}
        if change:
            services.department_update(department=obj, data=data)
        else:
            obj.pk = services.department_create(data=data).pk

    def delete_model(self, request, obj):
        services.department_delete(department=obj)

    def has_delete_permission(self, request, obj=None):
        # A department with tickets cannot be deleted (the service refuses with a 409); do
        # not offer a button that can only fail.
        if obj is not None and obj.tickets.exists():
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        for department in queryset:
            try:
                services.department_delete(department=department)
            except DomainError as exc:
                self.message_user(request, f"{department}: {exc.message}", messages.ERROR)


class ReplyInline(admin.StackedInline):
    """Replies in order; past replies are read-only (they were sent), and a new one is added
    through the reply service by `TicketAdmin.save_formset`."""

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
        users = get_user_model().objects.filter(is_active=True).order_by("name")
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
        self.fields["assigned_to"].queryset = get_user_model().objects.filter(is_active=True)
        if self.instance.pk is None:
            # New tickets are Open (the service's rule): nothing to choose.
            self.fields.pop("status", None)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
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

    def save_model(self, request, obj, form, change):
        if change:
            data = {f: form.cleaned_data[f] for f in form.changed_data if f in form.fields}
            services.ticket_update(ticket=obj, data=data)
            return
        data = {f: form.cleaned_data[f] for f in services.TICKET_FIELDS if f in form.fields}
        created = services.ticket_create(data=data)
        # The admin goes on using `obj` (inlines, the log entry, the redirect).
        for field in Ticket._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))

    def save_formset(self, request, form, formset, change):
        if formset.model is not TicketReply:
            super().save_formset(request, form, formset, change)
            return
        # Replies are never edited or deleted here (the inline is add-only); a new one goes
        # through the service so the ticket's status moves and `ticket.replied` fires.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for reply_form in formset.extra_forms:
            if not reply_form.has_changed():
                continue
            message = reply_form.cleaned_data.get("message", "")
            if not message.strip():
                continue
            formset.new_objects.append(
                services.ticket_reply_create(
                    ticket=form.instance,
                    message=message,
                    author=reply_form.cleaned_data.get("author") or ReplyAuthor.STAFF,
                    created_by=request.user,
                )
            )

    def delete_model(self, request, obj):
        services.ticket_delete(ticket=obj)

    def delete_queryset(self, request, queryset):
        for ticket in queryset:
            services.ticket_delete(ticket=ticket)

    @admin.action(description="Assign to me")
    def assign_to_me(self, request, queryset):
        for ticket in queryset:
            services.ticket_update(ticket=ticket, data={"assigned_to": request.user})
        self.message_user(request, f"Assigned {len(queryset)} ticket(s) to you.")

    @admin.action(description="Close")
    def close_tickets(self, request, queryset):
        for ticket in queryset:
            services.ticket_update(ticket=ticket, data={"status": TicketStatus.CLOSED})
        self.message_user(request, f"Closed {len(queryset)} ticket(s).")

    @admin.action(description="Reopen")
    def reopen_tickets(self, request, queryset):
        for ticket in queryset:
            services.ticket_update(ticket=ticket, data={"status": TicketStatus.OPEN})
        self.message_user(request, f"Reopened {len(queryset)} ticket(s).")
