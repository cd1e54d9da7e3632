"""Search predicates that PostgreSQL's trigram indexes can serve.

Django turns ``icontains`` into ``UPPER(col::text) LIKE UPPER(%s)`` on PostgreSQL; a ``gin_trgm_ops``
index on the plain column cannot serve that expression, so every search read the whole table. ``ILIKE``
means the same (case-insensitive "contains") and the trigram index serves it. Other databases (SQLite,
the embedded default) keep Django's own ``icontains``.
"""

from django.db.models import F, Q
from django.db.models.lookups import IContains


class TrigramIContains(IContains):
    """``col ILIKE '%value%'`` on PostgreSQL; Django's ``icontains`` elsewhere."""

    def as_postgresql(self, compiler, connection):
        lhs_sql, lhs_params = compiler.compile(self.lhs)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)  # '%value%', with % _ \ escaped
        return f"{lhs_sql} ILIKE {rhs_sql}", (*lhs_params, *rhs_params)


def icontains(field: str, value: str) -> Q:
    """A ``Q`` for "``field`` contains ``value``, ignoring case" that a trigram index on ``field`` serves."""
    return Q(TrigramIContains(F(field), value))
