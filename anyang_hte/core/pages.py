"""Small helpers every app's views share: how a refusal reaches the user, how a table pages."""

from django_tables2 import RequestConfig

from .errors import DomainError
from .pagination import CappedPaginator


def add_refusal_to_form(form, exc) -> None:
    """Attach a service's refusal to the form field it concerns, keeping what the user typed."""
    if isinstance(exc, DomainError):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def refusal_message(exc) -> str:
    """A service's refusal (DomainError or ValidationError) as one line for a flash message."""
    return exc.message if isinstance(exc, DomainError) else "；".join(exc.messages)


def paginate_table(request, table, *, per_page: int = 50):
    """Page a django-tables2 table without counting past the list cap."""
    RequestConfig(request, paginate={"per_page": per_page, "paginator_class": CappedPaginator}).configure(
        table
    )
    return table
