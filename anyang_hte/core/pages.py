"""What every app's views share: how a refusal reaches the user, how a form page runs, how a table pages.

Services refuse with one error type, :class:`~anyang_hte.core.errors.DomainError`, so a view catches
that and nothing else. Breadcrumbs are a list of ``(label, url)`` pairs in the ``crumbs`` context
variable; ``base.html`` draws them with ``includes/crumbs.html`` (the last one, without a url, is the
page itself).
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.shortcuts import redirect, render
from django_tables2 import RequestConfig

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
    query.pop("page", None)
    return query.urlencode()


def screen_order(request, table) -> list:
    """The records of a django-tables2 table in the order the page shows them (its ``?sort=``), unpaged:
    what an export next to the table writes."""
    RequestConfig(request, paginate=False).configure(table)
    return [row.record for row in table.rows]


def paginate_table(request, table, *, per_page: int = 50):
    """Page a django-tables2 table without counting past the list cap."""
    RequestConfig(request, paginate={"per_page": per_page, "paginator_class": CappedPaginator}).configure(
        table
    )
    return table
