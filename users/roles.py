"""Django admin permissions derived from the API roles, so a role means the same thing in the
admin as in the API: staff may do everything but users, API keys and webhooks; viewers look."""

from django.apps import apps as global_apps

from users.models import Role

ADMIN_ONLY_APPS = {"users", "webhooks", "auth"}
STAFF_GROUP = "Role: staff"
VIEWER_GROUP = "Role: viewer"


def sync_role_groups(sender=None, using="default", apps=global_apps, **kwargs) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.using(using).select_related("content_type")
    staff_perms = [p for p in perms if p.content_type.app_label not in ADMIN_ONLY_APPS]
    viewer_perms = [p for p in perms if p.codename.startswith("view_")]
    staff, _ = Group.objects.using(using).get_or_create(name=STAFF_GROUP)
    staff.permissions.set(staff_perms)
    viewer, _ = Group.objects.using(using).get_or_create(name=VIEWER_GROUP)
    viewer.permissions.set(viewer_perms)


def group_name_for(role: str) -> str | None:
    return {Role.STAFF: STAFF_GROUP, Role.VIEWER: VIEWER_GROUP}.get(role)
