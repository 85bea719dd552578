from django.urls import path, re_path

from portal import views

# A token is one path segment; anything else under /portal/ is the same 404 page.
SEGMENT = r"(?P<token>[^/]+)"

urlpatterns = [
    path("portal/stripe/webhook", views.stripe_webhook, name="portal-stripe-webhook"),
    re_path(rf"^portal/{SEGMENT}$", views.document_page, name="portal-document"),
    re_path(rf"^portal/{SEGMENT}/pdf$", views.document_pdf, name="portal-pdf"),
    re_path(rf"^portal/{SEGMENT}/accept$", views.quote_accept_view, name="portal-accept"),
    re_path(rf"^portal/{SEGMENT}/decline$", views.quote_decline_view, name="portal-decline"),
    re_path(rf"^portal/{SEGMENT}/pay$", views.invoice_pay, name="portal-pay"),
    re_path(r"^portal(?:/.*)?$", views.rate_limited(views.not_found)),
]
