from django import forms
from django.contrib import admin, messages
from django.contrib.auth import password_validation
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm

from users import services
from users.models import ApiKey, User


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


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
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

    def save_model(self, request, obj, form, change):
        # The same service as the API: role-derived admin rights, validated passwords.
        data = {
            f: form.cleaned_data[f]
            for f in ["email", "name", "role", "is_active"]
            if f in form.cleaned_data
        }
        if change:
            services.user_update(user=obj, **data)
        else:
            created = services.user_create(password=form.cleaned_data.get("password"), **data)
            obj.pk = created.pk


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "name",
        "user",
        "role",
        "is_sandbox",
        "last_used_at",
        "request_count",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["is_sandbox", "user__role", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "user__email"]
    list_select_related = ["user"]
    readonly_fields = [
        "prefix",
        "key_hash",
        "created_at",
        "last_used_at",
        "request_count",
        "revoked_at",
    ]
    fields = ["user", "name", "is_sandbox", "expires_at", *readonly_fields]
    actions = ["revoke"]

    @admin.display(description="Role", ordering="user__role")
    def role(self, obj):
        return obj.user.get_role_display()

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = services.api_key_create(
            user=obj.user, name=obj.name, is_sandbox=obj.is_sandbox, expires_at=obj.expires_at
        )
        obj.pk = key.pk
        messages.warning(request, f"New API key (shown once, copy it now): {raw}")

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            services.api_key_revoke(api_key=key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")
