"""Query expressions the ORM does not have."""

from django.db.models import IntegerField, Subquery


class CountRows(Subquery):
    """``(SELECT count(*) FROM (<queryset>) rows)``: how many rows a (possibly sliced, correlated) queryset
    has, as a column of the outer query. With a slice it is a capped count: ``CountRows(qs[:n + 1])``
    reads at most ``n + 1`` rows of ``qs``, from an index when one serves its filter."""

    template = "(SELECT count(*) FROM (%(subquery)s) counted_rows)"
    output_field = IntegerField()
