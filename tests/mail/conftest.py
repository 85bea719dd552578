import pytest


@pytest.fixture(autouse=True)
def mail_enabled(mail_settings):
    """Every mail test runs with sending configured (tests/conftest.py: `mail_settings`)."""
    return mail_settings
