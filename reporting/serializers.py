from rest_framework import serializers

from billing.serializers import NumberField
from core.fields import BusinessDateField, BusinessYearField, MoneyField
from core.serializers import Serializer
from reporting.selectors import Period

MONTH_RANGE = "Month must be a whole number between 1 and 12."


class PeriodQuerySerializer(Serializer):
    """`?year=&month=`: a year, a month of a year, or neither (everything)."""

    year = BusinessYearField(required=False)
    month = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=12,
        error_messages={
            "invalid": MONTH_RANGE,
            "min_value": MONTH_RANGE,
            "max_value": MONTH_RANGE,
        },
    )

    def validate(self, attrs):
        if "month" in attrs and "year" not in attrs:
            raise serializers.ValidationError({"month": "Give a year with the month."})
        return attrs

    @property
    def period(self) -> Period:
        return Period(year=self.validated_data.get("year"), month=self.validated_data.get("month"))


class FinancialReportSerializer(Serializer):
    # The base currency every figure is in (contract section 13).
    currency = serializers.CharField()
    income = MoneyField()
    expenses = MoneyField()
    profit = MoneyField()
    outstanding_invoices = MoneyField()


class CategoryLineSerializer(Serializer):
    category_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    total = MoneyField()
    count = serializers.IntegerField()


class CategoryReportSerializer(Serializer):
    year = serializers.IntegerField(allow_null=True)
    month = serializers.IntegerField(allow_null=True)
    income = CategoryLineSerializer(many=True)
    expenses = CategoryLineSerializer(many=True)
    income_total = MoneyField()
    expenses_total = MoneyField()


class AgingBucketsSerializer(Serializer):
    current = MoneyField()
    days_1_30 = MoneyField()
    days_31_60 = MoneyField()
    days_61_90 = MoneyField()
    days_90_plus = MoneyField()
    total = MoneyField()


class AgingCustomerSerializer(AgingBucketsSerializer):
    customer_id = serializers.IntegerField()
    account = serializers.CharField()


class AgingReportSerializer(Serializer):
    as_of = serializers.DateField()
    totals = AgingBucketsSerializer()
    customers = AgingCustomerSerializer(many=True)


class TaxQuerySerializer(Serializer):
    """`?date_from=&date_to=`: invoice and credit note dates, inclusive; either may be left out."""

    date_from = BusinessDateField(required=False)
    date_to = BusinessDateField(required=False)

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and end < start:
            raise serializers.ValidationError({"date_to": "date_to cannot be before date_from."})
        return attrs


class TaxRateSerializer(Serializer):
    rate = NumberField(max_digits=5, decimal_places=2)
    taxable = MoneyField()
    tax = MoneyField()


class TaxReportSerializer(Serializer):
    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)
    rates = TaxRateSerializer(many=True)
    total_taxable = MoneyField()
    total_tax = MoneyField()
