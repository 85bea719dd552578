"""Export on every admin list: two site-wide actions, "Export selected as CSV" and "… as XLSX"
(registered in config/urls.py with `admin.site.add_action`, so every changelist has them
without each admin module listing them). Reads only.

A model whose admin has an import/export resource (customers, products, transactions) exports
that resource's columns, the API's field names; any other exports its own columns, less those
that hold secrets (password and key hashes, signing and webhook secrets) or binary data.
"""

from django.contrib import admin
from django.db import models
from django.http import HttpResponse
from import_export.formats.base_formats import CSV, XLSX
from import_export.resources import modelresource_factory

SECRET_NAMES = {"password", "key_hash", "secret", "signing_secret"}


def _exportable(field) -> bool:
    if not field.concrete or field.many_to_many:
        return False
    if isinstance(field, models.BinaryField | models.FileField):
        return False
    return field.name not in SECRET_NAMES and not field.name.endswith(("_hash", "_secret"))


def export_resource(modeladmin, request):
    own = getattr(modeladmin, "get_export_resource_classes", None)
    if own is not None:
        return own(request)[0]()
    names = [field.name for field in modeladmin.model._meta.get_fields() if _exportable(field)]
    return modelresource_factory(
        modeladmin.model, meta_options={"fields": names, "export_order": names}
    )()


def _export(modeladmin, request, queryset, file_format) -> HttpResponse:
    dataset = export_resource(modeladmin, request).export(queryset=queryset.order_by("pk"))
    content = file_format.export_data(dataset)
    name = modeladmin.model._meta.verbose_name_plural.replace(" ", "-")
    response = HttpResponse(content, content_type=file_format.get_content_type())
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format.get_extension()}"'
    return response


@admin.action(description="Export selected %(verbose_name_plural)s as CSV", permissions=["view"])
def export_csv(modeladmin, request, queryset):
    return _export(modeladmin, request, queryset, CSV())


@admin.action(description="Export selected %(verbose_name_plural)s as XLSX", permissions=["view"])
def export_xlsx(modeladmin, request, queryset):
    return _export(modeladmin, request, queryset, XLSX())
