from django.urls import re_path

from reporting.views import (
    AgingReportView,
    CategoryReportView,
    FinancialReportView,
    TaxReportView,
)


def api_routes(router):
    return [
        re_path(r"^reports/financial/?$", FinancialReportView.as_view(), name="report-financial"),
        re_path(r"^reports/categories/?$", CategoryReportView.as_view(), name="report-categories"),
        re_path(r"^reports/aging/?$", AgingReportView.as_view(), name="report-aging"),
        re_path(r"^reports/tax/?$", TaxReportView.as_view(), name="report-tax"),
    ]
