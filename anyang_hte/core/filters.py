"""The base of every list filter: a filter value that does not validate shows nothing, never everything.

django-filter leaves an invalid field out of the filtering, so ``?planned_year=abc`` would list the
whole table as if it were filtered. Here the list is empty instead, and the filter bar
(``includes/filter_bar.html``) says which value was refused and why.
"""

import django_filters


class StrictFilterSet(django_filters.FilterSet):
    @property
    def qs(self):
        if not hasattr(self, "_qs") and self.is_bound and not self.form.is_valid():
            self._qs = self.queryset.none()
        return super().qs
