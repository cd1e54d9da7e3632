"""The enterprise page's panel of its firm users, for the official of its county (nobody else sees it).

A tag rather than view code: the ledger's page (a lower app) includes the panel by template, so the
ledger never imports the firm-account app.
"""

from django import template

from ..selectors import firm_accounts, pending_count

register = template.Library()


@register.inclusion_tag("firms/_enterprise_accounts_panel.html", takes_context=True)
def firm_accounts_panel(context, enterprise):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "enterprise": enterprise,
        "accounts": firm_accounts(enterprise, user) if user is not None else None,
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def pending_registrations(context) -> int:
    """How many self-registrations wait for the signed-in official's county (for the menu's badge)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return pending_count(user) if user is not None else 0
