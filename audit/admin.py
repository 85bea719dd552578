"""The audit trail (read-only) and the closed-books setting, for administrators only.

Administrators are the admin's superusers (`users.services` derives `is_superuser` from the
role), so both screens check that flag: staff and viewers neither see nor open them, whatever
permissions their role groups hold."""

import json

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from audit.models import AuditEvent, Books
from audit.services import books_update
from core.admin import ServiceAdmin


def is_administrator(request) -> bool:
    user = request.user
    return bool(user.is_active and user.is_superuser)


class AuditHistoryMixin:
    """The "history" panel of a room's change page (invoice, customer, transaction): its last
    entries, newest first, and a link to all of them. Add `"audit_history"` to the page's
    `readonly_fields` (and `fields`/`fieldsets` if it lists them) and set `audit_resource`
    to the `resource` its services record. One query per page."""

    audit_resource: str = ""
    audit_history_size = 10

    @admin.display(description="History")
    def audit_history(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        entries = list(
            AuditEvent.objects.filter(resource=self.audit_resource, resource_id=str(obj.pk))[
                : self.audit_history_size
            ]
        )
        if not entries:
            return "No recorded changes."
        rows = [
            format_html(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                entry.at.strftime("%Y-%m-%d %H:%M"),
                entry.action,
                entry.actor_name,
                ", ".join(entry.changes) or "—",
            )
            for entry in entries
        ]
        link = (
            reverse("admin:audit_auditevent_changelist")
            + f"?resource={self.audit_resource}&resource_id={obj.pk}"
        )
        return format_html(
            '<table class="ll-table ll-history">{}</table>'
            '<a class="ll-link" href="{}">All entries</a>',
            format_html("".join(["{}"] * len(rows)), *rows),
            link,
        )


@admin.register(AuditEvent)
class AuditEventAdmin(ServiceAdmin):
    """Read-only: no add, change or delete permission for anyone, so every field is shown
    read-only and there is no delete button or action (ServiceAdmin has no write hooks)."""

    list_display = ["at", "action", "resource", "resource_id", "actor_type", "actor_name"]
    list_filter = ["actor_type", "resource", "at"]
    search_fields = ["=resource_id", "action", "actor_name", "=request_id"]
    date_hierarchy = "at"
    fields = [
        "at",
        "action",
        "resource",
        "resource_id",
        "actor_type",
        "actor_id",
        "actor_name",
        "changes_table",
        "request_id",
    ]
    readonly_fields = fields

    @admin.display(description="Changes")
    def changes_table(self, obj: AuditEvent):
        if not obj.changes:
            return "—"
        rows = [
            format_html(
                "<tr><th>{}</th><td>{}</td><td>→</td><td>{}</td></tr>",
                field,
                json.dumps(values[0]),
                json.dumps(values[1]),
            )
            for field, values in obj.changes.items()
        ]
        return format_html("<table>{}</table>", format_html("".join(["{}"] * len(rows)), *rows))

    def has_module_permission(self, request) -> bool:
        return is_administrator(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_administrator(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Books)
class BooksAdmin(ServiceAdmin):
    """One page, the setting itself: the list link opens it, saving calls `books_update`
    (audited, and refused in the service's words, e.g. a date after today)."""

    fields = ["closed_through", "updated_at"]
    readonly_fields = ["updated_at"]

    def service_update(self, request, obj, form, formsets) -> Books:
        return books_update(closed_through=form.cleaned_data["closed_through"])

    def get_object(self, request, object_id, from_field=None):
        if str(object_id) != str(Books.SINGLETON):
            return None
        # The row is created by the first change; until then the page shows open books.
        return Books.objects.filter(pk=Books.SINGLETON).first() or Books(pk=Books.SINGLETON)

    def changelist_view(self, request, extra_context=None):
        return HttpResponseRedirect(reverse("admin:audit_books_change", args=[Books.SINGLETON]))

    def has_module_permission(self, request) -> bool:
        return is_administrator(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_administrator(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_administrator(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
