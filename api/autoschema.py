"""The schema generator's per-view class, in a module of its own: DRF imports it while loading
every view, so it must not import views itself (api/schema.py does)."""

from drf_spectacular.openapi import AutoSchema


class LedgerAutoSchema(AutoSchema):
    """Documents a ServiceViewSet's writes with the serializer that validates them
    (`input_serializer_class`), not the output serializer, whose fields may all be read-only."""

    WRITE_ACTIONS = ("create", "update", "partial_update")

    def get_request_serializer(self):
        input_class = getattr(self.view, "input_serializer_class", None)
        if input_class is not None and getattr(self.view, "action", None) in self.WRITE_ACTIONS:
            return input_class
        return super().get_request_serializer()
