from django.urls import re_path

from webhooks.views import DeliveryViewSet, EventCatalogView, WebhookEndpointViewSet


def api_routes(router):
    router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
    router.register("deliveries", DeliveryViewSet, basename="delivery")
    return [re_path(r"^events/?$", EventCatalogView.as_view(), name="event-catalog")]
