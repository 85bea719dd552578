from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import password_validation
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.utils import timezone
from django.utils.html import format_html
from unfold.admin import TabularInline

from core.admin import ServiceAdmin, changed_fields
from users import services
from users.models import ApiKey, ApiKeyUsage, User
from users.usage import flush_all as flush_usage


class UserCreationForm(forms.ModelForm):
    password = forms.CharField(widget=forms.PasswordInput, required=False)

    class Meta:
        model = User
        fields = ["email", "name", "role", "is_active"]

    def clean_password(self):
        password = self.cleaned_data.get("password")
        if password:
            password_validation.validate_password(password)
        return password


class UserChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email", "name", "role", "is_active"]


class UserPasswordForm(AdminPasswordChangeForm):
    """Django's password page, saving through the users service instead of `user.save()`."""

    def save(self, commit=True):
        usable = self.cleaned_data.get("set_usable_password", True)
        password = self.cleaned_data["password1"] if usable else None
        return services.user_set_password(user=self.user, password=password)


@admin.register(User)
class UserAdmin(ServiceAdmin, BaseUserAdmin):
    """Users through the same services as the API: admin rights follow the role, passwords
    are validated, and the last active administrator is neither deleted, demoted nor
    deactivated (the page shows the refusal)."""

    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = UserPasswordForm
    list_display = ["email", "name", "role", "is_active", "last_login", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "name"]
    ordering = ["email"]
    readonly_fields = ["last_login", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["email", "name", "role", "is_active"]}),
        ("Activity", {"fields": ["last_login", "created_at", "updated_at"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "name", "role", "password"]})]
    filter_horizontal: list = []

    def service_create(self, request, form, formsets):
        return services.user_create(**form.cleaned_data)

    def service_update(self, request, obj, form, formsets):
        return services.user_update(user=obj, **changed_fields(form))

    def service_delete(self, request, obj):
        services.user_delete(user=obj, acting_user=request.user)


class ReadOnlyAdminMixin:
    """Usage rows are written by the API only: administrators read them, nobody edits them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ApiKeyUsageInline(ReadOnlyAdminMixin, TabularInline):
    model = ApiKeyUsage
    fields = ["day", "count_2xx", "count_3xx", "count_4xx", "count_5xx", "total"]
    readonly_fields = fields
    ordering = ["-day"]
    extra = 0
    max_num = 0
    verbose_name_plural = "Usage per day (UTC)"

    def get_queryset(self, request):
        # The last 90 days: the page stays small for a key used for years.
        cutoff = timezone.now().date() - timedelta(days=90)
        return super().get_queryset(request).filter(day__gte=cutoff)


@admin.register(ApiKeyUsage)
class ApiKeyUsageAdmin(ReadOnlyAdminMixin, ServiceAdmin):
    list_display = [
        "day",
        "api_key",
        "owner",
        "count_2xx",
        "count_3xx",
        "count_4xx",
        "count_5xx",
        "total",
    ]
    list_filter = [("day", admin.DateFieldListFilter), "api_key__is_sandbox"]
    search_fields = ["api_key__prefix", "api_key__name", "api_key__user__email"]
    list_select_related = ["api_key__user"]
    date_hierarchy = "day"

    @admin.display(description="Owner", ordering="api_key__user__email")
    def owner(self, obj):
        return obj.api_key.user.email

    def changelist_view(self, request, extra_context=None):
        flush_usage()  # counts buffered in the cache: show staff the current figures
        return super().changelist_view(request, extra_context)


@admin.register(ApiKey)
class ApiKeyAdmin(ServiceAdmin):
    # Few, narrow columns: the list fits a 1280 px window beside the sidebar.
    list_display = [
        "key_shown",
        "owner",
        "role",
        "mode",
        "last_used_at",
        "request_count",
        "state",
    ]
    list_filter = [
        "is_sandbox",
        "require_signature",
        "user__role",
        ("revoked_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["prefix", "name", "user__email"]
    list_select_related = ["user"]
    readonly_fields = [
        "prefix",
        "key_hash",
        "created_at",
        "last_used_at",
        "request_count",
        "revoked_at",
        "require_signature",
    ]
    fields = ["user", "name", "is_sandbox", "expires_at", *readonly_fields]
    actions = ["revoke", "require_signature_action", "drop_signature_action"]

    def changelist_view(self, request, extra_context=None):
        flush_usage()  # request counts and last use are buffered in the cache
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        flush_usage()
        return super().change_view(request, object_id, form_url, extra_context)

    def get_inlines(self, request, obj):
        # Usage exists only for a saved key; on the add form the (read-only) inline would
        # only demand management-form data that a plain "add key" post does not send.
        return [ApiKeyUsageInline] if obj is not None else []

    @admin.display(description="Key", ordering="prefix")
    def key_shown(self, obj):
        return format_html("<strong>{}</strong><br>{}", obj.prefix, obj.name)

    @admin.display(description="Owner", ordering="user__email")
    def owner(self, obj):
        return obj.user.email

    @admin.display(description="Mode")
    def mode(self, obj):
        mode = "Sandbox" if obj.is_sandbox else "Live"
        return f"{mode}, signed" if obj.require_signature else mode

    @admin.display(description="State", ordering="revoked_at")
    def state(self, obj):
        if obj.revoked_at:
            return f"Revoked {obj.revoked_at:%Y-%m-%d}"
        if obj.expires_at:
            return f"Expires {obj.expires_at:%Y-%m-%d}"
        return "Active"

    @admin.display(description="Role", ordering="user__role")
    def role(self, obj):
        return obj.user.get_role_display()

    def get_readonly_fields(self, request, obj=None):
        # The owner and the live/sandbox kind are what a key is: another one is a new key.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "user", "is_sandbox"] if obj is not None else fields

    def service_create(self, request, form, formsets):
        key, raw = services.api_key_create(**form.cleaned_data)
        messages.warning(request, f"New API key (shown once, copy it now): {raw}")
        return key

    def service_update(self, request, obj, form, formsets):
        return services.api_key_update(api_key=obj, **changed_fields(form))

    def service_delete(self, request, obj):
        services.api_key_delete(api_key=obj)

    @admin.action(description="Require signed requests (new signing secret)")
    def require_signature_action(self, request, queryset):
        keys = list(queryset)

        def require_all():
            for key in keys:
                services.api_key_require_signature(api_key=key)

        if self.run_service(request, require_all):
            for key in keys:
                messages.warning(
                    request,
                    f"Signing secret for {key.prefix}… (shown once, copy it now): "
                    f"{key.signing_secret}",
                )

    @admin.action(description="Stop requiring signed requests")
    def drop_signature_action(self, request, queryset):
        keys = list(queryset)

        def drop_all():
            for key in keys:
                services.api_key_drop_signature(api_key=key)

        self.run_service(request, drop_all, f"Signing turned off for {len(keys)} key(s).")

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        keys = list(queryset)

        def revoke_all():
            for key in keys:
                services.api_key_revoke(api_key=key)

        self.run_service(request, revoke_all, f"Revoked {len(keys)} key(s).")
