from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Routes answer with and without a trailing slash, so no redirect ever drops a POST body."""

    def __init__(self):
        super().__init__()
        # SimpleRouter's constructor only knows "/" or ""; the regex form is set afterwards.
        self.trailing_slash = "/?"
