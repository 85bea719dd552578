from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from api.csv_export import CsvListMixin
from api.viewsets import ApiView, ApiViewMixin
from audit import services
from audit.filters import AuditEventFilter
from audit.models import AuditEvent
from audit.serializers import AuditEventSerializer, BooksSerializer
from core.books import books_closed_through


class AuditEventViewSet(
    ApiViewMixin,
    CsvListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """`/api/v2/audit-events`: the audit trail, newest first, read-only, administrators only."""

    administrators_only = True
    lookup_value_regex = "[0-9]+"
    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    ordering_fields = ["id", "at"]


class BooksView(ApiView):
    """`/api/v2/settings/books`: the closed period (contract section 9), administrators only."""

    administrators_only = True
    serializer_class = BooksSerializer

    @extend_schema(responses=BooksSerializer)
    def get(self, request):
        return Response(BooksSerializer({"closed_through": books_closed_through()}).data)

    @extend_schema(request=BooksSerializer, responses=BooksSerializer)
    def put(self, request):
        serializer = BooksSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        books = services.books_update(closed_through=serializer.validated_data["closed_through"])
        return Response(BooksSerializer(books).data)
