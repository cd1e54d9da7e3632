"""The admin's django-import-export exports, with formula cells neutralised like the portal's own exports.

Every admin ``resource_classes`` entry derives from ``NeutralisedModelResource``: each exported text
value, headers included, goes through ``anyang_hte.core.exporters.neutralise`` (an apostrophe before a
text starting with ``= + - @ \\t \\r``), so whichever format is chosen (settings restrict the admin to
xlsx and csv), a ledger name such as ``=HYPERLINK(...)`` is written as text, never as a live formula.

Why a resource base class rather than rebuilding the admin export on ``ListExporter``: it is a dozen
lines at the one place every admin format passes through (the tablib ``Dataset`` the resource builds),
and it keeps django-import-export's export page (resource and field choice, the change list's search
and filters) as it is. Rebuilding on ``ListExporter`` would mean a second export view and form to keep
in step with the admin's change list, for the same neutralised cells.

django-import-export's own ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` is not relied on: in 4.4 it
only strips a leading ``=`` from data cells (headers untouched, ``+ - @ \\t \\r`` kept) and turns every
cell into text.
"""

import numbers

from django.utils.encoding import force_str
from import_export import resources

from .exporters import neutralise


class NeutralisedModelResource(resources.ModelResource):
    """A ``ModelResource`` whose exported text cells and headers cannot run as formulas."""

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if not self._has_dehydrate_method(field) and isinstance(field.get_value(instance), numbers.Number):
            # A number, rendered as text for CSV ("-1250.00"): a negative number is not a formula, and
            # the portal's exports leave numbers alone too.
            return value
        return neutralise(value)

    def get_export_headers(self, selected_fields=None):
        return [neutralise(force_str(h)) for h in super().get_export_headers(selected_fields)]

    def _has_dehydrate_method(self, field):
        method = field.get_dehydrate_method(self.get_field_name(field))
        return callable(method) or getattr(self, method, None) is not None
