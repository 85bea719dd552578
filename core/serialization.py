import json

from rest_framework.utils.encoders import JSONEncoder


def to_json_data(data):
    """The JSON the API would send for `data` (decimals as numbers, dates as strings), as
    plain Python values, for storing in a JSONField such as a webhook event's payload."""
    return json.loads(json.dumps(data, cls=JSONEncoder))
