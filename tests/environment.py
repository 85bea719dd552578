"""Loaded as a pytest plugin (`-p tests.environment`), before Django reads its settings:
test-only defaults for variables a production deployment must set itself."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_TARGETS", "false")
os.environ.setdefault("LOG_FORMAT", "plain")
