"""Writes for users and API keys. Every function is atomic and raises a domain error on input
it refuses, so the API, the admin and the commands behave the same."""

import hashlib
import secrets
from datetime import date, datetime

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections
from django.db.models import F, Q
from django.utils import timezone

from core.db import LIVE, SANDBOX, atomic, using_alias
from core.errors import ConflictError, DomainValidationError
from users import key_cache
from users.models import ApiKey, ApiKeyUsage, Role, User
from users.roles import group_name_for

KEY_PREFIX_LIVE = "ll_live_"
KEY_PREFIX_SANDBOX = "ll_test_"
SIGNING_SECRET_PREFIX = "llsig_"  # noqa: S105 - a prefix, not a secret
USAGE_COLUMNS = {2: "count_2xx", 3: "count_3xx", 4: "count_4xx", 5: "count_5xx"}


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def _apply_role(user: User) -> None:
    user.is_staff = True
    user.is_superuser = user.role == Role.ADMINISTRATOR


def _sync_groups(user: User) -> None:
    name = group_name_for(user.role)
    groups = [Group.objects.get_or_create(name=name)[0]] if name else []
    user.groups.set(groups)


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise DomainValidationError({"password": exc.messages[0]}) from None


def _check_email_free(email: str, exclude_pk: int | None = None) -> None:
    clash = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainValidationError({"email": "A user with this email already exists."})


def user_create(
    *,
    email: str,
    name: str = "",
    password: str | None = None,
    role: str = Role.STAFF,
    is_active: bool = True,
) -> User:
    """Creates a user whose admin rights follow `role`. A password, when given, must pass
    Django's password validators; without one the user cannot log into the admin."""
    email = User.objects.normalize_email(email).lower()
    user = User(email=email, name=name or email.split("@")[0], role=role, is_active=is_active)
    _apply_role(user)
    with atomic():
        _check_email_free(email)
        if password:
            _validate_password(password, user)
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        _sync_groups(user)
    return user


def user_update(*, user: User, **fields) -> User:
    """Updates name, email, role, is_active and (re-validated) password."""
    with atomic():
        if "email" in fields:
            fields["email"] = User.objects.normalize_email(fields["email"]).lower()
            _check_email_free(fields["email"], exclude_pk=user.pk)
        password = fields.pop("password", None)
        for name, value in fields.items():
            setattr(user, name, value)
        _apply_role(user)
        if password:
            _validate_password(password, user)
            user.set_password(password)
        user.save()
        _sync_groups(user)
    return user


def user_delete(*, user: User, acting_user: User | None = None) -> None:
    """Deletes a user and their API keys. Nobody deletes themselves, and the last active
    administrator stays, so the installation is never locked out."""
    with atomic():
        if acting_user is not None and acting_user.pk == user.pk:
            raise ConflictError("You cannot delete your own user.")
        if (
            user.role == Role.ADMINISTRATOR
            and not User.objects.filter(role=Role.ADMINISTRATOR, is_active=True)
            .exclude(pk=user.pk)
            .exists()
        ):
            raise ConflictError("The last administrator cannot be deleted.")
        user.delete()


def api_key_create(
    *,
    user: User,
    name: str = "",
    is_sandbox: bool = False,
    expires_at: datetime | None = None,
    require_signature: bool = False,
) -> tuple[ApiKey, str]:
    """Creates a key and returns it with the raw key, which exists only in this return value.
    With `require_signature`, the key also gets a signing secret (`key.signing_secret`) and
    every request made with it must be signed (docs/request-signing.md)."""
    raw = (KEY_PREFIX_SANDBOX if is_sandbox else KEY_PREFIX_LIVE) + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        user=user,
        name=name,
        prefix=raw[:12],
        key_hash=hash_key(raw),
        is_sandbox=is_sandbox,
        expires_at=expires_at,
        require_signature=require_signature,
        signing_secret=new_signing_secret() if require_signature else "",
    )
    return key, raw


def new_signing_secret() -> str:
    return SIGNING_SECRET_PREFIX + secrets.token_urlsafe(32)


def api_key_require_signature(*, api_key: ApiKey) -> ApiKey:
    """Turns request signing on for a key with a fresh secret (any previous secret stops
    working at once) and returns the key, whose `signing_secret` the caller shows once."""
    api_key.require_signature = True
    api_key.signing_secret = new_signing_secret()
    api_key.save(update_fields=["require_signature", "signing_secret"])
    return api_key


def api_key_drop_signature(*, api_key: ApiKey) -> ApiKey:
    """Turns request signing off for a key and forgets its secret."""
    api_key.require_signature = False
    api_key.signing_secret = ""
    api_key.save(update_fields=["require_signature", "signing_secret"])
    return api_key


def api_key_usage_add(*, api_key_id: int, day: date, counts: dict[int, int]) -> None:
    """Adds request counts by status class (`{2: n, 4: m}`) to the key's row for `day`. One
    INSERT ... ON CONFLICT DO UPDATE (PostgreSQL and SQLite >= 3.24), so concurrent flushes
    never lose a count. Called by `users.usage` with counts buffered in the cache."""
    amounts = [int(counts.get(status_class, 0)) for status_class in USAGE_COLUMNS]
    if not any(amounts):
        return
    table = ApiKeyUsage._meta.db_table
    columns = ", ".join(USAGE_COLUMNS.values())
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in USAGE_COLUMNS.values())
    # Table and column names are our own constants; only the values are parameters.
    sql = (
        f"INSERT INTO {table} (api_key_id, day, {columns}) VALUES (%s, %s, %s, %s, %s, %s) "  # noqa: S608
        f"ON CONFLICT (api_key_id, day) DO UPDATE SET {updates}"
    )
    with connections[LIVE].cursor() as cursor:
        cursor.execute(sql, [api_key_id, day, *amounts])


def api_key_use_add(*, api_key_id: int, requests: int, last_used_at: datetime) -> None:
    """Adds `requests` to the key's request count and moves its last use forward (never back:
    flushes may land out of order)."""
    ApiKey.objects.filter(pk=api_key_id).update(request_count=F("request_count") + requests)
    ApiKey.objects.filter(pk=api_key_id).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=last_used_at)
    ).update(last_used_at=last_used_at)


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The usable key for `raw_key`, or None (unknown, revoked or expired)."""
    if not raw_key or len(raw_key) > 200:
        return None
    digest = hash_key(raw_key)
    key = key_cache.get(digest)
    if key is None:
        try:
            key = key_cache.lookup_queryset().get(key_hash=digest)
        except ApiKey.DoesNotExist:
            return None
        key_cache.remember(key)
    if not key.is_usable() or not key.user.is_active:
        return None
    return key


def user_sandbox_mirror(*, user: User) -> User:
    """The sandbox database's own row for a live `user` (matched by email), created or brought
    in line (name, role, active) when needed.

    A sandbox request authenticates against the live database (keys live there), but every row
    it writes goes to the sandbox, whose foreign keys must point at the sandbox's users table:
    so the request acts as this mirror, never as the live row (whose id means nothing there).
    """
    with using_alias(SANDBOX):
        mirror = User.objects.filter(email__iexact=user.email).first()
        if mirror is None:
            try:
                return user_create(
                    email=user.email, name=user.name, role=user.role, is_active=user.is_active
                )
            except (DomainValidationError, IntegrityError):
                # A concurrent request created it between our read and our insert.
                return User.objects.get(email__iexact=user.email)
        changed = [
            field
            for field in ("name", "role", "is_active")
            if getattr(mirror, field) != getattr(user, field)
        ]
        if changed:
            mirror = user_update(user=mirror, **{f: getattr(user, f) for f in changed})
        return mirror
