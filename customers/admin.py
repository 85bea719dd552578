from django import forms
from django.contrib import admin, messages

from core.errors import DomainError
from customers import lead_services
from customers.lead_services import LEAD_FIELDS
from customers.models import Customer, Lead, LeadStatus
from customers.services import CUSTOMER_FIELDS, EMAIL_TAKEN


class CustomerAdminForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = list(CUSTOMER_FIELDS)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        clash = Customer.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(EMAIL_TAKEN)
        return email


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = ["account", "email", "phone", "city", "country", "created_at"]
    list_filter = ["country", "created_at"]
    search_fields = ["account", "email", "phone", "city"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at"]
    list_per_page = 50

    def save_model(self, request, obj, form, change):
        from customers import services

        data = {f: form.cleaned_data[f] for f in services.CUSTOMER_FIELDS if f in form.cleaned_data}
        if change:
            services.customer_update(customer=obj, data=data)
        else:
            obj.pk = services.customer_create(data=data).pk

    def delete_model(self, request, obj):
        from customers import services

        services.customer_delete(customer=obj)


class LeadAdminForm(forms.ModelForm):
    class Meta:
        model = Lead
        fields = list(LEAD_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields and self.instance.status != LeadStatus.CONVERTED:
            # Converted is reached through the "Convert to customer" action only.
            self.fields["status"].choices = [
                c for c in self.fields["status"].choices if c[0] != LeadStatus.CONVERTED
            ]

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
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

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in LEAD_FIELDS if f in form.cleaned_data}
        if change:
            lead_services.lead_update(lead=obj, data=data)
        else:
            obj.pk = lead_services.lead_create(data=data).pk

    def delete_model(self, request, obj):
        lead_services.lead_delete(lead=obj)

    @admin.action(description="Convert to customer")
    def convert_to_customer(self, request, queryset):
        created = linked = 0
        for lead in queryset:
            try:
                conversion = lead_services.lead_convert(lead=lead)
            except DomainError as exc:
                self.message_user(request, f"{lead.full_name}: {exc.message}", messages.WARNING)
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
