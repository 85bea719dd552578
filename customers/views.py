from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from api.viewsets import ApiView, ServiceViewSet
from customers import services
from customers.filters import CustomerFilter
from customers.models import Customer
from customers.serializers import CustomerBatchSerializer, CustomerSerializer


class CustomerViewSet(ServiceViewSet):
    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    # `search` is CustomerFilter's: it matches the indexed `search_text` column.
    ordering_fields = ["id", "account", "created_at", "updated_at"]

    def create_object(self, data):
        return services.customer_create(data=data)

    def update_object(self, instance, data):
        return services.customer_update(customer=instance, data=data)

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
