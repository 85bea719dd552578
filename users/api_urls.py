from users.views import UserViewSet


def api_routes(router):
    router.register("users", UserViewSet, basename="user")
    return []
