"""Staff screens for products, invoices, payments and quotes.

The admin never writes billing rows itself (core.admin.ServiceAdmin): the invoice and quote
pages collect the main form and the item (and payment) inlines, then hand them to the same
services as the API, so numbering, totals, statuses and payments follow exactly the same
rules. A rule a service refuses (a 400 or 409 in the API) rolls the whole save back and comes
back to the page as an error message.
"""

import io
import zipfile
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from unfold.admin import TabularInline
from unfold.decorators import action

from billing import selectors, services
from billing.models import (
    Invoice,
    InvoiceItem,
    InvoiceStatus,
    Payment,
    Product,
    Quote,
    QuoteItem,
    QuoteStatus,
)
from billing.pdf import invoice_pdf, invoice_pdf_filename
from core.admin import ServiceAdmin
from core.money_format import format_money
from customers.admin import register_customer_section

ITEM_FIELDS = ["product", "description", "qty", "amount", "tax_rate"]
INVOICE_FORM_FIELDS = ["customer", "date", "due_date", "status", "discount", "notes"]
QUOTE_FORM_FIELDS = ["customer", "date", "valid_until", "status", "discount", "notes"]
PAYMENT_FORM_FIELDS = ["amount", "date", "account", "method", "note"]


def _formset_items(formset) -> list[dict]:
    """The lines the item inline describes after this save, in form order."""
    items = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or (formset.can_delete and formset._should_delete_form(form)):
            continue
        items.append({name: data.get(name) for name in ITEM_FIELDS})
    return items


def _formset_of(formsets, model):
    return next((fs for fs in formsets if fs.model is model), None)


def money_cell(amount, currency: str | None = None):
    return format_html('<span class="ll-money">{}</span>', format_money(amount, currency))


# Shown on invoice and quote pages: the line and document totals as lines change, and the
# product pick filling a line in (billing/static/billing/document_lines.js; no build step).
DOCUMENT_MEDIA = forms.Media(js=["ledgerline/document_lines.js"])


class OverdueFilter(admin.SimpleListFilter):
    """`?overdue=1`: issued, something still owed, due date before today (contract §8)."""

    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("1", "Overdue"), ("0", "Not overdue")]

    def queryset(self, request, queryset):
        overdue = {
            "status__in": (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID),
            "due_date__lt": timezone.localdate(),
            "balance_due__gt": 0,
        }
        if self.value() == "1":
            return queryset.filter(**overdue)
        if self.value() == "0":
            return queryset.exclude(**overdue)
        return queryset


# --- products ------------------------------------------------------------------------------


@admin.register(Product)
class ProductAdmin(ServiceAdmin):
    list_display = ["name", "type", "price_shown", "tax_rate", "updated_at"]
    list_filter = ["type"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at", "updated_at"]
    fields = ["name", "type", "price", "tax_rate", "description", "created_at", "updated_at"]

    @admin.display(description="Price", ordering="price")
    def price_shown(self, obj: Product):
        return money_cell(obj.price)

    def get_urls(self):
        line_defaults = path(
            "<int:pk>/line-defaults/",
            self.admin_site.admin_view(self.line_defaults_view),
            name="billing_product_line_defaults",
        )
        return [line_defaults, *super().get_urls()]

    def line_defaults_view(self, request, pk: int):
        """What a document line takes from the product picked on an invoice or quote page:
        a small JSON read for the page's script, for whoever may view products."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        product = get_object_or_404(Product, pk=pk)
        return JsonResponse(
            {
                "id": product.pk,
                "description": product.name,
                "amount": str(product.price),
                "tax_rate": str(product.tax_rate),
            }
        )

    def service_create(self, request, form, formsets):
        data = form.cleaned_data
        return services.product_create(
            name=data["name"],
            price=data["price"],
            description=data["description"],
            type=data["type"],
            tax_rate=data["tax_rate"],
        )

    def service_update(self, request, obj, form, formsets):
        data = form.cleaned_data
        return services.product_update(
            product=obj,
            name=data["name"],
            price=data["price"],
            description=data["description"],
            type=data["type"],
            tax_rate=data["tax_rate"],
        )

    def service_delete(self, request, obj):
        services.product_delete(product=obj)


# --- invoices ------------------------------------------------------------------------------


class LineItemForm(forms.ModelForm):
    """Description, unit price and tax rate may be left blank when a product is chosen: the
    service fills them in from the product, as the API does."""

    class Meta:
        fields = ITEM_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("description", "amount", "tax_rate"):
            self.fields[name].required = False
        self.fields["tax_rate"].initial = None


class InvoiceItemForm(LineItemForm):
    class Meta(LineItemForm.Meta):
        model = InvoiceItem


class QuoteItemForm(LineItemForm):
    class Meta(LineItemForm.Meta):
        model = QuoteItem


class LineItemInline(TabularInline):
    """Items of an invoice or a quote, frozen once the document reaches `locked_status`."""

    locked_status: str = ""
    fields = [*ITEM_FIELDS, "line_subtotal", "line_tax"]
    readonly_fields = ["line_subtotal", "line_tax"]
    autocomplete_fields = ["product"]
    extra = 1
    min_num = 1
    validate_min = True

    def _locked(self, obj) -> bool:
        return obj is not None and obj.status == self.locked_status

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


class InvoiceItemInline(LineItemInline):
    model = InvoiceItem
    form = InvoiceItemForm
    locked_status = InvoiceStatus.PAID


class PaymentInlineForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = PAYMENT_FORM_FIELDS

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("Amount must be greater than 0")
        return amount


class PaymentInline(TabularInline):
    """Recorded payments are read-only here (void them from the Payments page); a new row is
    recorded through `payment_record` when the invoice is saved."""

    model = Payment
    form = PaymentInlineForm
    fields = [*PAYMENT_FORM_FIELDS, "voided_at"]
    readonly_fields = ["voided_at"]
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        if obj is not None and obj.status in (
            InvoiceStatus.DRAFT,
            InvoiceStatus.CANCELLED,
            InvoiceStatus.PAID,
        ):
            return False
        return super().has_add_permission(request, obj)


ISSUED_LABEL = "Issued (Unpaid / Partially Paid / Paid follow the payments)"


def _invoice_status_choices(current: str | None) -> list[tuple[str, str]]:
    """Only what a person chooses: Draft, issued, Cancelled. The open statuses follow the
    payments, so they are one choice, never three."""
    if current is None:
        return [(InvoiceStatus.UNPAID, ISSUED_LABEL), (InvoiceStatus.DRAFT, "Draft")]
    if current == InvoiceStatus.DRAFT:
        return [
            (InvoiceStatus.DRAFT, "Draft"),
            (InvoiceStatus.UNPAID, ISSUED_LABEL),
            (InvoiceStatus.CANCELLED, "Cancelled"),
        ]
    if current == InvoiceStatus.CANCELLED:
        return [(InvoiceStatus.CANCELLED, "Cancelled"), (InvoiceStatus.UNPAID, ISSUED_LABEL)]
    return [(current, f"{current} (follows the payments)"), (InvoiceStatus.CANCELLED, "Cancelled")]


class InvoiceAdminForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = INVOICE_FORM_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields:
            current = self.instance.status if self.instance.pk else None
            self.fields["status"].choices = _invoice_status_choices(current)
            if current is None:
                self.fields["status"].initial = InvoiceStatus.UNPAID

    def clean(self):
        data = super().clean()
        issued, due = data.get("date"), data.get("due_date")
        if issued and due and due < issued:
            self.add_error("due_date", services.DUE_BEFORE_DATE)
        return data


@admin.register(Invoice)
class InvoiceAdmin(ServiceAdmin):
    form = InvoiceAdminForm
    inlines = [InvoiceItemInline, PaymentInline]
    list_display = [
        "invoice_number",
        "customer",
        "date",
        "due_date",
        "status",
        "total_shown",
        "paid_shown",
        "balance_shown",
        "overdue",
    ]
    list_filter = [OverdueFilter, "status", "date", "due_date"]
    search_fields = ["invoice_number", "customer__account", "customer__email"]
    date_hierarchy = "date"
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    readonly_fields = [
        "invoice_number",
        "subtotal_shown",
        "tax_shown",
        "total_shown",
        "paid_shown",
        "balance_shown",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["invoice_number", "customer", "status", ("date", "due_date")]}),
        (
            "Totals as saved (computed by the server from items and payments)",
            {
                "fields": [
                    "discount",
                    ("subtotal_shown", "tax_shown", "total_shown"),
                    ("paid_shown", "balance_shown"),
                ]
            },
        ),
        (None, {"fields": ["notes", ("created_at", "updated_at")]}),
    ]
    actions = ["download_pdfs"]
    actions_detail = ["pdf"]
    list_per_page = 50

    @property
    def media(self):
        return super().media + DOCUMENT_MEDIA

    @admin.display(description="Overdue", ordering="due_date")
    def overdue(self, obj: Invoice):
        if not obj.is_overdue:
            return ""
        days = (timezone.localdate() - obj.due_date).days
        return format_html(
            '<span class="ll-overdue-flag" title="Overdue">&#9888; {} d</span>', days
        )

    @admin.display(description="Subtotal")
    def subtotal_shown(self, obj: Invoice):
        return money_cell(obj.subtotal)

    @admin.display(description="Tax")
    def tax_shown(self, obj: Invoice):
        return money_cell(obj.tax)

    @admin.display(description="Total", ordering="total")
    def total_shown(self, obj: Invoice):
        return money_cell(obj.total)

    @admin.display(description="Paid", ordering="amount_paid")
    def paid_shown(self, obj: Invoice):
        return money_cell(obj.amount_paid) if obj.amount_paid else ""

    @admin.display(description="Balance due", ordering="balance_due")
    def balance_shown(self, obj: Invoice):
        # Only where something is owed: a draft or a cancelled invoice owes nothing, as the
        # dashboard and the aging report count it.
        if obj.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED) or not obj.balance_due:
            return ""
        return money_cell(obj.balance_due)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status in (InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID):
            # Payments decide it; nothing else may be chosen while they stand.
            fields.append("status")
        return fields

    def get_changeform_initial_data(self, request):
        today = timezone.localdate()
        return {
            "date": today,
            "due_date": today + timedelta(days=services.PAYMENT_TERMS_DAYS),
            **super().get_changeform_initial_data(request),
        }

    @action(description="PDF", icon="picture_as_pdf", url_path="pdf", permissions=["view"])
    def pdf(self, request, object_id):
        invoice = selectors.invoice_for_document(invoice_id=int(object_id))
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice_pdf_filename(invoice)}"'
        return response

    def service_create(self, request, form, formsets):
        data = form.cleaned_data
        items_formset = _formset_of(formsets, InvoiceItem)
        invoice = services.invoice_create(
            customer=data["customer"],
            items=_formset_items(items_formset) if items_formset is not None else [],
            date=data["date"],
            due_date=data["due_date"],
            discount=data["discount"],
            notes=data["notes"],
            status=data["status"],
        )
        self._record_payments(invoice, formsets)
        return invoice

    def service_update(self, request, obj, form, formsets):
        data = form.cleaned_data
        items_formset = _formset_of(formsets, InvoiceItem)
        items = None
        if items_formset is not None and items_formset.has_changed():
            items = _formset_items(items_formset)
        invoice = services.invoice_update(
            invoice=obj,
            customer=data.get("customer"),
            date=data.get("date"),
            due_date=data.get("due_date"),
            discount=data.get("discount"),
            notes=data.get("notes"),
            status=data.get("status"),
            items=items,
        )
        self._record_payments(invoice, formsets)
        return invoice

    def _record_payments(self, invoice: Invoice, formsets) -> None:
        payments_formset = _formset_of(formsets, Payment)
        for payment_form in payments_formset.extra_forms if payments_formset else []:
            if payment_form.has_changed() and payment_form.cleaned_data:
                data = payment_form.cleaned_data
                services.payment_record(
                    invoice=invoice,
                    amount=data["amount"],
                    account=data["account"],
                    date=data["date"],
                    method=data["method"],
                    note=data["note"],
                )

    def service_delete(self, request, obj):
        services.invoice_delete(invoice=obj)

    @admin.action(description="Download PDF (a zip for several invoices)")
    def download_pdfs(self, request, queryset: QuerySet[Invoice]):
        ids = list(queryset.values_list("pk", flat=True))
        if len(ids) == 1:
            invoice = selectors.invoice_for_document(invoice_id=ids[0])
            response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
            response["Content-Disposition"] = (
                f'attachment; filename="{invoice_pdf_filename(invoice)}"'
            )
            return response
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for pk in ids:
                invoice = selectors.invoice_for_document(invoice_id=pk)
                archive.writestr(invoice_pdf_filename(invoice), invoice_pdf(invoice))
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="invoices.zip"'
        return response


@admin.register(Payment)
class PaymentAdmin(ServiceAdmin):
    """The payment log. Payments are recorded from their invoice's page and voided here."""

    list_display = ["id", "invoice_link", "date", "amount_shown", "method", "account", "voided_at"]
    list_filter = ["method", "date", ("voided_at", admin.EmptyFieldListFilter)]
    search_fields = ["invoice__invoice_number", "invoice__customer__account", "note"]
    list_select_related = ["invoice", "account"]
    readonly_fields = [
        "invoice",
        "amount",
        "date",
        "account",
        "method",
        "note",
        "transaction",
        "voided_at",
        "created_at",
    ]
    actions = ["void_payments"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # A payment is never edited: recorded on its invoice's page, voided by the action.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Amount", ordering="amount")
    def amount_shown(self, obj: Payment):
        return money_cell(obj.amount, obj.account.currency)

    @admin.display(description="Invoice", ordering="invoice__invoice_number")
    def invoice_link(self, obj: Payment):
        return format_html(
            '<a href="../invoice/{}/change/">{}</a>', obj.invoice_id, obj.invoice.invoice_number
        )

    @admin.action(description="Void selected payments")
    def void_payments(self, request, queryset: QuerySet[Payment]):
        voided = 0
        for payment in queryset.filter(voided_at__isnull=True).order_by("invoice_id", "id"):
            if self.run_service(
                request,
                lambda payment=payment: services.payment_void(payment=payment),
                refusal_prefix=f"Payment {payment.pk}: ",
            ):
                voided += 1
        self.message_user(request, f"{voided} payment(s) voided.", messages.SUCCESS)


# --- quotes --------------------------------------------------------------------------------


class QuoteItemInline(LineItemInline):
    model = QuoteItem
    form = QuoteItemForm
    locked_status = QuoteStatus.CONVERTED


class QuoteAdminForm(forms.ModelForm):
    status = forms.ChoiceField(
        choices=[(s, s) for s in services.SETTABLE_QUOTE_STATUSES], initial=QuoteStatus.DRAFT
    )

    class Meta:
        model = Quote
        fields = QUOTE_FORM_FIELDS

    def clean(self):
        data = super().clean()
        issued, valid = data.get("date"), data.get("valid_until")
        if issued and valid and valid < issued:
            self.add_error("valid_until", services.VALID_UNTIL_BEFORE_DATE)
        return data


@admin.register(Quote)
class QuoteAdmin(ServiceAdmin):
    form = QuoteAdminForm
    inlines = [QuoteItemInline]
    list_display = [
        "quote_number",
        "customer",
        "date",
        "valid_until",
        "shown_status",
        "total_shown",
        "invoice",
    ]
    list_filter = ["status", "date", "valid_until"]
    search_fields = ["quote_number", "customer__account", "customer__email"]
    date_hierarchy = "date"
    list_select_related = ["customer", "invoice"]
    autocomplete_fields = ["customer"]
    readonly_fields = [
        "quote_number",
        "subtotal_shown",
        "tax_shown",
        "total_shown",
        "invoice",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["quote_number", "customer", "status", ("date", "valid_until")]}),
        (
            "Totals as saved (computed by the server from items)",
            {"fields": ["discount", ("subtotal_shown", "tax_shown", "total_shown")]},
        ),
        (None, {"fields": ["notes", "invoice", ("created_at", "updated_at")]}),
    ]
    actions = ["convert_to_invoice"]
    list_per_page = 50

    @property
    def media(self):
        return super().media + DOCUMENT_MEDIA

    @admin.display(description="Subtotal")
    def subtotal_shown(self, obj: Quote):
        return money_cell(obj.subtotal)

    @admin.display(description="Tax")
    def tax_shown(self, obj: Quote):
        return money_cell(obj.tax)

    @admin.display(description="Total", ordering="total")
    def total_shown(self, obj: Quote):
        return money_cell(obj.total)

    def get_changeform_initial_data(self, request):
        today = timezone.localdate()
        return {
            "date": today,
            "valid_until": today + timedelta(days=services.QUOTE_VALIDITY_DAYS),
            **super().get_changeform_initial_data(request),
        }

    @admin.display(description="Status", ordering="status")
    def shown_status(self, obj: Quote) -> str:
        return obj.effective_status()

    def get_readonly_fields(self, request, obj=None):
        # A converted quote is the record of where its invoice came from: shown read-only
        # (saving it anyway is refused by the service).
        if obj is not None and obj.status == QuoteStatus.CONVERTED:
            return [*QUOTE_FORM_FIELDS, *self.readonly_fields]
        return self.readonly_fields

    def service_create(self, request, form, formsets):
        data = form.cleaned_data
        items_formset = _formset_of(formsets, QuoteItem)
        return services.quote_create(
            customer=data["customer"],
            items=_formset_items(items_formset) if items_formset is not None else [],
            date=data["date"],
            valid_until=data["valid_until"],
            discount=data["discount"],
            notes=data["notes"],
            status=data["status"],
        )

    def service_update(self, request, obj, form, formsets):
        data = form.cleaned_data
        items_formset = _formset_of(formsets, QuoteItem)
        items = None
        if items_formset is not None and items_formset.has_changed():
            items = _formset_items(items_formset)
        return services.quote_update(
            quote=obj,
            customer=data.get("customer"),
            date=data.get("date"),
            valid_until=data.get("valid_until"),
            discount=data.get("discount"),
            notes=data.get("notes"),
            status=data.get("status"),
            items=items,
        )

    def service_delete(self, request, obj):
        services.quote_delete(quote=obj)

    @admin.action(description="Convert to invoice")
    def convert_to_invoice(self, request, queryset: QuerySet[Quote]):
        for quote in queryset.order_by("id"):
            converted = self.run_service(
                request,
                lambda quote=quote: services.quote_convert(quote=quote),
                refusal_prefix=f"{quote.quote_number}: ",
            )
            if converted:
                quote.refresh_from_db()
                self.message_user(
                    request,
                    f"{quote.quote_number} converted to {quote.invoice.invoice_number}.",
                    messages.SUCCESS,
                )


# --- the customer's page ------------------------------------------------------------------

CUSTOMER_PAGE_ROWS = 10


@register_customer_section
def customer_billing_section(request, customer):
    """Balance due, overdue, credit balance, and the latest invoices, quotes and payments of
    the customer (four queries, whatever their number)."""
    if not request.user.has_perm("billing.view_invoice"):
        return None
    today = timezone.localdate()
    return render_to_string(
        "admin/billing/customer_section.html",
        {
            "customer": customer,
            "summary": selectors.customer_billing_summary(customer=customer, today=today),
            # Credit notes (issue #16) add `credit_balance` to the customer; until then the
            # card is not shown.
            "credit_balance": getattr(customer, "credit_balance", None),
            "invoices": list(customer.invoices.order_by("-date", "-id")[:CUSTOMER_PAGE_ROWS]),
            "quotes": list(customer.quotes.order_by("-date", "-id")[:CUSTOMER_PAGE_ROWS]),
            "payments": list(
                Payment.objects.filter(invoice__customer=customer)
                .select_related("invoice", "account")
                .order_by("-date", "-id")[:CUSTOMER_PAGE_ROWS]
            ),
            "can_add_invoice": request.user.has_perm("billing.add_invoice"),
            "can_add_quote": request.user.has_perm("billing.add_quote"),
        },
        request=request,
    )
