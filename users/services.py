"""Writes for users and API keys. Every function is atomic and raises a domain error on input
it refuses, so the API, the admin and the commands behave the same.

Each write appends its audit entry (`user.*`, `api_key.*`) in its transaction. Secrets never
reach the trail: a password or signing secret shows only as a marker (`"(set)"`, `"(new)"`,
`"(none)"`), and the key's hash not at all. Per-request bookkeeping (use counts) and the
sandbox mirror of a key's owner are not audited: nobody changed anything."""

import hashlib
import secrets
from collections.abc import Callable
from datetime import date, datetime

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections
from django.db.models import F, Q
from django.utils import timezone

from audit.changes import diff_fields, snapshot
from audit.services import audit_created, audit_deleted, audit_record, audit_updated
from core.db import LIVE, SANDBOX, atomic, using_alias
from core.errors import ConflictError, DomainValidationError
from core.services import UNCHANGED, Unchanged, given, model_update
from users import key_cache
from users.models import ApiKey, ApiKeyUsage, Role, User
from users.roles import group_name_for

KEY_PREFIX_LIVE = "ll_live_"
KEY_PREFIX_SANDBOX = "ll_test_"
SIGNING_SECRET_PREFIX = "llsig_"  # noqa: S105 - a prefix, not a secret
USAGE_COLUMNS = {2: "count_2xx", 3: "count_3xx", 4: "count_4xx", 5: "count_5xx"}
# What the audit trail shows of a user and of a key: never the password, hash or secret.
USER_AUDIT_FIELDS = ["email", "name", "role", "is_active", "is_staff", "is_superuser"]
API_KEY_AUDIT_FIELDS = [
    "user",
    "name",
    "prefix",
    "is_sandbox",
    "expires_at",
    "revoked_at",
    "require_signature",
]
SECRET_SET, SECRET_NEW, SECRET_NONE = "(set)", "(new)", "(none)"


def _secret_change(*, had: bool | None, new: bool) -> list[str | None]:
    """[before, after] markers of a password or signing secret that was replaced (`new`) or
    removed; `had` None: the row is new."""
    before = None if had is None else (SECRET_SET if had else SECRET_NONE)
    return [before, SECRET_NEW if new else SECRET_NONE]


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
    return _user_create(
        email=email, name=name, password=password, role=role, is_active=is_active, audited=True
    )


def _user_create(
    *, email: str, name: str, password: str | None, role: str, is_active: bool, audited: bool
) -> User:
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
        if audited:
            changes = diff_fields({}, snapshot(user, USER_AUDIT_FIELDS))
            if password:
                changes["password"] = _secret_change(had=None, new=True)
            audit_record(
                action="user.created", resource="user", resource_id=user.pk, changes=changes
            )
    return user


def _keep_an_administrator(user: User, action: str) -> None:
    """Refuses (409) when `user` is the only active administrator, so the installation is
    never locked out. The active administrators' rows stay locked until the transaction ends,
    taken in id order so concurrent callers queue instead of deadlocking: of two
    administrators deleting or demoting each other at the same moment, the second one reads
    the first one's committed change and is refused."""
    admins = list(
        User.objects.select_for_update()
        .filter(role=Role.ADMINISTRATOR, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if admins == [user.pk]:
        raise ConflictError(f"The last active administrator cannot be {action}.")


def _user_write(*, locked: User, data: dict, password: str | None) -> dict:
    """Saves `data` (and a validated `password`) on the locked row, keeping the admin rights
    and groups in line with the role. Returns what changed, as the audit trail shows it."""
    before = snapshot(locked, USER_AUDIT_FIELDS)
    had_password = locked.has_usable_password()
    if "email" in data:
        data["email"] = User.objects.normalize_email(data["email"]).lower()
        _check_email_free(data["email"], exclude_pk=locked.pk)
    role = data.get("role", locked.role)
    data["is_staff"] = True
    data["is_superuser"] = role == Role.ADMINISTRATOR
    if password:
        # Validated against the user as they will be (similarity to the new email or name).
        _validate_password(
            password,
            User(email=data.get("email", locked.email), name=data.get("name", locked.name)),
        )
        # Hashed into `data`, not set on the row first: model_update saves only what differs
        # from the row, so a password already set on it would never be written.
        data["password"] = make_password(password)
    model_update(
        instance=locked,
        fields=["email", "name", "role", "is_active", "is_staff", "is_superuser", "password"],
        data=data,
    )
    _sync_groups(locked)
    changes = diff_fields(before, snapshot(locked, USER_AUDIT_FIELDS))
    if password:
        changes["password"] = _secret_change(had=had_password, new=True)
    return changes


def user_update(
    *,
    user: User,
    email: str | None = None,
    name: str | None = None,
    role: str | None = None,
    is_active: bool | None = None,
    password: str | None = None,
) -> User:
    """Changes the given fields (a password is re-validated; left out or empty, it stays).
    The last active administrator can be neither demoted nor deactivated, by anyone,
    themselves included (409)."""
    data = given(email=email, name=name, role=role, is_active=is_active)
    with atomic():
        demotes = (role is not None and role != Role.ADMINISTRATOR) or is_active is False
        if demotes:
            _keep_an_administrator(user, "demoted" if is_active is not False else "deactivated")
        locked = User.objects.select_for_update().get(pk=user.pk)
        changes = _user_write(locked=locked, data=data, password=password)
        audit_record(action="user.updated", resource="user", resource_id=locked.pk, changes=changes)
    user.refresh_from_db()  # the caller keeps its instance: show it the saved row
    return user


def user_set_password(*, user: User, password: str | None) -> User:
    """Sets a new (validated) password, or with None makes password login impossible. The
    trail records that the password changed, never what to."""
    with atomic():
        had_password = user.has_usable_password()
        if password:
            _validate_password(password, user)
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(update_fields=["password", "updated_at"])
        audit_record(
            action="user.updated",
            resource="user",
            resource_id=user.pk,
            changes={"password": _secret_change(had=had_password, new=bool(password))},
        )
    return user


def user_delete(*, user: User, acting_user: User | None = None) -> None:
    """Deletes a user and their API keys. Nobody deletes themselves, and the last active
    administrator stays (409), so the installation is never locked out. Of concurrent
    deletes of one user one wins; the others find it gone (DoesNotExist: 404)."""
    with atomic():
        if acting_user is not None and acting_user.pk == user.pk:
            raise ConflictError("You cannot delete your own user.")
        _keep_an_administrator(user, "deleted")
        locked = User.objects.select_for_update().get(pk=user.pk)
        # Its keys go with it (cascade): each keeps its own entries, this one says why.
        audit_deleted(resource="user", row=locked, fields=USER_AUDIT_FIELDS)
        locked.delete()


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
    with atomic():
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
        audit_created(resource="api_key", row=key, fields=API_KEY_AUDIT_FIELDS)
    return key, raw


def new_signing_secret() -> str:
    return SIGNING_SECRET_PREFIX + secrets.token_urlsafe(32)


def api_key_require_signature(*, api_key: ApiKey) -> ApiKey:
    """Turns request signing on for a key with a fresh secret (any previous secret stops
    working at once) and returns the key, whose `signing_secret` the caller shows once."""
    return _api_key_signature_set(api_key=api_key, required=True)


def _api_key_signature_set(*, api_key: ApiKey, required: bool) -> ApiKey:
    before = snapshot(api_key, ["require_signature"])
    had_secret = bool(api_key.signing_secret)
    api_key.require_signature = required
    api_key.signing_secret = new_signing_secret() if required else ""
    with atomic():
        api_key.save(update_fields=["require_signature", "signing_secret"])
        changes = diff_fields(before, snapshot(api_key, ["require_signature"]))
        if had_secret or required:
            changes["signing_secret"] = _secret_change(had=had_secret, new=required)
        audit_record(
            action="api_key.updated", resource="api_key", resource_id=api_key.pk, changes=changes
        )
    return api_key


def api_key_drop_signature(*, api_key: ApiKey) -> ApiKey:
    """Turns request signing off for a key and forgets its secret."""
    return _api_key_signature_set(api_key=api_key, required=False)


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
    """Stops the key working at once; its row and usage stay. Revoking twice changes (and
    records) nothing."""
    if api_key.revoked_at is None:
        with atomic():
            api_key.revoked_at = timezone.now()
            api_key.save(update_fields=["revoked_at"])
            audit_record(
                action="api_key.revoked",
                resource="api_key",
                resource_id=api_key.pk,
                changes=diff_fields({"revoked_at": None}, snapshot(api_key, ["revoked_at"])),
            )
    return api_key


def api_key_update(
    *,
    api_key: ApiKey,
    name: str | None = None,
    expires_at: datetime | None | Unchanged = UNCHANGED,
) -> ApiKey:
    """Renames a key or moves its expiry (`expires_at=None`: never expires). Its owner and
    live/sandbox kind are part of what the key is: a different one is a new key."""
    data = given(name=name)
    if expires_at is not UNCHANGED:
        data["expires_at"] = expires_at
    with atomic():
        locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
        before = snapshot(locked, API_KEY_AUDIT_FIELDS)
        model_update(instance=locked, fields=["name", "expires_at"], data=data)
        audit_updated(resource="api_key", row=locked, before=before, fields=API_KEY_AUDIT_FIELDS)
    return locked


def api_key_delete(*, api_key: ApiKey) -> None:
    """Deletes a key and its usage rows (revoking keeps them: prefer it). The row is locked
    first: of concurrent deletes one wins, the others find it gone (DoesNotExist)."""
    with atomic():
        locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
        audit_deleted(resource="api_key", row=locked, fields=API_KEY_AUDIT_FIELDS)
        locked.delete()


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The usable key for `raw_key`, or None (unknown, revoked or expired)."""
    key, _ = api_key_authenticate_counting(raw_key)
    return key


def api_key_authenticate_counting(
    raw_key: str, *, counter: Callable[[str], tuple[str, int] | None] | None = None
) -> tuple[ApiKey | None, int | None]:
    """`api_key_authenticate`, counting the request in the caller's rate window on the way
    when the key is cached: `counter(key_hash)` names the Redis counter and its TTL (or None:
    do not count). Returns
    the key and the count (None when it was not counted: the caller counts then)."""
    if not raw_key or len(raw_key) > 200:
        return None, None
    digest = hash_key(raw_key)
    window = counter(digest) if counter is not None else None
    if window is None:
        key, count = key_cache.get(digest), None
    else:
        key, count = key_cache.get_counting(digest, counter=window[0], ttl=window[1])
    if key is None:
        try:
            key = key_cache.lookup_queryset().get(key_hash=digest)
        except ApiKey.DoesNotExist:
            return None, count
        key_cache.remember(key)
    if not key.is_usable() or not key.user.is_active:
        return None, count
    return key, count


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
                return _user_create(
                    email=user.email,
                    name=user.name,
                    password=None,
                    role=user.role,
                    is_active=user.is_active,
                    audited=False,
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
            # A mirror follows the live row as it is: the last-administrator rule guards
            # the live installation, not its sandbox copy.
            with atomic():
                locked = User.objects.select_for_update().get(pk=mirror.pk)
                _user_write(
                    locked=locked, data={f: getattr(user, f) for f in changed}, password=None
                )
            mirror = locked
        return mirror
