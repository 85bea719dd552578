from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from api.viewsets import ApiView
from reporting import selectors
from reporting.serializers import (
    AgingReportSerializer,
    CategoryReportSerializer,
    FinancialReportSerializer,
    PeriodQuerySerializer,
    TaxQuerySerializer,
    TaxReportSerializer,
)


def _period(request) -> selectors.Period:
    query = PeriodQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.period


class FinancialReportView(ApiView):
    """GET /reports/financial?year=&month=: income, expenses, profit, outstanding invoices."""

    @extend_schema(parameters=[PeriodQuerySerializer], responses=FinancialReportSerializer)
    def get(self, request):
        report = selectors.financial_report(period=_period(request))
        return Response(FinancialReportSerializer(report).data)


class CategoryReportView(ApiView):
    """GET /reports/categories?year=&month=: income and expenses per category."""

    @extend_schema(parameters=[PeriodQuerySerializer], responses=CategoryReportSerializer)
    def get(self, request):
        period = _period(request)
        report = {**period.as_dict(), **selectors.category_report(period=period)}
        return Response(CategoryReportSerializer(report).data)


class AgingReportView(ApiView):
    """GET /reports/aging: receivables by days overdue, totals and per customer."""

    @extend_schema(responses=AgingReportSerializer)
    def get(self, request):
        return Response(AgingReportSerializer(selectors.aging_report()).data)


class TaxReportView(ApiView):
    """GET /reports/tax?date_from=&date_to=: tax charged per rate, net of credit notes."""

    @extend_schema(parameters=[TaxQuerySerializer], responses=TaxReportSerializer)
    def get(self, request):
        query = TaxQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = selectors.tax_report(
            date_from=query.validated_data.get("date_from"),
            date_to=query.validated_data.get("date_to"),
        )
        return Response(TaxReportSerializer(report).data)
