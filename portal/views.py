"""The client portal's pages (contract section 12, docs/portal.md): no login, one document
per token, plain Django templates.

Every view but the Stripe webhook is rate limited per client address (`PORTAL_RATE_LIMIT`,
counted before the token is looked up, so guessing costs requests); the headers every portal
answer carries are set by portal.middleware. Writes go through billing's services, acting as
the system ("portal"), never as whoever may be logged in to the admin in the same browser.
"""

import functools

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from api.ratelimit import address_limit_consume, client_ip
from billing.models import InvoiceStatus, QuoteStatus
from billing.pdf import billing_details, credit_note_pdf, document_pdf_filename, invoice_pdf
from billing.portal_links import PORTAL_PATH, portal_url
from billing.quote_pdf import quote_pdf, quote_pdf_filename
from billing.services import quote_accept, quote_decline
from core.actor import Actor, acting_as
from core.errors import ConflictError, DomainValidationError
from portal import stripe_checkout
from portal.selectors import INVOICE, QUOTE, PortalDocument, document_by_token

PDF = "application/pdf"


def not_found(request, *args, **kwargs) -> HttpResponse:
    """The one 404 page of the portal: unknown, revoked, tampered and draft alike."""
    return render(request, "portal/not_found.html", status=404)


def rate_limited(view):
    """Counts the request against its address's `PORTAL_RATE_LIMIT` window; past it, 429 with
    `Retry-After`. Fails open while the cache is unreachable (core.cache degraded mode)."""

    @functools.wraps(view)
    def limited(request, *args, **kwargs):
        refusal = address_limit_consume(request, group="portal", rate=settings.PORTAL_RATE_LIMIT)
        if refusal is not None:
            wait = refusal.wait
            response = render(request, "portal/rate_limited.html", {"wait": wait}, status=429)
            response["Retry-After"] = str(wait)
            return response
        return view(request, *args, **kwargs)

    return limited


def _context(request, found: PortalDocument, **extra) -> dict:
    document = found.document
    context = {
        "kind": found.kind,
        "doc": document,
        # The snapshot taken at issue (a quote keeps none: the customer as they are).
        "details": billing_details(document),
        "items": list(document.items.all()),
        "currency": document.currency,
        "company": {
            "name": settings.COMPANY_NAME,
            "address_lines": [line for line in settings.COMPANY_ADDRESS.split("\n") if line],
            "email": settings.COMPANY_EMAIL,
            "phone": settings.COMPANY_PHONE,
            "website": settings.COMPANY_WEBSITE,
        },
        # Relative, from the token: the same on the page and on a form's answer.
        "page_url": f"{PORTAL_PATH}{document.portal_token}",
        **extra,
    }
    if found.kind == INVOICE:
        context["payments"] = list(document.payments.all())  # active ones, prefetched
        context["can_pay"] = stripe_checkout.invoice_payable(document)
        context["payment_returned"] = request.GET.get("payment") == "done"
        context["status"] = _invoice_status(document)
    elif found.kind == QUOTE:
        status = document.effective_status()
        context["status"] = status
        context["can_answer"] = status == QuoteStatus.SENT
    else:
        context["status"] = "Issued"
    return context


def _invoice_status(invoice) -> str:
    if invoice.status in (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID) and (
        invoice.is_overdue
    ):
        return "Overdue"
    return invoice.status


def _page(request, found: PortalDocument, status: int = 200, **extra) -> HttpResponse:
    return render(request, "portal/document.html", _context(request, found, **extra), status=status)


@require_safe
@rate_limited
def document_page(request, token: str):
    found = document_by_token(token)
    if found is None:
        return not_found(request)
    return _page(request, found)


@require_safe
@rate_limited
def document_pdf(request, token: str):
    """The document's PDF (the invoice's from billing's PDF cache), without its notes."""
    found = document_by_token(token)
    if found is None:
        return not_found(request)
    document = found.document
    if found.kind == INVOICE:
        content, filename = invoice_pdf(document, with_notes=False), document_pdf_filename(document)
    elif found.kind == QUOTE:
        content, filename = quote_pdf(document, with_notes=False), quote_pdf_filename(document)
    else:
        content, filename = credit_note_pdf(document), document_pdf_filename(document)
    response = HttpResponse(content, content_type=PDF)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _answer(request, token: str, *, accept: bool):
    found = document_by_token(token)
    if found is None or found.kind != QUOTE:
        return not_found(request)
    ip = client_ip(request)
    try:
        with acting_as(Actor.system("portal")):
            if accept:
                quote_accept(quote=found.document, name=request.POST.get("name", ""), ip=ip)
            else:
                quote_decline(quote=found.document, ip=ip)
    except DomainValidationError as exc:
        return _page(request, found, status=400, form_errors=exc.errors)
    except ConflictError as exc:
        # The quote as it is now (answered meanwhile, say), with the reason.
        return _page(request, document_by_token(token) or found, status=409, notice=str(exc))
    # Post/redirect/get: a reload shows the answer instead of posting it again.
    return HttpResponseRedirect(request.path.rsplit("/", 1)[0], status=303)


@require_POST
@rate_limited
def quote_accept_view(request, token: str):
    return _answer(request, token, accept=True)


@require_POST
@rate_limited
def quote_decline_view(request, token: str):
    return _answer(request, token, accept=False)


@require_POST
@rate_limited
def invoice_pay(request, token: str):
    """Creates the Stripe Checkout Session for the balance due and sends the customer there
    (303). Only here, on the customer's POST: a page view creates nothing."""
    found = document_by_token(token)
    if found is None or found.kind != INVOICE:
        return not_found(request)
    invoice = found.document
    if not stripe_checkout.invoice_payable(invoice):
        return _page(request, found, status=409, notice="There is nothing to pay online.")
    try:
        url = stripe_checkout.checkout_session_create(
            invoice=invoice, return_url=portal_url(invoice)
        )
    except stripe_checkout.PaymentUnavailable:
        return _page(
            request,
            found,
            status=502,
            notice="Online payment is not available right now. Please try again later.",
        )
    return HttpResponseRedirect(url, status=303)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events (signed, so no CSRF token and no rate limit): 200 when handled or
    ignored, 400 when the signature does not verify (nothing recorded)."""
    try:
        result = stripe_checkout.webhook_handle(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except stripe_checkout.WebhookRefused as refused:
        return HttpResponse(refused.message, status=refused.status, content_type="text/plain")
    return HttpResponse(result.message, content_type="text/plain")
