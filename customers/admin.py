from django import forms
from django.contrib import admin

from customers.models import Customer
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
