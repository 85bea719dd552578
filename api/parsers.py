import json
from decimal import Decimal

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Deeper than any request body of this API (invoice items are depth 3), far below Python's
# recursion limit (~1000), which the C decoder, DRF's validation and the renderer all hit
# with a RecursionError: a 500 without this check.
MAX_DEPTH = 64
MALFORMED = "Malformed JSON: the request body could not be parsed."
TOO_DEEP = f"Malformed JSON: the request body is nested more than {MAX_DEPTH} levels deep."


def _too_deep(value) -> bool:
    """True when `value` nests containers more than MAX_DEPTH deep (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class DecimalJSONParser(JSONParser):
    """JSON parser that reads numbers with a fraction as `Decimal`, so money never passes
    through a float on its way in, and refuses bodies nested deeper than `MAX_DEPTH`."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            raw = stream.read().decode(encoding) if stream is not None else ""
            if not raw.strip():
                return {}
            data = json.loads(raw, parse_float=Decimal)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(MALFORMED) from exc
        # Fewer opening brackets than the limit cannot nest past it: ordinary bodies skip the
        # walk (two C-speed counts), only bracket-heavy ones pay one pass over the result.
        if raw.count("[") + raw.count("{") > MAX_DEPTH and isinstance(data, dict | list):
            if _too_deep(data):
                raise ParseError(TOO_DEEP)
        return data
