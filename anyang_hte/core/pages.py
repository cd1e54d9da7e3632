"""What every app's views share: how a refusal reaches the user, how a form page runs, how a table pages.

Services refuse with one error type, :class:`~anyang_hte.core.errors.DomainError`, so a view catches
that and nothing else. Breadcrumbs are a list of ``(label, url)`` pairs in the ``crumbs`` context
variable; ``base.html`` draws them with ``includes/crumbs.html`` (the last one, without a url, is the
page itself).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig
from django_tables2.rows import BoundRows

from . import keyset
from .errors import DomainError
from .pagination import CappedPaginator

FORM_TEMPLATE = "form_page.html"

Crumbs = list[tuple[str, str | None]]


def add_refusal_to_form(form, exc: DomainError) -> None:
    """Attach a service's refusal to the form field(s) it concerns, keeping what the user typed."""
    if not isinstance(exc, DomainError):
        exc = DomainError.from_validation_error(exc)
    if exc.errors:
        for name, errors in exc.errors.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def refusal_message(exc) -> str:
    """A service's refusal as one line for a flash message."""
    if isinstance(exc, DomainError):
        return exc.message
    return "；".join(exc.messages)


def form_errors_message(form) -> str:
    """A form's errors as one line for a flash message (for forms posted from another page)."""
    return "；".join(str(message) for errors in form.errors.values() for message in errors)


def form_page(
    request,
    form,
    *,
    save: Callable[[Any], Any],
    done: str | Callable[[Any], str],
    success_url: str | Callable[[Any], str],
    title: str,
    crumbs: Crumbs,
    cancel: str,
    notice: str = "",
    template: str = FORM_TEMPLATE,
    context: dict | None = None,
):
    """Show ``form``; on a valid POST call ``save(form)`` (one service call) and go to ``success_url``.

    ``done`` is the success message, ``success_url`` the next page; either may be a function of what
    ``save`` returned. A refusal from the service is shown on the form, which keeps what the user typed
    and marks the field concerned. ``crumbs`` leads to this page (its title is added as the last one).
    """
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form)
        except DomainError as exc:
            add_refusal_to_form(form, exc)
        else:
            messages.success(request, done(result) if callable(done) else done)
            return redirect(success_url(result) if callable(success_url) else success_url)
    return render(
        request,
        template,
        {
            "form": form,
            "title": title,
            "crumbs": [*crumbs, (title, None)],
            "cancel": cancel,
            "notice": notice,
            **(context or {}),
        },
    )


def querystring_without_page(request) -> str:
    """The list's filters as a query string for the pager's links (which add their own ``page``)."""
    query = request.GET.copy()
    for name in ("page", "after", "before"):
        query.pop(name, None)
    return query.urlencode()


def screen_order(request, table) -> list:
    """The records of a django-tables2 table in the order the page shows them (its ``?sort=``), unpaged:
    what an export next to the table writes."""
    RequestConfig(request, paginate=False).configure(table)
    return [row.record for row in table.rows]


@dataclass
class Paging:
    """How a list page was paged, for ``includes/deep_paging.html``.

    ``mode``: ``numbered`` (page numbers, a capped count), ``keyset`` (rows by position past the cap, no
    count), ``beyond`` (a page number past the last one the list can number: no rows, a message) or
    ``refused`` (a changed or garbled position: no rows, a message, status 400). ``page`` is the page
    shown (its ``object_list`` the rows, in order; ``includes/pager.html`` draws its numbers).
    """

    mode: str = "numbered"
    message: str = ""
    status: int = 200
    paginator: CappedPaginator | None = None  # the counted paginator (numbered and beyond modes)
    cap: int = 0
    first_url: str = ""
    last_page_url: str = ""
    continue_url: str = ""  # "继续浏览": the rows after the last numbered page
    next_url: str = ""
    previous_url: str = ""
    sortable_deep: bool = True  # the current order can be paged by position
    page: Page | None = None
    empty_text: str = ""  # what an empty page says (a message, or the end of the list)
    querystring: str = ""  # the list's other parameters, for the numbered pager's links
    rows: Any = None  # what was paged, in its total order (the id settling ties when the order is of columns)

    @property
    def records(self) -> list:
        return list(self.page.object_list) if self.page is not None else []


def _url(query: str, **params) -> str:
    extra = urlencode(params)
    return "?" + "&".join(part for part in (query, extra) if part)


def _only_page(records: list, per_page: int) -> Page:
    """``records`` as a page with no other pages (keyset pages and the pages that say why they are empty)."""
    return Page(records, 1, Paginator([], per_page))


def paginate_table(request, table, *, per_page: int | None = None):
    """Page a django-tables2 table the way :func:`paginate_rows` pages its rows (in the ``?sort=`` order).

    Sets ``table.paging`` (a :class:`Paging`) and returns the table. A view renders with
    ``status=table.paging.status``.
    """
    RequestConfig(request, paginate=False).configure(table)  # the ?sort= order, unpaged
    paging = paginate_rows(request, table.data.data, per_page=per_page, page_field=table.prefixed_page_field)
    table.paging = paging
    table.data.data = paging.rows  # the order the rows were paged in
    if paging.mode == "numbered":
        table.paginator = paging.paginator
        table.page = Page(BoundRows(paging.page.object_list, table), paging.page.number, paging.paginator)
    else:
        table.page = Page(BoundRows(paging.page.object_list, table), 1, paging.page.paginator)
        table.empty_text = paging.empty_text or table.empty_text
    return table


def paginate_rows(request, rows, *, per_page: int | None = None, page_field: str = "page") -> Paging:
    """Page ``rows`` (a queryset in its order, or a list) without counting past the list cap; past the cap,
    by position (``?after=`` / ``?before=``, when the queryset's order is of columns).

    A page number past the last one, or one that is not a number, is never shown as another page: the
    page says so and links to the first and the last page (and to the rows after it). Returns a
    :class:`Paging`; its ``page`` holds the rows to show (evaluated), its ``status`` is the response's.
    """
    per_page = per_page or settings.LIST_PAGE_SIZE
    keys = keyset.ordering_keys(rows) if isinstance(rows, QuerySet) else None
    if keys:
        rows = keyset.stable(rows, keys)
    query = querystring_without_page(request)
    paging = Paging(
        cap=CappedPaginator([], per_page).cap,
        first_url=_url(query),
        sortable_deep=bool(keys),
        querystring=query,
        rows=rows,
    )
    after, before = request.GET.get("after"), request.GET.get("before")
    if keys and (after or before):
        try:
            keyset.read_cursor(after or before, keys, scope=request.path)
        except keyset.StaleCursor as exc:  # the sort changed while browsing: its first page, said
            after = before = None
            paging.message = exc.message
        except keyset.BadCursor:
            pass  # refused below
    elif after or before:  # a column whose order is computed was chosen while browsing by position
        after = before = None
        paging.message = _("按当前排序不能逐页浏览编号页之后的记录，已从第一页开始显示。")
    if after or before:
        try:
            _keyset_page(request, paging, rows, keys, per_page, query, after=after, before=before)
        except keyset.BadCursor as exc:
            paging.mode, paging.message, paging.status = "refused", exc.message, 400
            paging.page, paging.empty_text = _only_page([], per_page), exc.message
        return paging
    number = (request.GET.get(page_field) if not paging.message else None) or "1"
    paginator = CappedPaginator(rows, per_page)
    try:
        page = paginator.page(number)
    except (EmptyPage, PageNotAnInteger):
        paging.mode, paging.paginator = "beyond", paginator
        last = paginator.num_pages
        paging.last_page_url = _url(query, **{page_field: last})
        paging.message = _("第 %(n)s 页超出可显示范围：按页码只能翻到第 %(last)s 页。") % {
            "n": number,
            "last": last,
        }
        if paginator.capped and keys:
            boundary = rows[min(paginator.count, last * per_page) - 1]  # the last numbered row
            cursor = keyset.make_cursor(rows, keys, boundary, scope=request.path)
            paging.continue_url = _url(query, after=cursor)
            paging.message += _("之后的记录不编页码，请用“继续浏览”逐页查看。")
        paging.page, paging.empty_text = _only_page([], per_page), paging.message
        return paging
    page.object_list = list(page.object_list)  # evaluated once: the template and the cursor share it
    paging.paginator, paging.page = paginator, page
    if paginator.capped and keys and page.number == paginator.num_pages and page.object_list:
        cursor = keyset.make_cursor(rows, keys, page.object_list[-1], scope=request.path)
        paging.continue_url = _url(query, after=cursor)
    return paging


def _keyset_page(request, paging: Paging, queryset, keys, per_page, query, *, after, before) -> None:
    forward = bool(after)
    values = keyset.read_cursor(after or before, keys, scope=request.path)
    rows = keyset.keyset_filter(queryset, keys, values, forward=forward)
    if not forward:
        rows = keyset.reverse_order(rows, keys)
    records = list(rows[: per_page + 1])
    more = len(records) > per_page
    records = records[:per_page]
    if not forward:
        records.reverse()
    paging.mode = "keyset"
    if records and (more or not forward):
        cursor = keyset.make_cursor(queryset, keys, records[-1], scope=request.path)
        paging.next_url = _url(query, after=cursor)
    if records and (more or forward):
        cursor = keyset.make_cursor(queryset, keys, records[0], scope=request.path)
        paging.previous_url = _url(query, before=cursor)
    paging.page = _only_page(records, per_page)
    paging.empty_text = _("已到列表末尾，没有更多记录。") if forward else _("已到列表开头。")
