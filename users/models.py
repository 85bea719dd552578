from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    STAFF = "staff", "Staff"
    VIEWER = "viewer", "Viewer"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        from users.services import user_create

        return user_create(email=email, password=password, **extra)

    def create_superuser(self, email, password=None, **extra):
        from users.services import user_create

        extra.setdefault("name", email.split("@")[0])
        extra["role"] = Role.ADMINISTRATOR
        return user_create(email=email, password=password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who works in Ledgerline: logs into the admin and owns API keys.

    `role` is the single source of truth for what they may do; `is_staff`, `is_superuser`
    and group membership are derived from it by `users.services` (`user_create`,
    `user_update`), and the admin's permissions per role by `users.roles`.
    """

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class ApiKey(models.Model):
    """An API key. Only a SHA-256 of the raw key is stored: keys are 256-bit random strings,
    so a fast hash is as strong as a slow one and lets each request look the key up by index."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    is_sandbox = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    request_count = models.BigIntegerField(default=0)
    # Request signing (docs/request-signing.md). The secret is an HMAC key, so it is stored
    # as is (like a webhook secret): a hash could not verify a signature.
    require_signature = models.BooleanField(
        default=False, help_text="Every request with this key must carry a valid X-Signature."
    )
    signing_secret = models.CharField(max_length=80, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.email})"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


class ApiKeyUsage(models.Model):
    """Requests made with one key on one UTC day, by status class. One row per key and day:
    `users.usage` counts requests in the shared cache and flushes them here with one UPSERT
    per key and day (`users.services.api_key_usage_add`)."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    count_2xx = models.BigIntegerField("2xx", default=0)
    count_3xx = models.BigIntegerField("3xx", default=0)
    count_4xx = models.BigIntegerField("4xx", default=0)
    count_5xx = models.BigIntegerField("5xx", default=0)

    class Meta:
        ordering = ["-day", "api_key_id"]
        verbose_name = "API key usage"
        verbose_name_plural = "API key usage"
        constraints = [
            models.UniqueConstraint(fields=["api_key", "day"], name="apikeyusage_key_day_unique")
        ]

    def __str__(self) -> str:
        return f"Usage on {self.day}"

    @property
    def total(self) -> int:
        return self.count_2xx + self.count_3xx + self.count_4xx + self.count_5xx
