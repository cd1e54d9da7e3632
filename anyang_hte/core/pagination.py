"""Pagination that never counts a whole large table.

A list counts at most ``LIST_COUNT_CAP`` + 1 matching rows (an index-only scan under a LIMIT); above
that it says "more than N" and asks for a narrower filter instead of paying for an exact COUNT(*).
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *args, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.cap = cap or settings.LIST_COUNT_CAP

    @cached_property
    def count(self):
        rows = self.object_list
        # django-tables2 hands over its BoundRows; count on the queryset underneath.
        queryset = getattr(getattr(rows, "data", None), "data", rows)
        if hasattr(queryset, "values"):
            # Count ids only: no ordering, no joins or annotations the page itself needs.
            queryset = queryset.order_by().values("pk")
        head = queryset[: self.cap + 1]
        n = head.count() if hasattr(head, "values") else len(head)  # a queryset, or a list built in memory
        self._capped = n > self.cap
        return min(n, self.cap)

    @property
    def capped(self) -> bool:
        return self.count >= self.cap and self._capped
