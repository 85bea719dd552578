"""Keeps the API-key lookup cache (users/key_cache.py) true to the database: every save or
delete of a key, and every save of a user that could change what a key may do, buries the
cached entries concerned."""

from django.db.models.signals import post_delete, post_save

from users import key_cache
from users.models import ApiKey, User


def _key_changed(sender, instance: ApiKey, using: str, created: bool = False, **kwargs) -> None:
    if not created:
        key_cache.forget([instance.key_hash], using)


def _user_changed(sender, instance: User, using: str, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # an admin login: nothing a key depends on
    hashes = (
        ApiKey.objects.using(using).filter(user_id=instance.pk).values_list("key_hash", flat=True)
    )
    key_cache.forget(list(hashes), using)


def connect() -> None:
    post_save.connect(_key_changed, sender=ApiKey, dispatch_uid="users.key_cache.key_saved")
    post_delete.connect(_key_changed, sender=ApiKey, dispatch_uid="users.key_cache.key_deleted")
    post_save.connect(_user_changed, sender=User, dispatch_uid="users.key_cache.user_saved")
