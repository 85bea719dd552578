import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import bad_request, page_not_found, server_error

from api.middleware import current_request_id

logger = logging.getLogger("ledgerline.api")


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    return JsonResponse({"success": False, "message": "Not found."}, status=404)


def handler404(request, exception=None):
    if _is_api(request):
        return api_not_found(request)
    return page_not_found(request, exception)


def handler400(request, exception=None):
    if _is_api(request):
        return JsonResponse({"success": False, "message": "Bad request."}, status=400)
    return bad_request(request, exception)


def handler500(request):
    if _is_api(request):
        return JsonResponse(
            {
                "success": False,
                "message": f"Internal server error. Quote request id {current_request_id()} "
                "to support.",
            },
            status=500,
        )
    return server_error(request)
