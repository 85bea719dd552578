"""The ledger's event payloads: each resource as the API shows it, built in one place."""

from ledger.models import Transaction
from ledger.serializers import TransactionSerializer


def transaction_payload(txn: Transaction) -> dict:
    return TransactionSerializer(txn).data
