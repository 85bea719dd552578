from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.viewsets import ServiceViewSet
from support import services
from support.filters import DepartmentFilter, TicketFilter
from support.models import Department, Ticket
from support.selectors import ticket_reply_list
from support.serializers import DepartmentSerializer, TicketReplySerializer, TicketSerializer


class DepartmentViewSet(ServiceViewSet):
    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    search_fields = ["name", "email"]
    ordering_fields = ["id", "name", "created_at"]

    # The serializer's fields are the service's keyword arguments.
    def create_object(self, data):
        return services.department_create(**data)

    def update_object(self, instance, data):
        return services.department_update(department=instance, **data)

    def destroy_object(self, instance):
        services.department_delete(department=instance)


class TicketViewSet(ServiceViewSet):
    queryset = Ticket.objects.all()
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    search_fields = ["subject", "ticket_number"]
    ordering_fields = ["id", "created_at", "updated_at", "last_reply_at", "priority", "status"]

    def create_object(self, data):
        return services.ticket_create(**data)

    def update_object(self, instance, data):
        return services.ticket_update(ticket=instance, **data)

    def destroy_object(self, instance):
        services.ticket_delete(ticket=instance)

    @extend_schema(methods=["GET"], responses=TicketReplySerializer(many=True))
    @extend_schema(
        methods=["POST"], request=TicketReplySerializer, responses={201: TicketReplySerializer}
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="replies",
        serializer_class=TicketReplySerializer,
        # The replies are the ticket's own, oldest first: no ticket filters, search or
        # ordering apply to them.
        filter_backends=[],
    )
    def replies(self, request, pk=None):
        ticket = self.get_ticket()
        if request.method == "POST":
            serializer = TicketReplySerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            reply = services.ticket_reply_create(
                ticket=ticket,
                message=serializer.validated_data["message"],
                author=serializer.validated_data["author"],
                created_by=request.user,
            )
            return Response(TicketReplySerializer(reply).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(ticket_reply_list(ticket=ticket))
        return self.get_paginated_response(TicketReplySerializer(page, many=True).data)

    def get_ticket(self) -> Ticket:
        # get_object() would run this action's (empty) filters on the ticket queryset; look
        # the ticket up by id alone.
        return Ticket.objects.filter(pk=self.kwargs["pk"]).get()
