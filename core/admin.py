"""The one way the Django admin writes: every admin module's `ModelAdmin` inherits
`ServiceAdmin`, which hands saves, deletes and bulk deletes to the room's services and turns a
service's refusal into an error message on the page, in the words of the rule that refused.

A subclass implements what it allows:
- `service_create(request, form, formsets) -> obj` and `service_update(request, obj, form,
  formsets) -> obj` (the main form and its inlines are saved together, inside the admin's own
  transaction, so a refusal by the service rolls all of it back);
- `service_delete(request, obj)`: used by the delete page and by "Delete selected", one
  service call per row (so each row gets its event), all rows or none.

Business rules stay in the services: the admin never hides a delete button or a page behind a
permission because of a row's state; it lets the service refuse and shows why.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.http import HttpResponseRedirect
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.contrib.import_export.forms import ExportForm, ImportForm

from core.errors import DomainError, DomainValidationError


def error_text(exc: DomainError) -> str:
    """One line for the page: the field sentences of a validation error, else its message."""
    if isinstance(exc, DomainValidationError):
        return "; ".join(f"{field}: {message}" for field, message in exc.errors.items())
    return exc.message


def changed_fields(form) -> dict:
    """The fields the user changed on the page, cleaned, as an update service's keyword
    arguments: a value someone else saved since the page was opened is not written back."""
    return {name: form.cleaned_data[name] for name in form.changed_data}


class ServiceAdmin(UnfoldModelAdmin):
    # django-unfold's screens (docs/admin.md): wide lists scroll inside their panel, never
    # the page; the submit line stays in view on long forms.
    list_fullwidth = False
    warn_unsaved_form = True
    compressed_fields = True
    # The import and export pages in unfold's widgets (used by the admins that add
    # django-import-export's ImportExportMixin: customers, products, transactions).
    import_form_class = ImportForm
    export_form_class = ExportForm

    def service_create(self, request, form, formsets):
        raise PermissionDenied  # read-only unless the subclass allows it

    def service_update(self, request, obj, form, formsets):
        raise PermissionDenied

    def service_delete(self, request, obj) -> None:
        raise PermissionDenied

    # --- Django's write hooks, all routed to the services ----------------------------------

    def save_model(self, request, obj, form, change):
        # Written in save_related, with the inlines, by the service.
        pass

    def save_related(self, request, form, formsets, change):
        if change:
            saved = self.service_update(request, form.instance, form, formsets)
        else:
            saved = self.service_create(request, form, formsets)
        # The admin redirects and logs with the instance it built from the form.
        form.instance.pk = saved.pk
        form.instance.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        # Inlines reach the database only through service_create/service_update.
        pass

    def delete_model(self, request, obj):
        self.service_delete(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic(using=router.db_for_write(self.model)):
            for obj in queryset.order_by("pk"):
                self.service_delete(request, obj)

    def construct_change_message(self, request, form, formsets, add=False):
        # The services saved the inlines, so the formsets have no saved-object lists to name.
        return super().construct_change_message(request, form, [], add)

    def get_deleted_objects(self, objs, request):
        # Django would list every related row and ask for permission to delete each, which
        # turns a business rule ("a customer with invoices stays") into a permission error.
        # The service decides; the page lists only what was picked.
        to_delete = [str(obj) for obj in objs]
        model_count = {self.model._meta.verbose_name_plural: len(to_delete)}
        return to_delete, model_count, set(), []

    # --- refusals become messages -----------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path().rsplit("delete/", 1)[0])

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except DomainError as exc:
            # An action (bulk delete included) refused: nothing of it was written.
            self.message_user(request, error_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def run_service(
        self, request, call, success: str | None = None, refusal_prefix: str = ""
    ) -> bool:
        """For admin actions and buttons: runs `call()`, shows `success` or the refusal
        (after `refusal_prefix`, e.g. "QUO-2024-001: ", when an action runs it per row)."""
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                call()
        except DomainError as exc:
            self.message_user(request, refusal_prefix + error_text(exc), messages.ERROR)
            return False
        if success:
            self.message_user(request, success, messages.SUCCESS)
        return True
