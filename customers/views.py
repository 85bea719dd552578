from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.csv_import import CsvImportView
from api.viewsets import ApiView, ServiceViewSet
from customers import services
from customers.filters import CustomerFilter, LeadFilter
from customers.models import Customer, Lead
from customers.resources import CustomerResource
from customers.serializers import CustomerBatchSerializer, CustomerSerializer, LeadSerializer


class CustomerViewSet(ServiceViewSet):
    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    # `search` is CustomerFilter's: it matches the indexed `search_text` column.
    ordering_fields = ["id", "account", "created_at", "updated_at"]

    # The serializer's fields are the service's keyword arguments.
    def create_object(self, data):
        return services.customer_create(**data)

    def update_object(self, instance, data):
        return services.customer_update(customer=instance, **data)

    def destroy_object(self, instance):
        services.customer_delete(customer=instance)


class CustomerBatchView(ApiView):
    serializer_class = CustomerBatchSerializer

    @extend_schema(responses={201: CustomerSerializer(many=True)})
    def post(self, request):
        serializer = CustomerBatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.customer_batch_create(records=serializer.validated_data["customers"])
        return Response(CustomerSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


class CustomerImportView(CsvImportView):
    """Customers from a CSV file (multipart `file`), all or none; `dry_run=true` only checks."""

    resource_class = CustomerResource


class LeadViewSet(ServiceViewSet):
    queryset = Lead.objects.all()
    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    search_fields = ["first_name", "last_name", "email", "company", "phone"]
    ordering_fields = ["id", "last_name", "company", "status", "created_at", "updated_at"]

    def create_object(self, data):
        return services.lead_create(**data)

    def update_object(self, instance, data):
        return services.lead_update(lead=instance, **data)

    def destroy_object(self, instance):
        services.lead_delete(lead=instance)

    @extend_schema(
        request=None,
        responses={
            201: OpenApiResponse(CustomerSerializer, description="A new customer was created."),
            200: OpenApiResponse(
                CustomerSerializer,
                description="The lead's email already belonged to this customer; it was linked.",
            ),
            409: OpenApiResponse(description="The lead was already converted."),
        },
    )
    @action(detail=True, methods=["post"], url_path="convert")
    def convert(self, request, pk=None):
        conversion = services.lead_convert(lead=self.get_object())
        code = status.HTTP_201_CREATED if conversion.customer_created else status.HTTP_200_OK
        return Response(CustomerSerializer(conversion.customer).data, status=code)
