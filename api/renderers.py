from rest_framework.renderers import JSONRenderer


class EnvelopeJSONRenderer(JSONRenderer):
    """Wraps every payload in the contract's envelope: `{"success": true, "data": ...}`.

    Errors and paginated lists arrive already enveloped (they carry `success`) and pass as
    they are. Decimals leave as JSON numbers (DRF's encoder turns them into floats, which
    represent any 14-digit, 2-place amount exactly enough to round-trip).
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code == 304:
            return b""
        if not (isinstance(data, dict) and "success" in data):
            data = {"success": True, "data": data}
        return super().render(data, accepted_media_type, renderer_context)
