"""Staff screens for products, invoices, payments, credit notes and quotes.

The admin never writes billing rows itself (core.admin.ServiceAdmin): the invoice and quote
pages collect the main form and the item (and payment) inlines, then hand them to the same
services as the API, so numbering, totals, statuses and payments follow exactly the same
rules. A rule a service refuses (a 400 or 409 in the API) rolls the whole save back and comes
back to the page as an error message.

The invoice page follows the lifecycle: a draft is edited freely and issued with the Issue
button; an issued invoice shows its customer, date, discount, currency and items read-only
(the service refuses them anyway) and offers Cancel and Credit note buttons. Status is chosen
only when creating (issue now, or keep as a draft); after that it follows the lifecycle.
"""

import io
import zipfile
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from import_export.admin import ImportExportMixin
from unfold.admin import TabularInline
from unfold.widgets import UnfoldAdminDecimalFieldWidget

from audit.admin import AuditHistoryMixin
from billing import recurring, selectors, sending, services
from billing.models import (
    OPEN_INVOICE_STATUSES,
    OPEN_QUOTE_STATUSES,
    CreditNote,
    CreditNoteItem,
    CreditNoteSettlement,
    Invoice,
    InvoiceItem,
    InvoiceStatus,
    Payment,
    Product,
    Quote,
    QuoteItem,
    QuoteStatus,
    RecurringInvoice,
    RecurringInvoiceItem,
)
from billing.pdf import credit_note_pdf, document_pdf_filename, invoice_pdf
from billing.portal_links import portal_url
from billing.quote_pdf import quote_pdf, quote_pdf_filename
from billing.resources import ProductResource
from core.admin import ServiceAdmin, changed_fields, error_text
from core.currencies import CurrencyFormField
from core.errors import DomainError
from core.money_format import format_money
from customers.admin import register_customer_section

ITEM_FIELDS = ["product", "description", "qty", "amount", "tax_rate"]
INVOICE_FORM_FIELDS = [
    "customer",
    "date",
    "due_date",
    "status",
    "discount",
    "currency",
    "exchange_rate",
    "notes",
]
# What an issued invoice keeps (the service refuses a change with FROZEN).
FROZEN_INVOICE_FIELDS = ["customer", "date", "discount", "currency", "exchange_rate"]
QUOTE_FORM_FIELDS = [
    "customer",
    "date",
    "valid_until",
    "status",
    "discount",
    "currency",
    "exchange_rate",
    "notes",
]


def _currency_fields() -> dict:
    """A document form's currency and rate: both optional, the services fill them in (the
    customer's currency; the latest rate on or before the date)."""
    return {
        "currency": CurrencyFormField(help_text="Default: the customer's currency."),
        "exchange_rate": forms.DecimalField(
            required=False,
            max_digits=18,
            decimal_places=6,
            min_value=Decimal("0.000001"),
            widget=UnfoldAdminDecimalFieldWidget,
            help_text="Base-currency units per one unit of this currency. "
            "Default: the latest exchange rate on or before the date.",
        ),
    }


def _given_rate(form) -> Decimal | None:
    """The rate typed in, only when it was changed: an untouched field keeps the stored rate
    (or lets a new date or currency take its own)."""
    if "exchange_rate" in form.changed_data:
        return form.cleaned_data.get("exchange_rate")
    return None


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


# Who changed the document and how (issue #17): the audit trail's last entries for it.
HISTORY_FIELDSET = (None, {"fields": ["audit_history"]})


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


COPY_SCRIPT = (
    "var b=this,u=b.dataset.url;if(navigator.clipboard){navigator.clipboard.writeText(u)"
    ".then(function(){b.textContent='Link copied'})}else{window.prompt('Copy the portal link',u)}"
)
ROTATE_CONFIRM = (
    "return confirm('Make a new portal link? The link the customer has now will stop working.')"
)


class PortalLinkMixin:
    """The client portal on an issued document's page: "Open portal", "Copy link" and "New
    portal link", in the read-only field `portal_link` (invoices and quotes, whose toolbar is
    full) or in the toolbar (`portal_in_toolbar`: credit notes, whose page has no form). The new
    link is made by `portal_rotate_service` (billing.services, as the API's
    `POST …/portal-link`); the old link answers 404 from then on."""

    portal_in_toolbar = False

    def portal_rotate_service(self, obj):
        raise NotImplementedError

    def _portal_names(self) -> tuple[str, str]:
        meta = self.model._meta
        return meta.model_name, f"{meta.app_label}_{meta.model_name}_portal_link"

    def _portal_url(self, obj) -> str | None:
        if obj is None or obj.pk is None or getattr(obj, "status", "") == "Draft":
            return None
        return portal_url(obj)

    @admin.display(description="Client portal")
    def portal_link(self, obj):
        url = self._portal_url(obj)
        if not url:
            return "Issued documents get a link for the customer."
        _, name = self._portal_names()
        # The button submits the page's own form (and its CSRF token) to the rotate view.
        return format_html(
            '<a href="{}" id="ll-portal-open" class="ll-link-button" target="_blank" '
            'rel="noopener noreferrer">'
            "Open portal</a> · "
            '<button type="button" id="ll-portal-copy" class="ll-link-button" data-url="{}" '
            'onclick="{}">Copy link</button> · '
            '<button type="submit" id="ll-portal-rotate" class="ll-link-button" formaction="{}" '
            'formmethod="post" formnovalidate onclick="{}">New portal link</button>',
            url,
            url,
            COPY_SCRIPT,
            reverse(f"admin:{name}", args=[obj.pk]),
            ROTATE_CONFIRM,
        )

    def get_urls(self):
        _, name = self._portal_names()
        view = self.admin_site.admin_view(self.portal_link_view)
        return [path("<int:object_id>/portal-link/", view, name=name), *super().get_urls()]

    def portal_link_view(self, request, object_id: int):
        model_name, _ = self._portal_names()
        back = HttpResponseRedirect(reverse(f"admin:billing_{model_name}_change", args=[object_id]))
        if request.method != "POST":
            return back  # only the button's POST makes a new link
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        # Credit notes are read-only pages (no change permission on the page itself): the
        # role's own permission decides.
        if not request.user.has_perm(f"billing.change_{model_name}"):
            raise PermissionDenied
        if self.run_service(request, lambda: self.portal_rotate_service(obj)):
            self.message_user(
                request,
                f"{obj} has a new portal link; the old link no longer works.",
                messages.SUCCESS,
            )
        return back

    def change_view(self, request, object_id, form_url="", extra_context=None):
        model_name, name = self._portal_names()
        links = {}
        if self.portal_in_toolbar and str(object_id).isdigit():
            url = self._portal_url(self.model.objects.filter(pk=object_id).first())
            if url:
                links["portal_url"] = url
                if request.user.has_perm(f"billing.change_{model_name}"):
                    links["portal_rotate_url"] = reverse(f"admin:{name}", args=[object_id])
        extra_context = {**(extra_context or {}), **links}
        return super().change_view(request, object_id, form_url, extra_context)


class DocumentTotalsMixin:
    """The saved totals of a document (invoice, quote, credit note, schedule) as money in its
    own currency, for list columns and read-only fields."""

    @admin.display(description="Subtotal")
    def subtotal_shown(self, obj):
        return money_cell(obj.subtotal, obj.currency)

    @admin.display(description="Tax")
    def tax_shown(self, obj):
        return money_cell(obj.tax, obj.currency)

    @admin.display(description="Total", ordering="total")
    def total_shown(self, obj):
        return money_cell(obj.total, obj.currency)


class SendButtonAdmin(ServiceAdmin):
    """A "Send by email" button on the change page: it posts to `<id>/send/`, which sends the
    document to the customer's email through `send_service` (billing.sending) and shows the
    refusal, if any, as a message."""

    change_form_template = "admin/billing/send_change_form.html"

    def send_service(self, obj):
        """Sends `obj` through billing.sending; returns the queued email message."""
        raise NotImplementedError

    def has_send_permission(self, request, obj) -> bool:
        return self.has_change_permission(request, obj)

    def get_urls(self):
        meta = self.model._meta
        send = path(
            "<int:object_id>/send/",
            self.admin_site.admin_view(self.send_view),
            name=f"{meta.app_label}_{meta.model_name}_send",
        )
        return [send, *super().get_urls()]

    def send_view(self, request, object_id: int):
        meta = self.model._meta
        change_page = HttpResponseRedirect(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[object_id])
        )
        if request.method != "POST":
            return change_page  # only the button's POST sends; a link lands on the page
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_send_permission(request, obj):
            raise PermissionDenied
        sent: list = []
        if self.run_service(request, lambda: sent.append(self.send_service(obj))):
            # Named after sending: a draft is issued (and numbered) by it.
            obj.refresh_from_db()
            recipients = ", ".join(sent[0].to)
            self.message_user(request, f"{obj} is queued to be sent to {recipients}.")
        return change_page

    def change_view(self, request, object_id, form_url="", extra_context=None):
        meta = self.model._meta
        send_url = ""
        if str(object_id).isdigit() and self.has_send_permission(request, None):
            send_url = reverse(f"admin:{meta.app_label}_{meta.model_name}_send", args=[object_id])
        extra_context = {**(extra_context or {}), "send_url": send_url}
        return super().change_view(request, object_id, form_url, extra_context)


# --- products ------------------------------------------------------------------------------


@admin.register(Product)
class ProductAdmin(ImportExportMixin, ServiceAdmin):
    # Import and export through ProductResource (product_batch_create, as the API's import).
    resource_classes = [ProductResource]
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


class RecurringInvoiceItemForm(LineItemForm):
    class Meta(LineItemForm.Meta):
        model = RecurringInvoiceItem


class CreditNoteItemForm(LineItemForm):
    class Meta(LineItemForm.Meta):
        model = CreditNoteItem


class LineItemInline(TabularInline):
    """Items of an invoice or a quote, frozen once the document reaches `locked_status`."""

    locked_status: str = ""
    document_field: str = ""  # the item's foreign key to its document
    fields = [*ITEM_FIELDS, "line_subtotal_shown", "line_discount_shown", "line_tax_shown"]
    readonly_fields = ["line_subtotal_shown", "line_discount_shown", "line_tax_shown"]
    # Shown only once the lines are frozen: while they are edited, the live totals box below
    # shows the discount, and the column would push the table past a 1280 px window.
    editing_hidden_fields = ("line_discount_shown",)
    autocomplete_fields = ["product"]
    extra = 1
    min_num = 1
    validate_min = True
    hide_title = True  # each row is its own title; the line's name above it only repeated it

    def _locked(self, obj) -> bool:
        return obj is not None and obj.status == self.locked_status

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self._locked(obj):
            return fields
        return [name for name in fields if name not in self.editing_hidden_fields]

    # The computed line figures as money, like every other amount in the admin (cells
    # `field-line_*_shown`, which the live-totals script writes into). A line not saved yet
    # shows "-" until the script computes it.
    @admin.display(description="Line subtotal")
    def line_subtotal_shown(self, obj):
        return self._line_money(obj, "line_subtotal")

    @admin.display(description="Line discount")
    def line_discount_shown(self, obj):
        return self._line_money(obj, "line_discount")

    @admin.display(description="Line tax")
    def line_tax_shown(self, obj):
        return self._line_money(obj, "line_tax")

    def get_queryset(self, request):
        # Each line shows money in its document's currency: the document comes with the lines.
        return super().get_queryset(request).select_related(self.document_field)

    def _line_money(self, obj, name: str):
        if not (obj and obj.pk):
            return "-"
        return money_cell(getattr(obj, name), getattr(obj, self.document_field).currency)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "product" and formfield is not None:
            # No add/change/view menu beside each line's product: products have their own
            # page, and the menu's column is room the line's description needs.
            for flag in ("can_add_related", "can_change_related", "can_view_related"):
                setattr(formfield.widget, flag, False)
            formfield.widget.can_delete_related = False
        return formfield

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


class InvoiceItemInline(LineItemInline):
    model = InvoiceItem
    document_field = "invoice"
    form = InvoiceItemForm

    def _locked(self, obj) -> bool:
        return obj is not None and obj.is_issued


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
    hide_title = True

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        if obj is not None and obj.status not in (
            InvoiceStatus.UNPAID,
            InvoiceStatus.PARTIALLY_PAID,
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
    currency, exchange_rate = _currency_fields().values()
    # Chosen only when creating; afterwards the Issue and Cancel buttons, payments and credit
    # notes move it (the field is read-only on the change page).
    status = forms.ChoiceField(
        choices=[
            (InvoiceStatus.UNPAID, "Issue now (numbered, Unpaid)"),
            (InvoiceStatus.DRAFT, "Draft (no number yet)"),
        ],
        initial=InvoiceStatus.UNPAID,
    )

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
        if "notes" in self.fields:
            self.fields["notes"].widget.attrs["rows"] = 3

    def clean(self):
        data = super().clean()
        issued, due = data.get("date"), data.get("due_date")
        if issued and due and due < issued:
            self.add_error("due_date", services.DUE_BEFORE_DATE)
        return data


@admin.register(Invoice)
class InvoiceAdmin(AuditHistoryMixin, PortalLinkMixin, DocumentTotalsMixin, SendButtonAdmin):
    form = InvoiceAdminForm
    audit_resource = "invoice"
    inlines = [InvoiceItemInline, PaymentInline]
    change_form_template = "admin/billing/invoice/change_form.html"
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
        "portal_link",
        "subtotal",
        "tax",
        "total",
        "amount_paid",
        "amount_credited",
        "balance_due",
        "billing_details",
        "cancel_reason",
        "credit_notes",
        "subtotal_shown",
        "tax_shown",
        "total_shown",
        "paid_shown",
        "credited_shown",
        "discount_shown",
        "balance_shown",
        "created_at",
        "updated_at",
        "audit_history",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "invoice_number",
                    "portal_link",
                    "customer",
                    "status",
                    ("date", "due_date"),
                    ("currency", "exchange_rate"),
                ]
            },
        ),
        (
            "Totals as saved (computed by the server from items, payments and credit notes)",
            {
                "fields": [
                    "discount",
                    ("subtotal_shown", "tax_shown", "total_shown"),
                    ("paid_shown", "credited_shown", "balance_shown"),
                ]
            },
        ),
        (
            None,
            {
                "fields": [
                    "notes",
                    "billing_details",
                    "credit_notes",
                    "cancel_reason",
                    ("created_at", "updated_at"),
                ]
            },
        ),
        HISTORY_FIELDSET,
    ]
    actions = ["download_pdfs"]
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

    @admin.display(description="Paid", ordering="amount_paid")
    def paid_shown(self, obj: Invoice):
        return money_cell(obj.amount_paid, obj.currency) if obj.amount_paid else ""

    @admin.display(description="Discount")
    def discount_shown(self, obj: Invoice):
        return money_cell(obj.discount, obj.currency)

    @admin.display(description="Credited")
    def credited_shown(self, obj: Invoice):
        return money_cell(obj.amount_credited, obj.currency) if obj.amount_credited else ""

    @admin.display(description="Balance due", ordering="balance_due")
    def balance_shown(self, obj: Invoice):
        # Only where something is owed: a draft or a cancelled invoice owes nothing, as the
        # dashboard and the aging report count it.
        if obj.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED) or not obj.balance_due:
            return ""
        return money_cell(obj.balance_due, obj.currency)

    def get_changeform_initial_data(self, request):
        today = timezone.localdate()
        return {
            "date": today,
            "due_date": today + timedelta(days=services.PAYMENT_TERMS_DAYS),
            **super().get_changeform_initial_data(request),
        }

    @admin.display(description="Credit notes")
    def credit_notes(self, obj: Invoice):
        notes = list(obj.credit_notes.order_by("id")) if obj.pk else []
        if not notes:
            return "-"
        links = [
            format_html(
                '<a href="{}">{}</a> ({})',
                reverse("admin:billing_creditnote_change", args=[note.pk]),
                note.credit_note_number,
                note.total,
            )
            for note in notes
        ]
        return format_html("{}", ", ".join(str(link) for link in links))

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            # A new invoice has no number, saved totals, payments or history yet: only what
            # the clerk fills in (the live totals box follows the lines).
            return [
                (
                    None,
                    {
                        "fields": [
                            "customer",
                            "status",
                            ("date", "due_date"),
                            ("currency", "discount"),
                            "notes",
                        ]
                    },
                )
            ]
        main, totals, _, history = self.fieldsets
        # Only the details this invoice has: a snapshot once issued, its credit notes, the
        # reason it was cancelled.
        details: list = ["notes"]
        if obj.is_issued:
            details.append("billing_details")
        if obj.credit_notes.exists():
            details.append("credit_notes")
        if obj.status == InvoiceStatus.CANCELLED:
            details.append("cancel_reason")
        details.append(("created_at", "updated_at"))
        if obj.is_issued:  # frozen: shown as money, like the totals beside it
            name, options = totals
            fields = ["discount_shown" if f == "discount" else f for f in options["fields"]]
            totals = (name, {**options, "fields": fields})
        return [main, totals, (None, {"fields": details}), history]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # Status moves by the buttons; an issued invoice keeps what it was issued with.
        frozen = FROZEN_INVOICE_FIELDS if obj.is_issued else []
        return [*self.readonly_fields, "status", *frozen]

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
            currency=data.get("currency") or None,
            exchange_rate=data.get("exchange_rate"),
        )
        self._record_payments(invoice, formsets)
        return invoice

    def service_update(self, request, obj, form, formsets):
        data = form.cleaned_data
        items_formset = _formset_of(formsets, InvoiceItem)
        items = None
        if items_formset is not None and items_formset.has_changed():
            items = _formset_items(items_formset)
        if items is None and not form.has_changed():
            # Only a payment added: that is the one write (and audit entry), not an
            # "update" of an invoice nobody changed.
            self._record_payments(obj, formsets)
            return obj
        invoice = services.invoice_update(
            invoice=obj,
            customer=data.get("customer"),
            date=data.get("date"),
            due_date=data.get("due_date"),
            discount=data.get("discount"),
            notes=data.get("notes"),
            items=items,
            currency=data.get("currency") or None,
            exchange_rate=_given_rate(form),
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

    def send_service(self, obj):
        return sending.invoice_send(invoice=obj)

    def portal_rotate_service(self, obj):
        return services.invoice_portal_link_rotate(invoice=obj)

    # --- lifecycle buttons (templates/admin/billing/invoice/change_form.html) ---------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:object_id>/issue/", view(self.issue_view), name="billing_invoice_issue"),
            path("<int:object_id>/cancel/", view(self.cancel_view), name="billing_invoice_cancel"),
            path("<int:object_id>/pdf/", view(self.pdf_view), name="billing_invoice_pdf"),
            *super().get_urls(),
        ]

    def _invoice_for(self, request, object_id) -> Invoice:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=object_id)

    def _back(self, object_id) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[object_id]))

    def issue_view(self, request, object_id: int):
        if request.method != "POST":
            return self._back(object_id)  # only the button's POST issues; a link lands on the page
        invoice = self._invoice_for(request, object_id)
        done: list[Invoice] = []
        if self.run_service(request, lambda: done.append(services.invoice_issue(invoice=invoice))):
            self.message_user(request, f"Issued as {done[0].invoice_number}.", messages.SUCCESS)
        return self._back(object_id)

    def cancel_view(self, request, object_id: int):
        """GET: asks for the reason; POST: cancels through the service."""
        invoice = self._invoice_for(request, object_id)
        form = InvoiceCancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            reason = form.cleaned_data["reason"]
            self.run_service(
                request,
                lambda: services.invoice_cancel(invoice=invoice, reason=reason),
                success=f"{invoice.invoice_number} cancelled.",
            )
            return self._back(object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": invoice,
            "form": form,
            "title": f"Cancel {invoice}",
        }
        return TemplateResponse(request, "admin/billing/invoice/cancel.html", context)

    def pdf_view(self, request, object_id: int):
        """The one PDF route of the admin (`admin:billing_invoice_pdf`): the page's PDF button
        downloads it, for whoever may view the invoice."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        get_object_or_404(self.get_queryset(request), pk=object_id)
        invoice = selectors.invoice_for_document(invoice_id=object_id)
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{document_pdf_filename(invoice)}"'
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        invoice = Invoice.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        buttons = {}
        if invoice is not None:
            buttons["pdf_url"] = reverse("admin:billing_invoice_pdf", args=[invoice.pk])
            if invoice.status == InvoiceStatus.DRAFT:
                buttons["issue_url"] = reverse("admin:billing_invoice_issue", args=[invoice.pk])
            if invoice.status in OPEN_INVOICE_STATUSES:
                buttons["cancel_url"] = reverse("admin:billing_invoice_cancel", args=[invoice.pk])
                buttons["credit_note_url"] = (
                    reverse("admin:billing_creditnote_add") + f"?invoice={invoice.pk}"
                )
        extra_context = {**(extra_context or {}), **buttons}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Download PDF (a zip for several invoices)")
    def download_pdfs(self, request, queryset: QuerySet[Invoice]):
        ids = list(queryset.values_list("pk", flat=True))
        if len(ids) == 1:
            invoice = selectors.invoice_for_document(invoice_id=ids[0])
            response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
            response["Content-Disposition"] = (
                f'attachment; filename="{document_pdf_filename(invoice)}"'
            )
            return response
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for pk in ids:
                invoice = selectors.invoice_for_document(invoice_id=pk)
                archive.writestr(document_pdf_filename(invoice), invoice_pdf(invoice))
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="invoices.zip"'
        return response


class InvoiceCancelForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


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
        "source",
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
        return money_cell(obj.amount, obj.invoice.currency)

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
    document_field = "quote"
    form = QuoteItemForm
    locked_status = QuoteStatus.CONVERTED


class QuoteAdminForm(forms.ModelForm):
    currency, exchange_rate = _currency_fields().values()
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
class QuoteAdmin(AuditHistoryMixin, PortalLinkMixin, DocumentTotalsMixin, SendButtonAdmin):
    form = QuoteAdminForm
    audit_resource = "quote"
    change_form_template = "admin/billing/quote/change_form.html"
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
        "portal_link",
        "subtotal_shown",
        "tax_shown",
        "total_shown",
        "invoice",
        "accepted_at",
        "accepted_by",
        "accepted_ip",
        "declined_at",
        "declined_ip",
        "created_at",
        "updated_at",
        "audit_history",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "quote_number",
                    "portal_link",
                    "customer",
                    "status",
                    ("date", "valid_until"),
                    ("currency", "exchange_rate"),
                ]
            },
        ),
        (
            "Totals as saved (computed by the server from items)",
            {"fields": ["discount", ("subtotal_shown", "tax_shown", "total_shown")]},
        ),
        (
            "The customer's answer on the client portal",
            {
                "fields": [
                    ("accepted_at", "accepted_by", "accepted_ip"),
                    ("declined_at", "declined_ip"),
                ]
            },
        ),
        (None, {"fields": ["notes", "invoice", ("created_at", "updated_at")]}),
        HISTORY_FIELDSET,
    ]
    actions = ["convert_to_invoice"]
    list_per_page = 50

    @property
    def media(self):
        return super().media + DOCUMENT_MEDIA

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

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            # Nothing saved yet: no number, saved totals, invoice or history to show.
            fields = ["customer", "status", ("date", "valid_until"), "discount", "notes"]
            return [(None, {"fields": fields})]
        return self.fieldsets

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
            currency=data.get("currency") or None,
            exchange_rate=data.get("exchange_rate"),
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
            currency=data.get("currency") or None,
            exchange_rate=_given_rate(form),
        )

    def service_delete(self, request, obj):
        services.quote_delete(quote=obj)

    def portal_rotate_service(self, obj):
        return services.quote_portal_link_rotate(quote=obj)

    def send_service(self, obj):
        return sending.quote_send(quote=obj)

    # --- header buttons (templates/admin/billing/quote/change_form.html) --------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:object_id>/convert/", view(self.convert_view), name="billing_quote_convert"),
            path("<int:object_id>/pdf/", view(self.pdf_view), name="billing_quote_pdf"),
            *super().get_urls(),
        ]

    def convert_view(self, request, object_id: int):
        """The Convert button's POST: the quote becomes an invoice (through `quote_convert`),
        whose page opens next; a refusal comes back to the quote as a message."""
        back = HttpResponseRedirect(reverse("admin:billing_quote_change", args=[object_id]))
        if request.method != "POST":
            return back
        if not self.has_change_permission(request):
            raise PermissionDenied
        quote = get_object_or_404(self.get_queryset(request), pk=object_id)
        made: list[Invoice] = []
        if not self.run_service(request, lambda: made.append(services.quote_convert(quote=quote))):
            return back
        self.message_user(
            request,
            f"{quote.quote_number or quote} converted to {made[0].invoice_number}.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[made[0].pk]))

    def pdf_view(self, request, object_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        get_object_or_404(self.get_queryset(request), pk=object_id)
        quote = Quote.objects.select_related("customer").prefetch_related("items").get(pk=object_id)
        response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{quote_pdf_filename(quote)}"'
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        quote = Quote.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        buttons = {}
        if quote is not None:
            buttons["pdf_url"] = reverse("admin:billing_quote_pdf", args=[quote.pk])
            convertible = quote.effective_status() in OPEN_QUOTE_STATUSES
            if convertible and self.has_change_permission(request):
                buttons["convert_url"] = reverse("admin:billing_quote_convert", args=[quote.pk])
        extra_context = {**(extra_context or {}), **buttons}
        return super().change_view(request, object_id, form_url, extra_context)

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


# --- credit notes --------------------------------------------------------------------------


class CreditNoteItemInline(LineItemInline):
    model = CreditNoteItem
    document_field = "credit_note"
    form = CreditNoteItemForm
    fields = [*ITEM_FIELDS, "line_subtotal_shown", "line_tax_shown"]
    readonly_fields = ["line_subtotal_shown", "line_tax_shown"]

    def _locked(self, obj) -> bool:
        return obj is not None  # a credit note is final once issued


class CreditNoteAdminForm(forms.ModelForm):
    settlement = forms.ChoiceField(
        choices=[("", "None needed"), *CreditNoteSettlement.choices],
        required=False,
        help_text="Needed when the credit exceeds what the invoice still owes.",
    )
    date = forms.DateField(required=False, help_text="Default: today.")

    class Meta:
        model = CreditNote
        fields = ["invoice", "date", "reason", "settlement", "account"]


@admin.register(CreditNote)
class CreditNoteAdmin(AuditHistoryMixin, PortalLinkMixin, DocumentTotalsMixin, SendButtonAdmin):
    """Credit notes: created through `credit_note_create` (from the invoice page's Credit
    note button, or here), then final: their page is read-only, with the PDF and the "Send by
    email" button."""

    form = CreditNoteAdminForm
    audit_resource = "credit_note"
    inlines = [CreditNoteItemInline]
    list_display = [
        "credit_note_number",
        "invoice",
        "customer",
        "date",
        "total_shown",
        "settlement",
        "settled_shown",
    ]
    list_filter = ["settlement", "date"]
    search_fields = ["credit_note_number", "invoice__invoice_number", "customer__account"]
    date_hierarchy = "date"
    list_select_related = ["invoice", "customer"]
    autocomplete_fields = ["invoice", "account"]
    readonly_fields = [
        "credit_note_number",
        "customer",
        "currency",
        "subtotal",
        "tax",
        "total",
        "settled_amount",
        "transaction",
        "pdf",
        "created_at",
    ]
    actions = ["download_pdfs"]
    change_form_template = "admin/billing/portal_change_form.html"
    portal_in_toolbar = True

    def portal_rotate_service(self, obj):
        return services.credit_note_portal_link_rotate(credit_note=obj)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["invoice", "date", "reason", "settlement", "account"]
        return [
            "credit_note_number",
            "invoice",
            "customer",
            "date",
            "reason",
            "currency",
            "exchange_rate",
            "subtotal_shown",
            "tax_shown",
            "total_shown",
            "settlement",
            "settled_shown",
            "account",
            "transaction",
            "pdf",
            "created_at",
            "audit_history",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return self.get_fields(request, obj)

    def get_changeform_initial_data(self, request):
        return {"invoice": request.GET.get("invoice")}

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Settled", ordering="settled_amount")
    def settled_shown(self, obj: CreditNote):
        return money_cell(obj.settled_amount, obj.currency) if obj.settled_amount else ""

    def has_send_permission(self, request, obj) -> bool:
        # Final, so never "changed": whoever may issue credit notes may send them.
        return self.has_add_permission(request)

    def send_service(self, obj):
        return sending.credit_note_send(credit_note=obj)

    @admin.display(description="PDF")
    def pdf(self, obj: CreditNote):
        url = reverse("admin:billing_creditnote_pdf", args=[obj.pk])
        return format_html('<a class="ll-link" href="{}">{}</a>', url, document_pdf_filename(obj))

    def service_create(self, request, form, formsets):
        data = form.cleaned_data
        items_formset = _formset_of(formsets, CreditNoteItem)
        return services.credit_note_create(
            invoice=data["invoice"],
            items=_formset_items(items_formset) if items_formset is not None else [],
            reason=data["reason"],
            date=data.get("date"),
            settlement=data.get("settlement") or None,
            account=data.get("account"),
        )

    def get_urls(self):
        pdf = path(
            "<int:object_id>/pdf/",
            self.admin_site.admin_view(self.pdf_view),
            name="billing_creditnote_pdf",
        )
        return [pdf, *super().get_urls()]

    def pdf_view(self, request, object_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        get_object_or_404(self.get_queryset(request), pk=object_id)
        note = selectors.credit_note_for_document(credit_note_id=object_id)
        response = HttpResponse(credit_note_pdf(note), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{document_pdf_filename(note)}"'
        return response

    @admin.action(description="Download PDF (a zip for several credit notes)")
    def download_pdfs(self, request, queryset: QuerySet[CreditNote]):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for pk in queryset.values_list("pk", flat=True):
                note = selectors.credit_note_for_document(credit_note_id=pk)
                archive.writestr(document_pdf_filename(note), credit_note_pdf(note))
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="credit-notes.zip"'
        return response


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


# --- recurring invoices ----------------------------------------------------------------------

RECURRING_FORM_FIELDS = [
    "customer",
    "frequency",
    "interval",
    "start_date",
    "end_date",
    "due_days",
    "auto_send",
    "currency",
    "discount",
    "notes",
]
ISSUED_SHOWN = 50


class RecurringInvoiceItemInline(LineItemInline):
    model = RecurringInvoiceItem
    document_field = "recurring_invoice"
    form = RecurringInvoiceItemForm


class RecurringInvoiceAdminForm(forms.ModelForm):
    class Meta:
        model = RecurringInvoice
        fields = RECURRING_FORM_FIELDS

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", recurring.END_BEFORE_START)
        return data


@admin.register(RecurringInvoice)
class RecurringInvoiceAdmin(DocumentTotalsMixin, ServiceAdmin):
    """Schedules: edited through billing.recurring; the change page shows the next invoice
    (as the generator would issue it) and the invoices issued so far."""

    form = RecurringInvoiceAdminForm
    inlines = [RecurringInvoiceItemInline]
    list_display = [
        "__str__",
        "customer",
        "frequency",
        "interval",
        "next_date",
        "status",
        "total_shown",
        "invoices_count",
        "auto_send",
    ]
    list_filter = ["status", "frequency", "auto_send"]
    search_fields = ["customer__account", "customer__email", "notes"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    readonly_fields = [
        "status",
        "next_date",
        "invoices_count",
        "last_invoice",
        "subtotal_shown",
        "tax_shown",
        "total_shown",
        "next_invoice",
        "issued_invoices",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "customer",
                    ("frequency", "interval"),
                    ("start_date", "end_date"),
                    ("due_days", "auto_send"),
                    "currency",
                ]
            },
        ),
        (
            "Each invoice (computed by the server from items)",
            {"fields": ["discount", ("subtotal_shown", "tax_shown", "total_shown"), "notes"]},
        ),
        (
            "Progress (moved by the generator)",
            {"fields": [("status", "next_date"), ("invoices_count", "last_invoice")]},
        ),
        ("Next invoice", {"fields": ["next_invoice"]}),
        ("Invoices issued", {"fields": ["issued_invoices", ("created_at", "updated_at")]}),
    ]
    actions = ["pause", "resume"]
    list_per_page = 50

    @property
    def media(self):
        return super().media + DOCUMENT_MEDIA

    @admin.display(description="Each invoice", ordering="total")
    def total_shown(self, obj: RecurringInvoice):
        return money_cell(obj.total, obj.currency)

    @admin.display(description="Preview")
    def next_invoice(self, obj: RecurringInvoice):
        if obj is None or obj.pk is None:
            return "Shown once the schedule is saved."
        try:
            invoice = recurring.recurring_invoice_preview(recurring_invoice=obj)
        except DomainError as exc:
            return error_text(exc)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    line.description,
                    line.qty,
                    format_money(line.amount, invoice.currency),
                    format_money(line.line_total, invoice.currency),
                )
                for line in invoice.preview_items
            ),
        )
        return format_html(
            "<p>Dated {} (due {}) for {}: subtotal {}, discount {}, tax {}, "
            "<strong>total {}</strong>.</p>"
            '<table class="ll-preview"><tr><th>Item</th><th>Qty</th><th>Price</th>'
            "<th>Line total</th></tr>{}</table>",
            invoice.date.isoformat(),
            invoice.due_date.isoformat(),
            obj.customer,
            format_money(invoice.subtotal, invoice.currency),
            format_money(invoice.discount, invoice.currency),
            format_money(invoice.tax, invoice.currency),
            format_money(invoice.total, invoice.currency),
            rows,
        )

    @admin.display(description="Issued so far")
    def issued_invoices(self, obj: RecurringInvoice):
        if obj is None or obj.pk is None:
            return "None yet."
        invoices = list(obj.invoices.order_by("-date", "-id")[:ISSUED_SHOWN])
        if not invoices:
            return "None yet."
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:billing_invoice_change", args=[invoice.pk]),
                    invoice.invoice_number,
                    invoice.date.isoformat(),
                    invoice.status,
                    format_money(invoice.total, invoice.currency),
                )
                for invoice in invoices
            ),
        )
        more = obj.invoices_count - len(invoices)
        return format_html(
            '<table class="ll-issued"><tr><th>Invoice</th><th>Date</th><th>Status</th>'
            "<th>Total</th></tr>{}</table>{}",
            rows,
            f"… and {more} earlier." if more > 0 else "",
        )

    def get_changeform_initial_data(self, request):
        return {"start_date": timezone.localdate(), **super().get_changeform_initial_data(request)}

    def service_create(self, request, form, formsets):
        data = form.cleaned_data
        items_formset = _formset_of(formsets, RecurringInvoiceItem)
        return recurring.recurring_invoice_create(
            customer=data["customer"],
            items=_formset_items(items_formset) if items_formset is not None else [],
            frequency=data["frequency"],
            start_date=data["start_date"],
            interval=data["interval"],
            end_date=data.get("end_date"),
            due_days=data["due_days"],
            auto_send=data["auto_send"],
            discount=data["discount"],
            notes=data["notes"],
            currency=data.get("currency") or None,
        )

    def service_update(self, request, obj, form, formsets):
        data = changed_fields(form)
        items_formset = _formset_of(formsets, RecurringInvoiceItem)
        items = None
        if items_formset is not None and items_formset.has_changed():
            items = _formset_items(items_formset)
        return recurring.recurring_invoice_update(
            recurring_invoice=obj,
            customer=data.get("customer"),
            items=items,
            frequency=data.get("frequency"),
            interval=data.get("interval"),
            start_date=data.get("start_date"),
            end_date=data["end_date"] if "end_date" in data else recurring.UNSET,
            due_days=data.get("due_days"),
            auto_send=data.get("auto_send"),
            discount=data.get("discount"),
            notes=data.get("notes"),
            currency=data.get("currency") or None,
        )

    def service_delete(self, request, obj):
        recurring.recurring_invoice_delete(recurring_invoice=obj)

    def _each(self, request, queryset, service, verb: str) -> None:
        done = 0
        for schedule in queryset.order_by("id"):
            done += self.run_service(
                request,
                lambda schedule=schedule: service(recurring_invoice=schedule),
                refusal_prefix=f"{schedule}: ",
            )
        if done:
            self.message_user(request, f"{done} schedule(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Pause")
    def pause(self, request, queryset: QuerySet[RecurringInvoice]):
        self._each(request, queryset, recurring.recurring_invoice_pause, "paused")

    @admin.action(description="Resume")
    def resume(self, request, queryset: QuerySet[RecurringInvoice]):
        self._each(request, queryset, recurring.recurring_invoice_resume, "resumed")
