"""Read-only registrations in the Django admin.

Ledger and money rows change only through the services (right and scope checks, audit entries, the
enterprise's derived ``stage``, generated rewards). The admin may list, search, filter and open them, and
read their field history, but never writes them: no add, change or delete, no bulk action, no POST to the
change list or the history pages, and no simple-history "revert".
"""

from django.core.exceptions import PermissionDenied
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

SAFE_METHODS = ("GET", "HEAD")


class ReadOnlyAdminMixin:
    """For a ``ModelAdmin``: view only. ``readonly_note`` (lazy text) is shown at the top of its pages."""

    readonly_note = None
    change_form_template = "admin/readonly_change_form.html"
    change_list_template = "admin/readonly_change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # No action and no list_editable is offered, so a POST here can only be a forged write.
        if request.method not in SAFE_METHODS:
            raise PermissionDenied
        return super().changelist_view(request, self._with_note(extra_context))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, self._with_note(extra_context))

    def history_view(self, request, object_id, extra_context=None):
        if request.method not in SAFE_METHODS:
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def _with_note(self, extra_context):
        return {"readonly_note": self.readonly_note, **(extra_context or {})}


class ReadOnlyInlineMixin:
    """For an ``InlineModelAdmin``: rows shown, none added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyHistoryAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """A read-only ``SimpleHistoryAdmin``: the history list and each version can be read, not reverted.

    simple-history's ``history_form_view`` checks only the *view* permission before it saves a POSTed
    version (``revert_disabled`` and ``SIMPLE_HISTORY_REVERT_DISABLED`` merely hide the button, and its
    form is built without the view-only exclusions), so a POST there is refused here, and every field is
    read-only so the version page shows values rather than inputs.
    """

    def has_change_history_permission(self, request, obj=None):
        return False

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in SAFE_METHODS:
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request, obj=None):
        opts = self.model._meta
        names = [
            f.name
            for f in [*opts.fields, *opts.many_to_many]
            if not (isinstance(f, models.AutoField) and f.primary_key)
        ]
        return [*names, *(f for f in super().get_readonly_fields(request, obj) if f not in names)]
