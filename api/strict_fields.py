"""Text fields take text. DRF's `CharField` (and so `EmailField`, `URLField`, `RegexField`,
`SlugField`, ...) turns a JSON number into its string: `{"state": 503}` was stored as "503"
where the schema says `type: string` and promises a 400 (the 200-example fuzz found it on
`PATCH /customers/{id}`). Installed once, for every serializer of every room, by
`ApiConfig.ready`, so endpoints added later hold to it without knowing."""

from rest_framework import serializers

_loose_to_internal_value = serializers.CharField.to_internal_value


def _strict_to_internal_value(self, data):
    if not isinstance(data, str):
        self.fail("invalid")  # "Not a valid string."
    return _loose_to_internal_value(self, data)


def install() -> None:
    serializers.CharField.to_internal_value = _strict_to_internal_value
