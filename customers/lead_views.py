from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.viewsets import ServiceViewSet
from customers import lead_services
from customers.lead_filters import LeadFilter
from customers.lead_serializers import LeadSerializer
from customers.models import Lead
from customers.serializers import CustomerSerializer


class LeadViewSet(ServiceViewSet):
    queryset = Lead.objects.all()
    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    search_fields = ["first_name", "last_name", "email", "company", "phone"]
    ordering_fields = ["id", "last_name", "company", "status", "created_at", "updated_at"]

    def create_object(self, data):
        return lead_services.lead_create(data=data)

    def update_object(self, instance, data):
        return lead_services.lead_update(lead=instance, data=data)

    def destroy_object(self, instance):
        lead_services.lead_delete(lead=instance)

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
        conversion = lead_services.lead_convert(lead=self.get_object())
        code = status.HTTP_201_CREATED if conversion.customer_created else status.HTTP_200_OK
        return Response(CustomerSerializer(conversion.customer).data, status=code)
