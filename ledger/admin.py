"""Staff screens for the ledger. Every write goes through ledger.services, so the admin
keeps the same rules as the API (category type, payment-owned rows, events, roll-ups)."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages

from core.errors import ConflictError, DomainValidationError
from ledger import selectors, services
from ledger.models import Account, Category, Transaction, TransactionType


def _apply_errors(form: forms.ModelForm, exc: DomainValidationError) -> None:
    for field, message in exc.errors.items():
        name = field.removesuffix("_id")
        form.add_error(name if name in form.fields else None, message)


class ServiceAdminForm(forms.ModelForm):
    """Runs the service inside form validation, so a rule it refuses shows on the form
    instead of as a server error. The admin's own save then has nothing left to do."""

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            self.saved = self.run_service()
        except DomainValidationError as exc:
            _apply_errors(self, exc)
        except ConflictError as exc:
            self.add_error(None, exc.message)

    def run_service(self):
        raise NotImplementedError


class AccountForm(ServiceAdminForm):
    class Meta:
        model = Account
        fields = ["name", "currency", "opening_balance"]

    def run_service(self):
        data = {f: self.cleaned_data[f] for f in self.Meta.fields}
        data["currency"] = data["currency"].upper()
        if self.instance.pk:
            return services.account_update(account=self.instance, data=data)
        return services.account_create(data=data)


class CategoryForm(ServiceAdminForm):
    class Meta:
        model = Category
        fields = ["name", "type"]

    def run_service(self):
        data = {f: self.cleaned_data[f] for f in self.Meta.fields}
        if self.instance.pk:
            return services.category_update(category=self.instance, data=data)
        return services.category_create(data=data)


class TransactionForm(ServiceAdminForm):
    type = forms.ChoiceField(
        choices=[(t, t) for t in (TransactionType.INCOME, TransactionType.EXPENSE)]
    )
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))

    class Meta:
        model = Transaction
        fields = ["type", "account", "amount", "category", "description", "date"]

    def run_service(self):
        data = {
            "type": self.cleaned_data["type"],
            "account_id": self.cleaned_data["account"],
            "amount": self.cleaned_data["amount"],
            "category_id": self.cleaned_data["category"],
            "description": self.cleaned_data["description"],
            "date": self.cleaned_data["date"],
        }
        if self.instance.pk:
            return services.transaction_update(txn=self.instance, data=data)
        return services.transaction_create(data=data)


class ServiceSavedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        # The form's validation already saved through the service.
        obj.pk = form.saved.pk

    def save_related(self, request, form, formsets, change):
        return None

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def delete_model(self, request, obj):
        try:
            self.service_delete(obj)
        except ConflictError as exc:
            messages.error(request, f"{obj}: {exc.message}")

    def service_delete(self, obj) -> None:
        raise NotImplementedError


@admin.register(Account)
class AccountAdmin(ServiceSavedAdmin):
    form = AccountForm
    list_display = ["name", "currency", "opening_balance", "balance"]
    list_filter = ["currency"]
    search_fields = ["name"]
    readonly_fields = ["balance", "created_at", "updated_at"]

    def get_queryset(self, request):
        return selectors.account_list()

    @admin.display(description="Balance", ordering="balance")
    def balance(self, obj):
        return obj.balance

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.in_use:
            return False
        return super().has_delete_permission(request, obj)

    def service_delete(self, obj):
        services.account_delete(account=obj)


@admin.register(Category)
class CategoryAdmin(ServiceSavedAdmin):
    form = CategoryForm
    list_display = ["name", "type", "in_use"]
    list_filter = ["type"]
    search_fields = ["name"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return selectors.category_list()

    @admin.display(boolean=True, description="In use")
    def in_use(self, obj):
        return obj.in_use

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.in_use:
            return False
        return super().has_delete_permission(request, obj)

    def service_delete(self, obj):
        services.category_delete(category=obj)


@admin.register(Transaction)
class TransactionAdmin(ServiceSavedAdmin):
    form = TransactionForm
    list_display = ["date", "type", "account", "category", "amount", "description", "invoice"]
    list_filter = ["type", "account", "category", ("voided_at", admin.EmptyFieldListFilter)]
    list_select_related = ["account", "category"]
    search_fields = ["description"]
    date_hierarchy = "date"
    readonly_fields = [
        "invoice",
        "transfer_group",
        "transfer_direction",
        "voided_at",
        "created_at",
        "updated_at",
    ]
    list_per_page = 50

    def get_queryset(self, request):
        return selectors.transaction_list(include_voided=True).select_related("account", "category")

    @admin.display(description="Invoice")
    def invoice(self, obj):
        return obj.invoice_id or "-"

    def _locked(self, obj) -> bool:
        # A payment's transaction changes through its payment, a transfer leg as a pair.
        return obj is not None and (
            getattr(obj, "invoice_id", None) is not None
            or selectors.transaction_belongs_to_payment(obj)
            or obj.type == TransactionType.TRANSFER
        )

    def has_change_permission(self, request, obj=None):
        if self._locked(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and selectors.transaction_belongs_to_payment(obj):
            return False
        return super().has_delete_permission(request, obj)

    def service_delete(self, obj):
        services.transaction_delete(txn=obj)
