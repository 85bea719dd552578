from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.csv_export import CsvListMixin
from api.pagination import Pagination
from api.viewsets import ApiView, ApiViewMixin, ServiceViewSet
from core.serializers import Serializer
from webhooks import catalog, services
from webhooks.filters import DeliveryFilter, EndpointDeliveryFilter, EndpointFilter
from webhooks.models import Attempt, Delivery, Endpoint
from webhooks.serializers import (
    DeliverySerializer,
    EndpointCreatedSerializer,
    EndpointSerializer,
)


def deliveries_with_attempts():
    return Delivery.objects.select_related("event").prefetch_related(
        Prefetch("attempts", queryset=Attempt.objects.order_by("id"))
    )


class WebhookEndpointViewSet(ServiceViewSet):
    """`/api/v2/webhooks`: administrators only (contract section 4)."""

    administrators_only = True
    queryset = Endpoint.objects.all()
    serializer_class = EndpointSerializer
    filterset_class = EndpointFilter
    search_fields = ["url"]
    ordering_fields = ["id", "created_at", "url"]

    @extend_schema(
        summary="Register a webhook endpoint",
        description="Registers `url` for `events` (or `*`) and returns the endpoint with its "
        "signing `secret` (`whsec_…`), shown this once. A host that resolves to a private "
        "address is refused; a name that does not resolve yet is accepted and checked again "
        "at each delivery (docs/webhooks.md).",
        responses={201: EndpointCreatedSerializer},
    )
    def create(self, request, *args, **kwargs):
        endpoint = services.webhook_endpoint_create(**self.validated(), owner=request.user)
        return Response(EndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def update_object(self, instance, data):
        return services.webhook_endpoint_update(
            endpoint=instance,
            url=data.get("url"),
            events=data.get("events"),
            active=data.get("active"),
        )

    def destroy_object(self, instance):
        services.webhook_endpoint_delete(endpoint=instance)

    @extend_schema(
        summary="List an endpoint's deliveries",
        description="The delivery log of one endpoint, newest first, each delivery with its "
        "attempts. `status` filters by delivery status.",
        request=None,
        responses=DeliverySerializer(many=True),
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=Delivery.Status.values,
                description="Only deliveries in this status.",
            )
        ],
    )
    @action(detail=True, methods=["get"], url_path="deliveries", filter_backends=[])
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        query = deliveries_with_attempts().filter(endpoint=endpoint).order_by("-id")
        filterset = EndpointDeliveryFilter(request.query_params, queryset=query)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        query = filterset.qs
        page = self.paginate_queryset(query)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a test event",
        description="Queues a `ping` delivery to this endpoint and answers 202 with it; the "
        "request has no body. Follow it in `GET /webhooks/{id}/deliveries`.",
        request=None,
        responses={202: DeliverySerializer},
    )
    @action(detail=True, methods=["post"], url_path="test")
    def test(self, request, pk=None):
        delivery = services.webhook_endpoint_test(endpoint=self.get_object())
        fresh = deliveries_with_attempts().get(pk=delivery.pk)
        return Response(DeliverySerializer(fresh).data, status=status.HTTP_202_ACCEPTED)


class DeliveryViewSet(
    ApiViewMixin,
    CsvListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """`/api/v2/deliveries`: every endpoint's delivery log (read-only), and re-sending."""

    administrators_only = True
    lookup_value_regex = "[0-9]+"
    queryset = deliveries_with_attempts()
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    ordering_fields = ["id", "created_at", "next_attempt_at"]

    @extend_schema(
        summary="Re-send a delivery",
        description="Queues one more attempt of this delivery now and answers 202 with it; "
        "the request has no body.",
        request=None,
        responses={202: DeliverySerializer},
    )
    @action(detail=True, methods=["post"], url_path="retry")
    def retry(self, request, pk=None):
        delivery = services.delivery_retry(delivery=self.get_object())
        fresh = deliveries_with_attempts().get(pk=delivery.pk)
        return Response(DeliverySerializer(fresh).data, status=status.HTTP_202_ACCEPTED)


class EventTypeSerializer(Serializer):
    type = serializers.CharField()
    description = serializers.CharField()


class EventCatalogView(ApiView):
    """`GET /api/v2/events`: every event type an endpoint can subscribe to."""

    administrators_only = True
    serializer_class = EventTypeSerializer

    @extend_schema(
        responses=EventTypeSerializer(many=True),
        parameters=[
            OpenApiParameter("page", int, description="Page number, from 1."),
            OpenApiParameter(
                "limit", int, description="Results per page (default 20, at most 100)."
            ),
        ],
    )
    def get(self, request):
        entries = [
            {"type": name, "description": description}
            for name, description in catalog.EVENT_TYPES.items()
        ]
        paginator = Pagination()
        page = paginator.paginate_queryset(_CountableList(entries), request, view=self)
        return paginator.get_paginated_response(page)


class _CountableList(list):
    # The paginator counts with `.count()`, which a list spells differently.
    def count(self, *args) -> int:  # type: ignore[override]
        return len(self) if not args else super().count(*args)
