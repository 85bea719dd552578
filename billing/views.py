"""Thin viewsets: validate with a serializer, call a service or selector, render."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.csv_import import CsvImportView
from api.viewsets import ServiceViewSet
from billing import recurring, selectors, sending, services
from billing.filters import (
    CreditNoteFilter,
    InvoiceFilter,
    ProductFilter,
    QuoteFilter,
    RecurringInvoiceFilter,
)
from billing.models import PaymentSource, Product, ProductType
from billing.pdf import credit_note_pdf, document_pdf_filename, invoice_pdf
from billing.resources import ProductResource
from billing.serializers import (
    CreditNoteInputSerializer,
    CreditNoteSerializer,
    DocumentSendSerializer,
    InvoiceCancelSerializer,
    InvoiceInputSerializer,
    InvoicePreviewSerializer,
    InvoiceSerializer,
    PaymentInputSerializer,
    PaymentSerializer,
    ProductSerializer,
    QuoteConvertSerializer,
    QuoteInputSerializer,
    QuoteSerializer,
    RecurringInvoiceInputSerializer,
    RecurringInvoiceSerializer,
)
from core.money import ZERO
from mail.models import EmailMessage
from mail.serializers import EmailMessageDetailSerializer


def _send_arguments(request) -> dict:
    serializer = DocumentSendSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    return {
        "to": data.get("to") or None,
        "cc": data.get("cc") or [],
        "subject": data.get("subject") or None,
        "message": data.get("message", ""),
    }


def _queued_response(message: EmailMessage) -> Response:
    fresh = EmailMessage.objects.prefetch_related("attachments").get(pk=message.pk)
    return Response(EmailMessageDetailSerializer(fresh).data, status=status.HTTP_202_ACCEPTED)


def _send_schema(document: str, extra: str = ""):
    noun = document.split(" ", 1)[-1]  # "a credit note" → "credit note"
    return extend_schema(
        summary=f"Email {document} to the customer",
        description=(
            f"Queues an email with the {noun}'s PDF attached (202, the message, "
            "as `/emails/{id}` shows it; sent after the commit, retried on failure). Optional "
            "body: `to` (default: the customer's email; none at all is a 400 on `to`), `cc`, "
            "`subject`, `message` (a paragraph above the standard text). "
            f"409 when sending is not configured (`EMAIL_URL`).{extra}"
        ),
        request=DocumentSendSerializer,
        responses={202: EmailMessageDetailSerializer},
        filters=False,
    )


class ProductViewSet(ServiceViewSet):
    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    search_fields = ["name", "description"]
    ordering_fields = ["id", "name", "price", "created_at", "updated_at"]

    def create_object(self, data):
        return services.product_create(
            name=data["name"],
            price=data["price"],
            description=data.get("description", ""),
            type=data.get("type", ProductType.SERVICE),
            tax_rate=data.get("tax_rate", ZERO),
        )

    def update_object(self, instance, data):
        return services.product_update(
            product=instance,
            name=data.get("name"),
            price=data.get("price"),
            description=data.get("description"),
            type=data.get("type"),
            tax_rate=data.get("tax_rate"),
        )

    def destroy_object(self, instance):
        services.product_delete(product=instance)


class ProductImportView(CsvImportView):
    """Products from a CSV file (multipart `file`), all or none; `dry_run=true` only checks."""

    resource_class = ProductResource


class InvoiceViewSet(ServiceViewSet):
    serializer_class = InvoiceSerializer
    input_serializer_class = InvoiceInputSerializer
    filterset_class = InvoiceFilter
    search_fields = ["invoice_number", "customer__account"]
    ordering_fields = ["id", "date", "due_date", "total", "balance_due", "created_at", "updated_at"]

    def get_queryset(self):
        return selectors.invoice_list()

    def create_object(self, data):
        return services.invoice_create(
            customer=data["customer"],
            items=data["items"],
            date=data.get("date"),
            due_date=data.get("due_date"),
            discount=data.get("discount", ZERO),
            notes=data.get("notes", ""),
            status=data.get("status"),
            currency=data.get("currency"),
            exchange_rate=data.get("exchange_rate"),
        )

    def update_object(self, instance, data):
        return services.invoice_update(
            invoice=instance,
            customer=data.get("customer"),
            date=data.get("date"),
            due_date=data.get("due_date"),
            discount=data.get("discount"),
            notes=data.get("notes"),
            status=data.get("status"),
            items=data.get("items"),
            currency=data.get("currency"),
            exchange_rate=data.get("exchange_rate"),
        )

    def destroy_object(self, instance):
        services.invoice_delete(invoice=instance)

    @extend_schema(request=None, responses=InvoiceSerializer, filters=False)
    @action(detail=True, methods=["post"], url_path="issue", filter_backends=[])
    def issue(self, request, pk=None):
        """Issues a draft: it takes the next INV-YYYY-NNN number and becomes Unpaid (409 if
        it is not a draft)."""
        return self.output(services.invoice_issue(invoice=self.get_object()))

    @extend_schema(request=InvoiceCancelSerializer, responses=InvoiceSerializer, filters=False)
    @action(detail=True, methods=["post"], url_path="cancel", filter_backends=[])
    def cancel(self, request, pk=None):
        """Cancels an issued invoice with no payment and no credit note; `reason` required."""
        invoice = self.get_object()
        serializer = InvoiceCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        return self.output(services.invoice_cancel(invoice=invoice, reason=reason))

    @extend_schema(
        methods=["GET"], responses=PaymentSerializer(many=True), filters=False, request=None
    )
    @extend_schema(
        methods=["POST"],
        request=PaymentInputSerializer,
        responses={201: PaymentSerializer},
        filters=False,
    )
    @action(detail=True, methods=["get", "post"], url_path="payments", filter_backends=[])
    def payments(self, request, pk=None):
        """GET: the invoice's payments (voided ones included, with `voided_at`). POST: record
        a payment."""
        invoice = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.invoice_payments(invoice=invoice))
            return self.get_paginated_response(PaymentSerializer(page, many=True).data)
        serializer = PaymentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = services.payment_record(
            invoice=invoice,
            amount=data["amount"],
            account=data["account"],
            date=data["date"],
            method=data["method"],
            note=data["note"],
            source=data.get("source", PaymentSource.ACCOUNT),
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PaymentSerializer, filters=False)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"payments/(?P<payment_id>[0-9]+)/void",
        filter_backends=[],
    )
    def void_payment(self, request, pk=None, payment_id=None):
        """Voids a payment: the invoice goes back to Unpaid or Partially Paid."""
        invoice = self.get_object()
        payment = get_object_or_404(invoice.payments.all(), pk=payment_id)
        payment = services.payment_void(payment=payment)
        return Response(PaymentSerializer(payment).data)

    @extend_schema(
        request=None,
        filters=False,
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    @action(detail=True, methods=["get"], url_path="pdf", filter_backends=[])
    def pdf(self, request, pk=None):
        """The invoice as a printable PDF (not JSON: returned as a plain HttpResponse, so the
        envelope renderer never sees it)."""
        self.get_object()  # 404 and permission checks, in the API's JSON
        invoice = selectors.invoice_for_document(invoice_id=pk)
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{document_pdf_filename(invoice)}"'
        return response

    @_send_schema("an invoice", " Sets `sent_at`; a draft is issued first (it takes its number).")
    @action(detail=True, methods=["post"], url_path="send", filter_backends=[])
    def send(self, request, pk=None):
        """Emails the invoice with its PDF (202, the queued message; docs/email.md). Optional
        body: `to` (default: the customer's email), `cc`, `subject`, `message`."""
        invoice = self.get_object()
        message = sending.invoice_send(invoice=invoice, **_send_arguments(request))
        return _queued_response(message)

    @extend_schema(request=None, responses=InvoiceSerializer, filters=False)
    @action(detail=True, methods=["post"], url_path="portal-link", filter_backends=[])
    def portal_link(self, request, pk=None):
        """A new portal link: the invoice gets a new token and the old link 404s (409 on a
        draft, which has none)."""
        invoice = services.invoice_portal_link_rotate(invoice=self.get_object())
        return self.output(invoice)


class CreditNoteViewSet(ServiceViewSet):
    """Credit notes are final: list, create, retrieve and PDF; no update or delete (405)."""

    serializer_class = CreditNoteSerializer
    input_serializer_class = CreditNoteInputSerializer
    filterset_class = CreditNoteFilter
    search_fields = ["credit_note_number", "invoice__invoice_number", "customer__account"]
    ordering_fields = ["id", "date", "total", "created_at"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.credit_note_list()

    def create_object(self, data):
        return services.credit_note_create(
            invoice=data["invoice"],
            items=data["items"],
            reason=data["reason"],
            date=data.get("date"),
            settlement=data.get("settlement"),
            account=data.get("account"),
        )

    @extend_schema(
        request=None,
        filters=False,
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    @action(detail=True, methods=["get"], url_path="pdf", filter_backends=[])
    def pdf(self, request, pk=None):
        """The credit note as a printable PDF."""
        self.get_object()
        note = selectors.credit_note_for_document(credit_note_id=pk)
        response = HttpResponse(credit_note_pdf(note), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{document_pdf_filename(note)}"'
        return response

    @_send_schema("a credit note", " Nothing on the credit note changes (it is final).")
    @action(detail=True, methods=["post"], url_path="send", filter_backends=[])
    def send(self, request, pk=None):
        """Emails the credit note with its PDF (202, the queued message). Optional body as for
        invoices."""
        note = self.get_object()
        message = sending.credit_note_send(credit_note=note, **_send_arguments(request))
        return _queued_response(message)

    @extend_schema(request=None, responses=CreditNoteSerializer, filters=False)
    @action(detail=True, methods=["post"], url_path="portal-link", filter_backends=[])
    def portal_link(self, request, pk=None):
        """A new portal link for the credit note; the old link 404s."""
        note = services.credit_note_portal_link_rotate(credit_note=self.get_object())
        return self.output(note)


class QuoteViewSet(ServiceViewSet):
    serializer_class = QuoteSerializer
    input_serializer_class = QuoteInputSerializer
    filterset_class = QuoteFilter
    search_fields = ["quote_number", "customer__account"]
    ordering_fields = ["id", "date", "valid_until", "total", "created_at", "updated_at"]

    def get_queryset(self):
        return selectors.quote_list()

    def create_object(self, data):
        return services.quote_create(
            customer=data["customer"],
            items=data["items"],
            date=data.get("date"),
            valid_until=data.get("valid_until"),
            discount=data.get("discount", ZERO),
            notes=data.get("notes", ""),
            status=data.get("status"),
            currency=data.get("currency"),
            exchange_rate=data.get("exchange_rate"),
        )

    def update_object(self, instance, data):
        return services.quote_update(
            quote=instance,
            customer=data.get("customer"),
            date=data.get("date"),
            valid_until=data.get("valid_until"),
            discount=data.get("discount"),
            notes=data.get("notes"),
            status=data.get("status"),
            items=data.get("items"),
            currency=data.get("currency"),
            exchange_rate=data.get("exchange_rate"),
        )

    def destroy_object(self, instance):
        services.quote_delete(quote=instance)

    @extend_schema(
        request=QuoteConvertSerializer, responses={201: InvoiceSerializer}, filters=False
    )
    @action(detail=True, methods=["post"], url_path="convert", filter_backends=[])
    def convert(self, request, pk=None):
        """Turns the quote into an invoice (201, the invoice), once. Optional body:
        `date` (default today) and `due_date` (default 30 days later)."""
        quote = self.get_object()
        serializer = QuoteConvertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        invoice = services.quote_convert(
            quote=quote, date=data.get("date"), due_date=data.get("due_date")
        )
        fresh = selectors.invoice_list().get(pk=invoice.pk)
        return Response(InvoiceSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @_send_schema("a quote", " Sets `sent_at`; a Draft quote becomes Sent.")
    @action(detail=True, methods=["post"], url_path="send", filter_backends=[])
    def send(self, request, pk=None):
        """Emails the quote with its PDF (202, the queued message); a Draft quote becomes
        Sent. Optional body as for invoices."""
        quote = self.get_object()
        message = sending.quote_send(quote=quote, **_send_arguments(request))
        return _queued_response(message)

    @extend_schema(request=None, responses=QuoteSerializer, filters=False)
    @action(detail=True, methods=["post"], url_path="portal-link", filter_backends=[])
    def portal_link(self, request, pk=None):
        """A new portal link for the quote; the old link 404s (409 on a draft)."""
        quote = services.quote_portal_link_rotate(quote=self.get_object())
        return self.output(quote)


class RecurringInvoiceViewSet(ServiceViewSet):
    """Recurring invoice schedules (contract section 11; docs/billing.md)."""

    serializer_class = RecurringInvoiceSerializer
    input_serializer_class = RecurringInvoiceInputSerializer
    filterset_class = RecurringInvoiceFilter
    search_fields = ["customer__account", "notes"]
    ordering_fields = ["id", "start_date", "next_date", "total", "created_at", "updated_at"]

    def get_queryset(self):
        return selectors.recurring_invoice_list()

    def create_object(self, data):
        return recurring.recurring_invoice_create(
            customer=data["customer"],
            items=data["items"],
            frequency=data["frequency"],
            start_date=data["start_date"],
            interval=data.get("interval", 1),
            end_date=data.get("end_date"),
            due_days=data.get("due_days", 30),
            auto_send=data.get("auto_send", False),
            discount=data.get("discount", ZERO),
            notes=data.get("notes", ""),
            currency=data.get("currency"),
            exchange_rate=data.get("exchange_rate"),
        )

    def update_object(self, instance, data):
        return recurring.recurring_invoice_update(
            recurring_invoice=instance,
            customer=data.get("customer"),
            items=data.get("items"),
            frequency=data.get("frequency"),
            interval=data.get("interval"),
            start_date=data.get("start_date"),
            end_date=data["end_date"] if "end_date" in data else recurring.UNSET,
            due_days=data.get("due_days"),
            auto_send=data.get("auto_send"),
            discount=data.get("discount"),
            notes=data.get("notes"),
            currency=data.get("currency"),
            exchange_rate=data.get("exchange_rate"),
        )

    def destroy_object(self, instance):
        recurring.recurring_invoice_delete(recurring_invoice=instance)

    @extend_schema(request=None, responses=RecurringInvoiceSerializer, filters=False)
    @action(detail=True, methods=["post"], url_path="pause", filter_backends=[])
    def pause(self, request, pk=None):
        """Pauses an active schedule (409 otherwise)."""
        schedule = recurring.recurring_invoice_pause(recurring_invoice=self.get_object())
        return self.output(schedule)

    @extend_schema(request=None, responses=RecurringInvoiceSerializer, filters=False)
    @action(detail=True, methods=["post"], url_path="resume", filter_backends=[])
    def resume(self, request, pk=None):
        """Resumes a paused schedule (409 otherwise); periods missed while paused are skipped."""
        schedule = recurring.recurring_invoice_resume(recurring_invoice=self.get_object())
        return self.output(schedule)

    @extend_schema(request=None, responses=InvoicePreviewSerializer, filters=False)
    @action(detail=True, methods=["get"], url_path="preview", filter_backends=[])
    def preview(self, request, pk=None):
        """The next invoice the schedule will issue, unsaved (no id, no number yet)."""
        invoice = recurring.recurring_invoice_preview(recurring_invoice=self.get_object())
        return Response(InvoicePreviewSerializer(invoice).data)
