"""Keyset ("next" / "previous") paging for the rows past a list's count cap.

A numbered page costs an OFFSET, and a capped paginator cannot say how many pages there are, so past
``LIST_COUNT_CAP`` rows a list pages by position instead: ``?after=<cursor>`` shows the rows that come
after the row the cursor names in the list's own order, ``?before=<cursor>`` the rows before it. The
cursor holds that row's sort-key values and id, signed with the site's secret for this page and this
order, so a changed or garbled cursor is refused with a message rather than failing or jumping.

The keys come from the queryset's ``order_by`` at run time: each term must be a column (a field of
the model, or of a model reached through foreign keys), a foreign key without ``_id`` standing for its
model's own ordering as Django reads it; the primary key is added at the end when the ordering does not
end with it, so the order is total. An ordering by an annotation or expression has no keys: such a
list shows its numbered pages only and says that the rows past the cap need a narrower filter.
"""

from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.db.models import F, OrderBy, Q
from django.utils.translation import gettext as _

from .errors import DomainError

SALT = "anyang_hte.keyset"
_encoder = DjangoJSONEncoder()


class BadCursor(DomainError):
    """The page position in the link was changed, garbled, or belongs to another list."""


class StaleCursor(BadCursor):
    """A genuine page position for another order of the same list (the sort was changed)."""


@dataclass(frozen=True)
class Key:
    path: str  # the lookup path, e.g. "jurisdiction__sort_order"
    descending: bool
    field: object  # the model field at the end of the path


def _expand(model, name: str, descending: bool, seen: frozenset = frozenset()) -> list[Key] | None:
    """One ordering term as key columns (Django's expansion of a relation to its model's ordering)."""
    if name == "?":
        return None
    parts = name.split("__")
    opts, path = model._meta, []
    for i, part in enumerate(parts):
        try:
            field = opts.pk if part == "pk" else opts.get_field(part)
        except FieldDoesNotExist:
            field = next((f for f in opts.concrete_fields if f.attname == part), None)
            if field is None or i != len(parts) - 1:
                return None  # an annotation, an alias or an unknown name
            path.append(field.attname)
            return [Key("__".join(path), descending, field)]
        if not getattr(field, "concrete", False) or field.many_to_many or field.one_to_many:
            return None  # reverse relations and many-to-many multiply rows
        if field.is_relation and part == field.attname != field.name:
            if i != len(parts) - 1:
                return None
            path.append(field.attname)  # "jurisdiction_id": the column itself, not its model's ordering
            return [Key("__".join(path), descending, field)]
        path.append(field.name)
        if field.is_relation:
            related = field.related_model
            if i == len(parts) - 1:
                ordering = related._meta.ordering
                if not ordering:
                    return [Key("__".join(path), descending, field)]
                key = ("__".join(path), related)
                if key in seen:
                    return None
                keys = []
                for term in ordering:
                    if not isinstance(term, str):
                        return None
                    desc = term.startswith("-")
                    sub = _expand(related, term.lstrip("-"), desc != descending, seen | {key})
                    if sub is None:
                        return None
                    keys += [Key("__".join(path) + "__" + k.path, k.descending, k.field) for k in sub]
                return keys
            opts = related._meta
    return [Key("__".join(path), descending, field)]


def ordering_keys(queryset) -> list[Key] | None:
    """The columns the queryset is ordered by, ending with its primary key; ``None`` if they are not all
    columns (then the list cannot be paged by position)."""
    query = queryset.query
    if query.order_by:
        terms = list(query.order_by)
    elif query.default_ordering:
        terms = list(queryset.model._meta.ordering)
    else:
        terms = []
    model = queryset.model
    keys: list[Key] = []
    for term in terms:
        if isinstance(term, OrderBy) and isinstance(term.expression, F):
            if term.nulls_first or term.nulls_last:
                return None
            name, descending = term.expression.name, term.descending
        elif isinstance(term, F):
            name, descending = term.name, False
        elif isinstance(term, str):
            name, descending = term.lstrip("-"), term.startswith("-")
        else:
            return None
        expanded = _expand(model, name, descending)
        if expanded is None:
            return None
        for key in expanded:
            if key.path in {k.path for k in keys}:
                continue  # a repeated column decides nothing the first did not
            keys.append(key)
            own = "__" not in key.path
            if own and (key.field is model._meta.pk or (key.field.unique and not key.field.null)):
                return keys  # unique and never empty: nothing after it matters (its own index serves it)
    return [*keys, Key(model._meta.pk.name, False, model._meta.pk)]


def stable(queryset, keys: list[Key]):
    """The queryset ordered by exactly ``keys`` (the same order, with the id as the last tie-breaker)."""
    return queryset.order_by(*[("-" if k.descending else "") + k.path for k in keys])


def _order(keys: list[Key]) -> str:
    return ",".join(("-" if k.descending else "") + k.path for k in keys)


def make_cursor(queryset, keys: list[Key], record, *, scope: str) -> str:
    """A signed cursor naming ``record`` by its sort-key values (its own columns are read from it; a
    related model's column costs one small query)."""
    if any("__" in k.path for k in keys):
        paths = [k.path for k in keys]
        values = queryset.model._default_manager.filter(pk=record.pk).values_list(*paths).get()
    else:
        values = [getattr(record, k.field.attname) for k in keys]
    payload = [v if v is None or isinstance(v, str | int) else _encoder.default(v) for v in values]
    return signing.dumps({"o": _order(keys), "v": payload}, salt=SALT + ":" + scope, compress=True)


def read_cursor(cursor: str, keys: list[Key], *, scope: str) -> list:
    """The key values a cursor holds. :class:`BadCursor` if it was changed or garbled,
    :class:`StaleCursor` if it is genuine but for another order (the user changed the sort)."""
    refusal = _("翻页位置无效：链接可能被改动或不完整。请回到第一页重新翻页。")
    try:
        payload = signing.loads(cursor, salt=SALT + ":" + scope)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadCursor(refusal) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("v"), list):
        raise BadCursor(refusal)
    if payload.get("o") != _order(keys) or len(payload["v"]) != len(keys):
        raise StaleCursor(_("排序已改变，已从新排序的第一页开始显示。"))
    try:
        return [None if v is None else k.field.to_python(v) for k, v in zip(keys, payload["v"], strict=True)]
    except Exception:  # noqa: BLE001 - any value a field refuses is a bad cursor, never a 500
        raise BadCursor(refusal) from None


def _beyond(key: Key, value, *, greater: bool, nulls_largest: bool) -> Q | None:
    """Rows whose ``key`` comes strictly after (``greater``) or before ``value`` in value order, with NULL
    where the database sorts it; ``None`` when there are none."""
    isnull = Q(**{f"{key.path}__isnull": True})
    if value is None:
        if greater == nulls_largest:
            return None
        return ~isnull
    q = Q(**{f"{key.path}__{'gt' if greater else 'lt'}": value})
    return q | isnull if greater == nulls_largest and key.field.null else q


def _row_comparison(keys: list[Key], values: list, *, forward: bool):
    """``(a, b, id) > (x, y, z)`` when every key runs the same way and holds no NULL: one index range
    scan on PostgreSQL (Django's tuple lookups; they spell it out as ORs where rows cannot be compared)."""
    nullable = any(v is None or k.field.null for k, v in zip(keys, values, strict=True))
    if nullable or len({k.descending for k in keys}) != 1:
        return None
    try:
        from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
    except ImportError:  # pragma: no cover - a Django without them: the OR form below does the same
        return None
    lookup = TupleGreaterThan if forward != keys[0].descending else TupleLessThan
    return lookup(Tuple(*[F(k.path) for k in keys]), list(values))


def keyset_filter(queryset, keys: list[Key], values: list, *, forward: bool):
    """The queryset narrowed to the rows after (``forward``) or before the row with ``values``."""
    row = _row_comparison(keys, values, forward=forward)
    if row is not None:
        return queryset.filter(row)
    nulls_largest = connections[queryset.db].features.nulls_order_largest
    condition, equal = Q(pk__in=[]), Q()
    for key, value in zip(keys, values, strict=True):
        beyond = _beyond(key, value, greater=forward != key.descending, nulls_largest=nulls_largest)
        if beyond is not None:
            condition |= equal & beyond
        equal &= Q(**{f"{key.path}__isnull": True}) if value is None else Q(**{key.path: value})
    return queryset.filter(condition)


def reverse_order(queryset, keys: list[Key]):
    return queryset.order_by(*[("" if k.descending else "-") + k.path for k in keys])
