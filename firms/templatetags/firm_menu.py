"""The firm user's menu: the firm pages that exist, in the order a firm works through them."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

register = template.Library()

MENU = (
    ("firms:home", _("我的企业")),
    ("firms:submissions", _("信息填报")),
    ("firms:evaluation", _("自我评价")),
    ("firms:round", _("高企申报")),
    ("firms:rewards", _("我的奖励")),
)


@register.inclusion_tag("firms/_menu.html", takes_context=True)
def firm_menu(context):
    request = context.get("request")
    current = request.resolver_match.view_name if request and request.resolver_match else ""
    items = []
    for name, label in MENU:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": current.startswith(name)})
    return {"items": items}
