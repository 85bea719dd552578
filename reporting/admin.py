from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path

from core.admin import ServiceAdmin
from reporting.dashboard import dashboard_context
from reporting.models import RollupMonth


@admin.register(RollupMonth)
class RollupMonthAdmin(ServiceAdmin):
    """The roll-ups, read-only (they are recomputed from source, never edited), and the staff
    dashboard at /admin/reporting/rollupmonth/dashboard/ (linked from the admin index)."""

    list_display = [
        "__str__",
        "income",
        "expenses",
        "outstanding",
        "transaction_count",
        "invoice_count",
        "refreshed_at",
    ]
    date_hierarchy = "month"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        dashboard = path(
            "dashboard/",
            self.admin_site.admin_view(self.dashboard_view),
            name="reporting_dashboard",
        )
        return [dashboard, *super().get_urls()]

    def dashboard_view(self, request):
        year = request.GET.get("year", "")
        low, high = settings.BUSINESS_DATE_MIN.year, settings.BUSINESS_DATE_MAX.year
        chosen = int(year) if year.isdigit() and low <= int(year) <= high else None
        context = {
            **self.admin_site.each_context(request),
            **dashboard_context(year=chosen),
            "title": "Dashboard",
        }
        return TemplateResponse(request, "admin/reporting/dashboard.html", context)
