"""The three rewards of 安政办〔2017〕100号, present after ``migrate`` (domain.md)."""

import datetime
from decimal import Decimal

from django.utils.translation import gettext, gettext_noop

POLICY_2017 = "安政办〔2017〕100号"
POLICY_START = datetime.date(2017, 12, 29)

RULES = [
    # code, name, trigger kind, city share, county share, first time only
    (
        "HTE_NEW",
        gettext_noop("新认定高新技术企业奖励"),
        "hte",
        Decimal("150000.00"),
        Decimal("150000.00"),
        True,
    ),
    (
        "LITTLE_GIANT",
        gettext_noop("河南省科技小巨人企业奖励"),
        "little_giant",
        Decimal("300000.00"),
        Decimal("0.00"),
        True,
    ),
    (
        "LEADING",
        gettext_noop("河南省创新龙头企业奖励"),
        "leading",
        Decimal("500000.00"),
        Decimal("0.00"),
        True,
    ),
]


# The names of the seeded rules, as stored (Chinese). They are gettext msgids too (gettext_noop above), so a
# seeded rule's name follows the language on screen; a rule an administrator added keeps its stored name.
SEEDED_NAMES = {code: name for code, name, *_ in RULES}


def rule_display_name(code: str, name: str) -> str:
    """The rule's name as officials read it on screen: the translation for a seeded rule whose stored name is
    still the seeded one, else the stored name. Payout sheets and official documents use the stored name."""
    if SEEDED_NAMES.get(code) == name:
        return gettext(name)
    return name


def ensure_rules(rule_model) -> None:
    for code, name, kind, city, county, first_only in RULES:
        rule_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "trigger_kind": kind,
                "city_amount": city,
                "county_amount": county,
                "first_time_only": first_only,
                "effective_from": POLICY_START,
                "policy_document": POLICY_2017,
            },
        )
