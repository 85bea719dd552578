"""Transactions in and out of spreadsheets (the admin's import and export; core/imports.py).
Rows are validated by the API's input serializer and recorded by `transaction_batch_create`,
all or none. Exported with the API's output columns."""

from import_export import fields

from core.imports import PREFIX, ServiceResource
from ledger import services
from ledger.models import Transaction
from ledger.serializers import TransactionInputSerializer, TransactionSerializer


def _records(records: list[dict]) -> list[dict]:
    # The serializer's `account_id`/`category_id` hold the rows they name.
    return [
        {
            "type": record["type"],
            "account": record["account_id"],
            "amount": record["amount"],
            "date": record["date"],
            "category": record.get("category_id"),
            "description": record.get("description", ""),
        }
        for record in records
    ]


class TransactionResource(ServiceResource):
    serializer_class = TransactionInputSerializer
    account_id = fields.Field(attribute="account_id", column_name="account_id")
    category_id = fields.Field(attribute="category_id", column_name="category_id")
    invoice_id = fields.Field(attribute="invoice_id", column_name="invoice_id")

    class Meta:
        model = Transaction
        fields = TransactionSerializer.Meta.fields
        export_order = TransactionSerializer.Meta.fields

    def service_check(self, records):
        return services.transaction_batch_errors(records=_records(records), prefix=PREFIX)

    def service_create(self, records):
        return services.transaction_batch_create(records=_records(records), prefix=PREFIX)
