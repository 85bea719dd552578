from tests.ledger.helpers import committed  # noqa: F401
