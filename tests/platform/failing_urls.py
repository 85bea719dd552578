"""URLconf for the logging test: the real routes plus one API view that fails."""

from django.urls import path

from api.viewsets import ApiView
from config.urls import urlpatterns as real_patterns


class FailingView(ApiView):
    def get(self, request):
        raise RuntimeError("simulated failure")


urlpatterns = [path("api/v2/failing", FailingView.as_view()), *real_patterns]
