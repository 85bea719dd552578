"""Django admin permissions derived from the API roles, so a role means the same thing in the
admin as in the API (contract section 4): administrators do everything (superusers); staff
everything but the administrator-only screens; viewers look at what staff may touch, and
change nothing.

`ADMINISTRATOR_ONLY_APPS` is the one list of what only administrators see, by app label, so a
model added later to one of these apps (or an app such as django-axes added to the list) is
covered without another rule: users, API keys and their usage, webhook endpoints, events,
deliveries and attempts, auth groups, login lockouts, and the audit trail and closed books."""

from django.apps import apps as global_apps

from users.models import Role

ADMINISTRATOR_ONLY_APPS = frozenset({"auth", "users", "webhooks", "axes", "audit"})
STAFF_GROUP = "Role: staff"
VIEWER_GROUP = "Role: viewer"


def is_administrator_only(app_label: str) -> bool:
    return app_label in ADMINISTRATOR_ONLY_APPS


def sync_role_groups(sender=None, using="default", apps=global_apps, **kwargs) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = [
        p
        for p in Permission.objects.using(using).select_related("content_type")
        if not is_administrator_only(p.content_type.app_label)
    ]
    viewer_perms = [p for p in perms if p.codename.startswith("view_")]
    staff, _ = Group.objects.using(using).get_or_create(name=STAFF_GROUP)
    staff.permissions.set(perms)
    viewer, _ = Group.objects.using(using).get_or_create(name=VIEWER_GROUP)
    viewer.permissions.set(viewer_perms)


def group_name_for(role: str) -> str | None:
    return {Role.STAFF: STAFF_GROUP, Role.VIEWER: VIEWER_GROUP}.get(role)
