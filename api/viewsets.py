"""The base every API view inherits: rate limits and their headers, and a create/update/delete
flow in which the serializer only validates and a service function does the write."""

from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from api import etags, idempotency, ratelimit
from api.csv_export import CsvListMixin


class ApiViewMixin:
    # Rate limiting runs right after authentication, before the role check, so that every
    # authenticated response (403s included) carries the X-RateLimit-* headers.
    def perform_authentication(self, request):
        request.user  # noqa: B018 - evaluating it runs the authenticators
        ratelimit.consume(request)

    def check_throttles(self, request):
        return None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # After authentication, role and rate limit: only requests the endpoint would run
        # claim an Idempotency-Key (api/idempotency.py).
        idempotency.begin(request)

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.IdempotentReplay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        usage = getattr(request, "rate_usage", None)
        if usage is not None:
            for name, value in usage.headers().items():
                response[name] = value
        response = idempotency.finish(request, response)
        response = etags.apply(request, response)
        return response


class ApiView(ApiViewMixin, APIView):
    pass


class ServiceViewSet(
    ApiViewMixin,
    CsvListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """CRUD where writes go through services.

    Subclasses implement `create_object(data)`, `update_object(instance, data)` and
    `destroy_object(instance)` by calling their app's services; the serializer validates input
    (`input_serializer_class`, default `serializer_class`) and renders output.
    """

    input_serializer_class = None
    lookup_value_regex = "[0-9]+"

    def get_input_serializer(self, *args, **kwargs):
        cls = self.input_serializer_class or self.get_serializer_class()
        kwargs.setdefault("context", self.get_serializer_context())
        return cls(*args, **kwargs)

    def output(self, instance, status_code=status.HTTP_200_OK) -> Response:
        # Re-read through get_queryset() so the output has the same joins and annotations
        # as a list or detail read.
        fresh = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def validated(self, instance=None, partial=False) -> dict:
        serializer = self.get_input_serializer(instance, data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def create(self, request, *args, **kwargs):
        instance = self.create_object(self.validated())
        return self.output(instance, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        instance = self.update_object(instance, self.validated(instance, partial=partial))
        return self.output(instance)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        self.destroy_object(self.get_object())
        return Response(None, status=status.HTTP_200_OK)

    def create_object(self, data: dict):
        raise NotImplementedError

    def update_object(self, instance, data: dict):
        raise NotImplementedError

    def destroy_object(self, instance) -> None:
        raise NotImplementedError
