from support.views import DepartmentViewSet, TicketViewSet


def api_routes(router):
    router.register("departments", DepartmentViewSet, basename="department")
    router.register("tickets", TicketViewSet, basename="ticket")
    return []
