"""Customers and leads in the admin. Every write goes through `customers.services` by way of
`core.admin.ServiceAdmin`: the forms' fields are the services' keyword arguments, and a bulk
delete deletes (and announces) one customer at a time."""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.utils.safestring import SafeString
from import_export.admin import ImportExportMixin

from audit.admin import AuditHistoryMixin
from core.admin import ServiceAdmin, changed_fields, error_text
from core.currencies import CurrencyFormField, base_currency
from core.errors import DomainError
from customers import services
from customers.models import Customer, Lead, LeadStatus
from customers.resources import CustomerResource
from customers.selectors import customer_email_taken

# What other rooms show on a customer's page (their invoices, payments, tickets, …). The rooms
# above customers register a section here (billing/admin.py, support/admin.py): customers never
# imports them. A section is `(request, customer) -> HTML or None` (None: the user's role may
# not see that room), rendered in registration order under the contact details.
CustomerSection = Callable[..., SafeString | None]
_customer_sections: list[CustomerSection] = []


def register_customer_section(section: CustomerSection) -> CustomerSection:
    if section not in _customer_sections:
        _customer_sections.append(section)
    return section


class CustomerAdminForm(forms.ModelForm):
    currency = CurrencyFormField(help_text="New documents for this customer default to it.")

    class Meta:
        model = Customer
        fields = services.CUSTOMER_FIELDS

    def clean_currency(self):
        return self.cleaned_data.get("currency") or self.instance.currency or base_currency()

    def clean_email(self):
        # The service refuses a taken email too; checked here as well so the page shows the
        # sentence beside the field.
        email = self.cleaned_data["email"].strip().lower()
        if customer_email_taken(email=email, exclude_pk=self.instance.pk):
            raise forms.ValidationError(services.EMAIL_TAKEN)
        return email


@admin.register(Customer)
class CustomerAdmin(AuditHistoryMixin, ImportExportMixin, ServiceAdmin):
    # Import (CSV/XLSX, previewed, all or none) and export through CustomerResource: rows are
    # created by customer_batch_create, as the API's import does.
    resource_classes = [CustomerResource]
    form = CustomerAdminForm
    audit_resource = "customer"
    list_display = ["account", "email", "phone", "city", "country", "currency", "created_at"]
    list_filter = ["country", "currency", "created_at"]
    search_fields = ["account", "email", "phone", "city"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at", "audit_history"]
    list_per_page = 50
    change_form_outer_after_template = "admin/customers/customer/sections.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        customer = self.get_object(request, object_id)
        sections = []
        if customer is not None:
            sections = [
                html
                for section in _customer_sections
                if (html := section(request, customer)) is not None
            ]
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "customer_sections": sections}
        )

    def service_create(self, request, form, formsets):
        return services.customer_create(**form.cleaned_data)

    def service_update(self, request, obj, form, formsets):
        return services.customer_update(customer=obj, **changed_fields(form))

    def service_delete(self, request, obj):
        services.customer_delete(customer=obj)


class LeadAdminForm(forms.ModelForm):
    class Meta:
        model = Lead
        fields = services.LEAD_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields and self.instance.status != LeadStatus.CONVERTED:
            # Converted is reached through the "Convert to customer" action only.
            self.fields["status"].choices = [
                c for c in self.fields["status"].choices if c[0] != LeadStatus.CONVERTED
            ]


@admin.register(Lead)
class LeadAdmin(ServiceAdmin):
    form = LeadAdminForm
    list_display = [
        "full_name",
        "email",
        "company",
        "source",
        "status",
        "customer",
        "created_at",
    ]
    list_filter = ["status", "source", "created_at"]
    search_fields = ["first_name", "last_name", "email", "company", "phone"]
    list_select_related = ["customer"]
    readonly_fields = ["customer", "converted_at", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    actions = ["convert_to_customer"]
    list_per_page = 50

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, obj):
        return obj.full_name

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status == LeadStatus.CONVERTED:
            fields.append("status")
        return fields

    def service_create(self, request, form, formsets):
        return services.lead_create(**form.cleaned_data)

    def service_update(self, request, obj, form, formsets):
        return services.lead_update(lead=obj, **changed_fields(form))

    def service_delete(self, request, obj):
        services.lead_delete(lead=obj)

    @admin.action(description="Convert to customer")
    def convert_to_customer(self, request, queryset):
        # Each lead converts on its own: one refused (already converted) names itself and
        # does not hold back the others.
        created = linked = 0
        for lead in queryset:
            try:
                conversion = services.lead_convert(lead=lead)
            except DomainError as exc:
                self.message_user(request, f"{lead.full_name}: {error_text(exc)}", messages.WARNING)
                continue
            if conversion.customer_created:
                created += 1
            else:
                linked += 1
        if created or linked:
            self.message_user(
                request,
                f"Converted {created + linked} lead(s): {created} new customer(s), "
                f"{linked} linked to an existing customer.",
                messages.SUCCESS,
            )
