from rest_framework.permissions import SAFE_METHODS, BasePermission

from users.models import Role


class RolePermission(BasePermission):
    """administrator: everything; staff: everything but views marked `administrators_only`
    (users, API keys, webhooks); viewer: reads only (contract section 4)."""

    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_active:
            return False
        if user.role == Role.ADMINISTRATOR:
            return True
        if getattr(view, "administrators_only", False):
            return False
        if user.role == Role.VIEWER:
            return request.method in SAFE_METHODS
        return user.role == Role.STAFF
