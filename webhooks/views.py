from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.pagination import Pagination
from api.viewsets import ApiView, ApiViewMixin, ServiceViewSet
from webhooks import catalog, services
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
    filterset_fields = ["active"]
    search_fields = ["url"]
    ordering_fields = ["id", "created_at", "url"]

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

    @action(detail=True, methods=["get"], url_path="deliveries")
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        query = deliveries_with_attempts().filter(endpoint=endpoint).order_by("-id")
        wanted = request.query_params.get("status")
        if wanted:
            query = query.filter(status=wanted)
        page = self.paginate_queryset(query)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @action(detail=True, methods=["post"], url_path="test")
    def test(self, request, pk=None):
        delivery = services.webhook_endpoint_test(endpoint=self.get_object())
        fresh = deliveries_with_attempts().get(pk=delivery.pk)
        return Response(DeliverySerializer(fresh).data, status=status.HTTP_202_ACCEPTED)


class DeliveryViewSet(
    ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """`/api/v2/deliveries`: every endpoint's delivery log (read-only), and re-sending."""

    administrators_only = True
    lookup_value_regex = "[0-9]+"
    queryset = deliveries_with_attempts()
    serializer_class = DeliverySerializer
    filterset_fields = ["status", "endpoint"]
    ordering_fields = ["id", "created_at", "next_attempt_at"]

    @action(detail=True, methods=["post"], url_path="retry")
    def retry(self, request, pk=None):
        delivery = services.delivery_retry(delivery=self.get_object())
        fresh = deliveries_with_attempts().get(pk=delivery.pk)
        return Response(DeliverySerializer(fresh).data, status=status.HTTP_202_ACCEPTED)


class EventTypeSerializer(serializers.Serializer):
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
