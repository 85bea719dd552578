from mail.views import EmailMessageViewSet


def api_routes(router):
    router.register("emails", EmailMessageViewSet, basename="email")
    return []
