"""The audit trail in the admin, and what every app's admin shares.

Staff read the trail here and never change it. Edits that staff make in the
other admins are written to it, in the same database transaction (ARCHITECTURE.md,
rule 9), by `AuditedAdminMixin`.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .audit import audit_log_record
from .client_ip import client_ip
from .errors import DomainError
from .models import AuditLog
from .money import money_str


def money(amount, currency) -> str:
    """Money as staff read it: "55.00 EUR"."""
    if amount is None:
        return "-"
    return f"{money_str(amount)} {currency}"


def _audit_value(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set | models.QuerySet):
        return [_audit_value(item) for item in value]
    return value


class AuditedAdminMixin:
    """Record every save and delete made through this admin in the audit trail.

    The admin runs its add, change and delete views in a transaction, so the row
    is written if and only if the change is. Changes list each edited field as
    {"from": old, "to": new}; the password hash is never recorded.
    """

    audit_ignored_fields = ("password",)

    def _audit(self, request, obj, verb, changes=None):
        audit_log_record(
            actor=request.user,
            action=f"{obj._meta.model_name}.admin_{verb}",
            entity=obj,
            changes=changes,
            ip_address=client_ip(request),
        )

    def _audit_changes(self, form, change):
        opts = self.model._meta
        model_fields = {f.name for f in opts.get_fields() if f.concrete or f.many_to_many}
        changes = {}
        for name in form.changed_data:
            if name not in model_fields or name in self.audit_ignored_fields:
                continue
            changes[name] = {
                "from": _audit_value(form.initial.get(name)) if change else None,
                "to": _audit_value(form.cleaned_data.get(name)),
            }
        # A JSONField stores plain JSON: Decimals, dates and times become strings.
        changes = json.loads(json.dumps(changes, cls=DjangoJSONEncoder))
        # A field the form only thinks changed (e.g. a callable default) is left out.
        return {name: c for name, c in changes.items() if c["from"] != c["to"] or not change}

    def save_model(self, request, obj, form, change):
        changes = self._audit_changes(form, change)
        super().save_model(request, obj, form, change)
        if changes or not change:
            self._audit(request, obj, "changed" if change else "created", changes)

    def delete_model(self, request, obj):
        self._audit(request, obj, "deleted")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The bulk "delete selected" action is not atomic by itself.
        with transaction.atomic():
            for obj in queryset:
                self._audit(request, obj, "deleted")
            super().delete_queryset(request, queryset)


class ReadOnlyAdminMixin:
    """Staff may look but not add, change or delete (records the services own)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LargeTableAdminMixin:
    """The changelist of a table that grows with every sale: newest first by
    primary key (indexed, in created_at's order), 50 a page, and no COUNT(*)
    of the whole table on each filtered page."""

    ordering = ("-id",)
    list_per_page = 50
    show_full_result_count = False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    show_change_link = True


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "action", "entity_type", "entity_id", "actor", "ip_address")
    list_filter = ("action", "entity_type", "created_at")
    search_fields = ("=entity_id", "=request_id", "action", "actor__email")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_select_related = ("actor",)
    list_per_page = 100
    show_full_result_count = False
    # No actions at all: above all, no "delete selected".
    actions = None
    fields = (
        "created_at",
        "actor",
        "action",
        "entity_type",
        "entity_id",
        "changes",
        "ip_address",
        "request_id",
    )
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        # Every staff member may read the trail; nobody may write it here.
        return request.user.is_active and request.user.is_staff


class ActionNoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note for the record"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        required=False,
    )


def confirm_then(modeladmin, request, queryset, *, title: str, explanation: str, perform):
    """An admin action in two steps: a confirmation page listing the selected
    objects with a note field, then `perform(obj, note)` for each of them.

    `perform` calls a service; a DomainError it raises is shown to staff
    against that object, and the others still go through.
    """
    if request.POST.get("post") == "yes":
        form = ActionNoteForm(request.POST)
        if form.is_valid():
            done = 0
            for obj in queryset:
                try:
                    perform(obj, form.cleaned_data["note"])
                except DomainError as exc:
                    modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
                else:
                    done += 1
            if done:
                modeladmin.message_user(
                    request,
                    _("%(action)s: %(count)s done.") % {"action": title, "count": done},
                    messages.SUCCESS,
                )
            return None
    else:
        form = ActionNoteForm()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "explanation": explanation,
        "objects": list(queryset),
        "form": form,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/confirm_action.html", context)
