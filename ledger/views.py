from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from api.viewsets import ApiView, ServiceViewSet
from core.money import ZERO
from ledger import selectors, services
from ledger.filters import AccountFilter, CategoryFilter, ExchangeRateFilter, TransactionFilter
from ledger.serializers import (
    AccountSerializer,
    CategorySerializer,
    ExchangeRateSerializer,
    TransactionInputSerializer,
    TransactionSerializer,
    TransferInputSerializer,
    TransferSerializer,
)


class AccountViewSet(ServiceViewSet):
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "currency", "balance", "created_at"]

    def get_queryset(self):
        return selectors.account_list()

    def create_object(self, data):
        return services.account_create(
            name=data["name"],
            currency=data.get("currency"),
            opening_balance=data.get("opening_balance", ZERO),
        )

    def update_object(self, instance, data):
        return services.account_update(
            account=instance,
            name=data.get("name"),
            currency=data.get("currency"),
            opening_balance=data.get("opening_balance"),
        )

    def destroy_object(self, instance):
        services.account_delete(account=instance)


class CategoryViewSet(ServiceViewSet):
    serializer_class = CategorySerializer
    filterset_class = CategoryFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "type"]

    def get_queryset(self):
        return selectors.category_list()

    def create_object(self, data):
        return services.category_create(name=data["name"], type=data["type"])

    def update_object(self, instance, data):
        return services.category_update(
            category=instance, name=data.get("name"), type=data.get("type")
        )

    def destroy_object(self, instance):
        services.category_delete(category=instance)


class TransactionViewSet(ServiceViewSet):
    serializer_class = TransactionSerializer
    input_serializer_class = TransactionInputSerializer
    filterset_class = TransactionFilter
    search_fields = ["description"]
    ordering_fields = ["id", "date", "amount", "created_at", "updated_at"]

    def get_queryset(self):
        return selectors.transaction_list()

    def create_object(self, data):
        return services.transaction_create(
            type=data["type"],
            account=data["account_id"],
            amount=data["amount"],
            date=data["date"],
            category=data.get("category_id"),
            description=data.get("description", ""),
            exchange_rate=data.get("exchange_rate"),
        )

    def update_object(self, instance, data):
        return services.transaction_update(
            txn=instance,
            type=data.get("type"),
            account=data.get("account_id"),
            amount=data.get("amount"),
            category=data.get("category_id", services.UNCHANGED),
            description=data.get("description"),
            date=data.get("date"),
            exchange_rate=data.get("exchange_rate"),
        )

    def destroy_object(self, instance):
        services.transaction_delete(txn=instance)


class ExchangeRateViewSet(ServiceViewSet):
    """What one unit of a currency is worth in the base currency from a date on; recorded,
    never changed (documents keep the rate they took)."""

    serializer_class = ExchangeRateSerializer
    filterset_class = ExchangeRateFilter
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["id", "date", "currency", "rate"]

    def get_queryset(self):
        return selectors.exchange_rate_list()

    def create_object(self, data):
        return services.exchange_rate_create(
            currency=data["currency"], date=data["date"], rate=data["rate"]
        )


class TransferView(ApiView):
    """POST /transfers: moves money between two accounts as a pair of Transfer rows."""

    serializer_class = TransferInputSerializer

    @extend_schema(request=TransferInputSerializer, responses={201: TransferSerializer})
    def post(self, request):
        serializer = TransferInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        legs = services.transfer_create(
            from_account=data["from_account_id"],
            to_account=data["to_account_id"],
            amount=data["amount"],
            date=data["date"],
            description=data.get("description", ""),
        )
        out_leg, in_leg = legs
        body = {
            "transfer_group": out_leg.transfer_group,
            "from_account_id": out_leg.account_id,
            "to_account_id": in_leg.account_id,
            "amount": out_leg.amount,
            "date": out_leg.date,
            "description": out_leg.description,
            "transactions": selectors.transaction_list()
            .filter(transfer_group=out_leg.transfer_group)
            .order_by("pk"),
        }
        return Response(TransferSerializer(body).data, status=status.HTTP_201_CREATED)
