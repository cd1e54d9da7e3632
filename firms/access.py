"""The firm user's door: every firm page is a ``firm_page``, which lets in a firm user (企业用户) linked to
its enterprise and nobody else, and hands the view that enterprise, and only that one.

It fails closed: another role gets a 403 (the county and city offices have their own pages), a firm
user whose enterprise link is missing (a registration its county has not confirmed, or a link removed)
sees a page that says so and nothing of any enterprise.
"""

from functools import wraps

from django.shortcuts import render
from django.utils.translation import gettext as _

from anyang_hte.core.roles import Right, has_right, is_firm_user
from anyang_hte.core.scope import firm_enterprise_id
from enterprises.models import Enterprise


def own_enterprise(user) -> Enterprise | None:
    """The enterprise ``user`` acts for as a firm user, or None (not a firm user, or not linked)."""
    enterprise_id = firm_enterprise_id(user)
    if enterprise_id is None:
        return None
    return Enterprise.objects.select_related("jurisdiction").filter(pk=enterprise_id).first()


def firm_page(view):
    """Only a linked firm user gets in; the view receives ``enterprise`` (its own, as stored)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not is_firm_user(user):
            return render(request, "403.html", {"exception": _("此页面仅供企业用户使用。")}, status=403)
        enterprise = own_enterprise(user) if has_right(user, Right.FIRM_SELF) else None
        if enterprise is None:
            return render(request, "firms/not_linked.html", {"crumbs": [(_("企业端"), None)]}, status=403)
        return view(request, *args, enterprise=enterprise, **kwargs)

    return wrapped
