from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path

from core.admin import ServiceAdmin
from core.money_format import format_money
from reporting.dashboard import chart_context, dashboard_context, dashboard_widgets
from reporting.models import RollupMonth


def index_dashboard(request, context: dict) -> dict:
    """django-unfold's DASHBOARD_CALLBACK: the admin index shows today's figures to whoever
    may read the reports (every role: viewers too)."""
    if request.user.has_perm("reporting.view_rollupmonth"):
        context.update(dashboard=True, **dashboard_widgets(), **chart_context())
    return context


@admin.register(RollupMonth)
class RollupMonthAdmin(ServiceAdmin):
    """The roll-ups, read-only (they are recomputed from source, never edited), and the staff
    dashboard at /admin/reporting/rollupmonth/dashboard/ (linked from the admin index)."""

    list_display = [
        "__str__",
        "income_shown",
        "expenses_shown",
        "outstanding_shown",
        "transaction_count",
        "invoice_count",
        "refreshed_at",
    ]
    date_hierarchy = "month"

    @admin.display(description="Income", ordering="income")
    def income_shown(self, obj):
        return format_money(obj.income)

    @admin.display(description="Expenses", ordering="expenses")
    def expenses_shown(self, obj):
        return format_money(obj.expenses)

    @admin.display(description="Outstanding", ordering="outstanding")
    def outstanding_shown(self, obj):
        return format_money(obj.outstanding)

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
            **dashboard_widgets(),
            "title": "Dashboard",
        }
        return TemplateResponse(request, "admin/reporting/dashboard.html", context)
