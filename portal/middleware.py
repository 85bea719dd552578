"""Headers on every client portal answer, whatever produced it (a page, the 404 page, a rate
limit, or Django's own CSRF refusal, which answers before any portal view runs)."""

PORTAL_PREFIX = "/portal/"


class PortalHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path == PORTAL_PREFIX.rstrip("/") or request.path.startswith(PORTAL_PREFIX):
            # Not in search engines; the token-bearing URL never sent to another site as a
            # Referer (the company's site, Stripe's page). `same-origin`, not `no-referrer`:
            # with no referrer at all browsers post forms with `Origin: null`, which Django's
            # CSRF check rightly refuses. Never kept by a shared cache.
            response["X-Robots-Tag"] = "noindex, nofollow"
            response["Referrer-Policy"] = "same-origin"
            response["Cache-Control"] = "private, no-store"
        return response
