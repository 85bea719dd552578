"""Staff screens for the ledger. Every write goes through ledger.services via
core.admin.ServiceAdmin, so the admin keeps the same rules as the API (category type,
payment-owned rows, events, roll-ups); a refusal comes back as a message on the page."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from import_export.admin import ImportExportMixin

from audit.admin import AuditHistoryMixin
from core.admin import ServiceAdmin
from ledger import selectors, services
from ledger.models import Account, Category, Transaction, TransactionOrigin, TransactionType
from ledger.resources import TransactionResource

TRANSACTION_FORM_FIELDS = ["type", "account", "amount", "category", "description", "date"]


@admin.register(Account)
class AccountAdmin(ServiceAdmin):
    fields = ["name", "currency", "opening_balance", "balance", "created_at", "updated_at"]
    list_display = ["name", "currency", "opening_balance", "balance"]
    list_filter = ["currency"]
    search_fields = ["name"]
    readonly_fields = ["balance", "created_at", "updated_at"]

    def get_queryset(self, request):
        return selectors.account_list()

    @admin.display(description="Balance", ordering="balance")
    def balance(self, obj):
        return obj.balance

    def service_create(self, request, form, formsets):
        data = form.cleaned_data
        return services.account_create(
            name=data["name"], currency=data["currency"], opening_balance=data["opening_balance"]
        )

    def service_update(self, request, obj, form, formsets):
        data = form.cleaned_data
        return services.account_update(
            account=obj,
            name=data["name"],
            currency=data["currency"],
            opening_balance=data["opening_balance"],
        )

    def service_delete(self, request, obj):
        services.account_delete(account=obj)


@admin.register(Category)
class CategoryAdmin(ServiceAdmin):
    fields = ["name", "type", "created_at", "updated_at"]
    list_display = ["name", "type", "in_use"]
    list_filter = ["type"]
    search_fields = ["name"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return selectors.category_list()

    @admin.display(boolean=True, description="In use")
    def in_use(self, obj):
        return obj.in_use

    def service_create(self, request, form, formsets):
        data = form.cleaned_data
        return services.category_create(name=data["name"], type=data["type"])

    def service_update(self, request, obj, form, formsets):
        data = form.cleaned_data
        return services.category_update(category=obj, name=data["name"], type=data["type"])

    def service_delete(self, request, obj):
        services.category_delete(category=obj)


class TransactionForm(forms.ModelForm):
    type = forms.ChoiceField(
        choices=[(t, t) for t in (TransactionType.INCOME, TransactionType.EXPENSE)]
    )
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))

    class Meta:
        model = Transaction
        fields = TRANSACTION_FORM_FIELDS


@admin.register(Transaction)
class TransactionAdmin(AuditHistoryMixin, ImportExportMixin, ServiceAdmin):
    # Import and export through TransactionResource (transaction_batch_create, all or none).
    resource_classes = [TransactionResource]
    form = TransactionForm
    audit_resource = "transaction"
    list_display = ["date", "type", "account", "category", "amount", "description", "invoice"]
    list_filter = [
        "type",
        "origin",
        "account",
        "category",
        ("voided_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["account", "category"]
    search_fields = ["description"]
    date_hierarchy = "date"
    readonly_fields = [
        "origin",
        "invoice",
        "transfer_group",
        "transfer_direction",
        "voided_at",
        "created_at",
        "updated_at",
        "audit_history",
    ]
    list_per_page = 50

    def get_queryset(self, request):
        return selectors.transaction_list(include_voided=True).select_related("account", "category")

    @admin.display(description="Invoice")
    def invoice(self, obj):
        return obj.invoice_id or "-"

    def get_readonly_fields(self, request, obj=None):
        # A payment's transaction changes through its payment, a credit note's refund never,
        # a transfer leg as a pair: their page shows the fields read-only (saving it anyway
        # is refused by the service).
        if obj is not None and (
            obj.origin != TransactionOrigin.MANUAL or obj.type == TransactionType.TRANSFER
        ):
            return [*TRANSACTION_FORM_FIELDS, *self.readonly_fields]
        return self.readonly_fields

    def service_create(self, request, form, formsets):
        data = form.cleaned_data
        return services.transaction_create(
            type=data["type"],
            account=data["account"],
            amount=data["amount"],
            category=data["category"],
            description=data["description"],
            date=data["date"],
        )

    def service_update(self, request, obj, form, formsets):
        data = form.cleaned_data
        return services.transaction_update(
            txn=obj,
            type=data.get("type"),
            account=data.get("account"),
            amount=data.get("amount"),
            category=data.get("category", services.UNCHANGED),
            description=data.get("description"),
            date=data.get("date"),
        )

    def service_delete(self, request, obj):
        services.transaction_delete(txn=obj)
